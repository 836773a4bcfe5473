// Runs an attach argv from the CLI: a fresh pseudo-terminal when we have a terminal, plain pipes otherwise.
import os from 'node:os';
import { execa } from 'execa';
import { which } from '../host/tools.js';

import { shQuote } from './quote.js';

/** Whether our stdin and stdout are a terminal (then attach gives the process a terminal too). */
export function haveTerminal(): boolean {
  return !!(process.stdin.isTTY && process.stdout.isTTY);
}

/**
 * Runs argv with our stdio and returns its exit code. With a terminal on stdin, the process gets
 * a new pseudo-terminal and session from script(1), so it can never reach our terminal with
 * TIOCSTI; without one it still runs in a new session (no controlling terminal at all).
 */
export async function runAttached(argv: string[], env: Record<string, string>, forceTty?: boolean): Promise<number> {
  const tty = forceTty ?? haveTerminal();
  const script = which('script');
  let file: string;
  let args: string[];
  let childEnv = env;
  // Without script(1) the process must still never share our terminal's session: then it runs
  // detached (a new session, no controlling terminal), as without a terminal.
  const viaScript = tty && script !== null;
  if (viaScript) {
    file = script!;
    args = ['--quiet', '--return', '--command', argv.map(shQuote).join(' '), '/dev/null'];
    // script runs --command with $SHELL -c on the host side, before nsenter.
    childEnv = { ...env, SHELL: '/bin/sh' };
  } else {
    [file, ...args] = argv as [string, ...string[]];
  }
  const child = execa(file, args, {
    stdio: 'inherit',
    env: childEnv,
    extendEnv: false,
    reject: false,
    detached: !viaScript,
    cleanup: true,
  });
  // Without a terminal the child is in its own session: pass on the signals a user sends us.
  const forward = (sig: NodeJS.Signals) => () => child.kill(sig);
  const handlers: [NodeJS.Signals, () => void][] = (['SIGINT', 'SIGTERM', 'SIGHUP'] as const).map((s) => [s, forward(s)]);
  if (!viaScript) for (const [s, h] of handlers) process.on(s, h);
  const res = await child;
  for (const [s, h] of handlers) process.off(s, h);
  if (res.exitCode !== undefined) return res.exitCode;
  return res.signal ? 128 + (os.constants.signals[res.signal as NodeJS.Signals] ?? 1) : 1;
}
