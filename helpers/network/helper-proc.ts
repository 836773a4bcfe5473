// Host helper processes of a sandbox (pasta, the uplink holder, VPN clients): spawned detached, logged, killed by identity.
import fs from 'node:fs';
import path from 'node:path';
import { spawnTool } from '../host/spawn.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { SandtrayError } from '../core/errors.js';
import { isAlive, procStart } from '../host/proc.js';
import { signalProc, waitGone } from '../runtime/kill.js';
import type { HelperProc } from './driver.js';

export interface SpawnHelperOptions {
  what: string;
  /** The sandbox log: the helper's stdout and stderr go there. */
  logFile: string;
  env?: Record<string, string>;
  /** Written to stdin, which is then closed. */
  input?: string;
  cwd?: string;
}

/** Spawns a long-lived helper in its own session, so it outlives the CLI and no terminal signal reaches it. */
export function spawnHelper(argv: readonly string[], opts: SpawnHelperOptions): HelperProc {
  const [file, ...args] = argv;
  fs.mkdirSync(path.dirname(opts.logFile), { recursive: true, mode: 0o700 });
  const logFd = fs.openSync(opts.logFile, 'a', 0o600);
  let child;
  try {
    child = spawnTool(file!, args, {
      detached: true,
      cleanup: false,
      reject: false,
      env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C', ...(opts.env ?? {}) },
      cwd: opts.cwd ?? '/',
      stdin: opts.input === undefined ? 'ignore' : 'pipe',
      stdout: logFd as unknown as 'pipe',
      stderr: logFd as unknown as 'pipe',
      buffer: false,
    });
  } finally {
    fs.closeSync(logFd);
  }
  child.catch(() => undefined);
  if (opts.input !== undefined) {
    child.stdin?.end(opts.input);
    (child.stdin as unknown as { unref?: () => void } | null)?.unref?.();
  }
  const pid = child.pid;
  const start = pid ? procStart(pid) : null;
  if (!pid || start === null) throw new SandtrayError('START_FAILED', `Could not start ${opts.what}`, 'See `sandtray log NAME`.');
  child.unref();
  return { pid, start, what: opts.what };
}

/** Stops a helper: TERM, then KILL after timeoutMs; quiet when it is already gone. */
export async function stopHelper(h: HelperProc | undefined, timeoutMs = 2000): Promise<void> {
  if (!h || !isAlive(h)) return;
  signalProc(h, 'SIGTERM');
  if (!(await waitGone(h, timeoutMs))) {
    signalProc(h, 'SIGKILL');
    await waitGone(h, 2000);
  }
}

/** Polls until check() is true; throws TIMEOUT with the message after timeoutMs. */
export async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs: number, message: string, alive?: HelperProc): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let delay = 5;
  for (;;) {
    if (await check()) return;
    if (alive && !isAlive(alive)) throw new SandtrayError('START_FAILED', `${message}: ${alive.what} exited`, 'See `sandtray log NAME` for its messages.');
    if (Date.now() > deadline) throw new SandtrayError('TIMEOUT', message, 'See `sandtray log NAME`; `sandtray doctor` checks the host.');
    await sleep(delay);
    delay = Math.min(delay * 2, 100);
  }
}

/**
 * Stops helpers a sandbox killed from outside left running (its pasta, say): start and stop call
 * this before clearing the runtime record, the last place that names them.
 */
export async function stopLeftoverHelpers(helpers: readonly HelperProc[] | undefined): Promise<void> {
  for (const h of helpers ?? []) await stopHelper(h, 1000);
}
