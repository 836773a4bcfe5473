// Running tools inside a sandbox's namespaces as root of its user namespace (the user, with caps there).
import { spawnTool } from '../host/spawn.js';
import { SandtrayError } from '../core/errors.js';
import { requireTool } from '../host/tools.js';

export type NsKind = 'net' | 'mount';

/** argv prefix: nsenter into pid's user namespace plus the listed ones. */
export function nsenterArgv(pid: number, namespaces: readonly NsKind[]): string[] {
  const flags = namespaces.map((n) => (n === 'net' ? '--net' : '--mount'));
  return [requireTool('nsenter'), `--target=${pid}`, '--user', ...flags, '--'];
}

/**
 * Runs argv in pid's namespaces and returns stdout; throws with the tool's own message on failure.
 * input goes to stdin: the only way secrets are handed to a tool (never argv or environment).
 */
export async function runInNs(pid: number, namespaces: readonly NsKind[], argv: readonly string[], what: string, input?: string): Promise<string> {
  const [file, ...args] = [...nsenterArgv(pid, namespaces), ...argv];
  const res = await spawnTool(file!, args, {
    reject: false,
    env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C' },
    ...(input === undefined ? { stdin: 'ignore' as const } : { input }),
    timeout: 15_000,
  });
  if (res.exitCode !== 0) {
    const why = String(res.stderr || res.stdout || res.signal || 'failed').trim().split('\n').slice(-3).join('; ');
    throw new SandtrayError('START_FAILED', `${what} failed: ${why}`, 'See `sandtray log NAME` and run `sandtray doctor`.');
  }
  return String(res.stdout);
}
