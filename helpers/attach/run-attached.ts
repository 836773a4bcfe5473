// Runs an attach argv from the CLI: a fresh pseudo-terminal when we have a terminal, relayed pipes otherwise.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import tty from 'node:tty';
import type { Readable, Writable } from 'node:stream';
import { which } from '../host/tools.js';

import { shQuote } from './quote.js';

/**
 * Whether our stdin and stdout are a terminal (then attach gives the process a terminal too). Asked
 * of the descriptors, as process.stdin.isTTY would answer: reading that makes Node build the
 * stream, which an `exec` whose input is /dev/null never needs.
 */
export function haveTerminal(): boolean {
  return tty.isatty(0) && tty.isatty(1);
}

/**
 * How one of our stdio descriptors reaches the attached process: 'ignore' (it gets /dev/null) or
 * 'pipe' (it gets a pipe, and we copy between that pipe and our descriptor).
 *
 * A descriptor handed over as it is stays the caller's file: inside, /proc/self/fd/N reopens it
 * with any access mode, so `CMD < input.txt` could overwrite input.txt, `CMD >> out.txt` could
 * read what out.txt held before, a pipe could be reopened in the other direction, a terminal
 * would hand over the owner's keystrokes, and any of them stays usable by a process left running
 * inside after the command ends. So, as podman's conmon does, every descriptor is relayed through
 * a pipe (regular files, directories, devices, FIFOs, sockets and terminals alike), except
 * /dev/null, which holds nothing, and a closed descriptor; both become /dev/null.
 */
export function stdioRelay(fd: number): 'ignore' | 'pipe' {
  let st: fs.Stats;
  try {
    st = fs.fstatSync(fd);
  } catch {
    return 'ignore';
  }
  if (st.isCharacterDevice()) {
    try {
      if (st.rdev === fs.statSync('/dev/null').rdev) return 'ignore';
    } catch {
      // no /dev/null to compare with: relay
    }
  }
  return 'pipe';
}

/** After the process exited, output still arriving from something it left running is relayed until this long a pause. */
const QUIET_AFTER_EXIT_MS = 500;

/**
 * Runs argv with our stdio and returns its exit code. With a terminal on stdin and stdout, the
 * process gets a new pseudo-terminal and session from script(1), so it can never reach our
 * terminal with TIOCSTI. Otherwise it runs in a new session (no controlling terminal at all) and
 * its stdio are pipes we relay (see stdioRelay): binary data passes unchanged, end of input is
 * passed on, and its exit code is ours.
 */
export async function runAttached(argv: string[], env: Record<string, string>, forceTty?: boolean): Promise<number> {
  const tty = forceTty ?? haveTerminal();
  const script = which('script');
  // Without script(1) the process must still never share our terminal's session: then it runs
  // detached (a new session, no controlling terminal), as without a terminal.
  if (tty && script !== null) {
    // script runs --command with $SHELL -c on the host side, before nsenter.
    const args = ['--quiet', '--return', '--command', argv.map(shQuote).join(' '), '/dev/null'];
    const child = spawn(script, args, { stdio: 'inherit', env: { ...env, SHELL: '/bin/sh' } });
    const untie = tieToUs(child, true);
    const { code, signal } = await exitOf(child, 1);
    untie();
    return exitCodeOf(code, signal);
  }
  return runRelayed(argv, env);
}

// Spawned with node:child_process, not execa: this is the path of every `exec`, and loading
// execa took longer than the rest of the command. What execa did here is below.

/** Resolves once the child has exited; a child that could not be spawned counts as exit code `failed`. */
function exitOf(child: ChildProcess, failed: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
    child.once('error', () => resolve({ code: failed, signal: null }));
  });
}

/** A child still there this long after SIGTERM gets SIGKILL. */
const FORCE_KILL_AFTER_MS = 5000;

/** Sends sig to the child; after a SIGTERM it outlives by FORCE_KILL_AFTER_MS, SIGKILL. */
function killChild(child: ChildProcess, sig: NodeJS.Signals = 'SIGTERM'): void {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill(sig);
  if (sig === 'SIGTERM') {
    setTimeout(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }, FORCE_KILL_AFTER_MS).unref();
  }
}

/**
 * Ends the child with us: when this process exits, and, with `signals`, when SIGINT, SIGTERM or
 * SIGHUP ends us (the child gets SIGTERM, then we die of the same signal). Returns the function
 * that unties them once the child is gone.
 */
function tieToUs(child: ChildProcess, signals: boolean): () => void {
  const onExit = (): void => killChild(child);
  const onSignal = (sig: NodeJS.Signals): void => {
    killChild(child);
    untie();
    process.kill(process.pid, sig);
  };
  const sigs = signals ? (['SIGINT', 'SIGTERM', 'SIGHUP'] as const) : [];
  const untie = (): void => {
    process.off('exit', onExit);
    for (const s of sigs) process.off(s, onSignal);
  };
  process.once('exit', onExit);
  for (const s of sigs) process.once(s, onSignal);
  return untie;
}

function exitCodeOf(code: number | null, signal: NodeJS.Signals | null): number {
  if (code !== null) return code;
  return signal ? 128 + (os.constants.signals[signal] ?? 1) : 1;
}

async function runRelayed(argv: string[], env: Record<string, string>): Promise<number> {
  const [file, ...args] = argv as [string, ...string[]];
  const how = [0, 1, 2].map(stdioRelay) as Relays;
  const child = spawn(file, args, { stdio: how, env, detached: true });
  // The child is in its own session: pass on the signals a user sends us.
  return relayChild(child, how, (sig) => killChild(child, sig));
}

type Relays = ['ignore' | 'pipe', 'ignore' | 'pipe', 'ignore' | 'pipe'];

/** How each of our stdio descriptors reaches a child (see stdioRelay). */
export function stdioRelays(): Relays {
  return [0, 1, 2].map(stdioRelay) as Relays;
}

/**
 * Relays our stdio to a spawned child's pipes (those `how` says to) and returns its exit code. A
 * pipe of the child where ours is /dev/null gets nothing: its input ends, its output is dropped.
 * SIGINT, SIGTERM and SIGHUP to us go to `forward`; the child is ended when we exit.
 */
export async function relayChild(child: ChildProcess, how: Relays, forward: (sig: NodeJS.Signals) => void, opts: { raw?: boolean } = {}): Promise<number> {
  const exited = exitOf(child, 127);
  // With raw, our terminal passes every key on as it is typed (Ctrl-C included, as a byte): the
  // terminal inside does the line editing and the signals, as with ssh -t.
  const tty = opts.raw && process.stdin.isTTY ? process.stdin : null;
  const restore = (): void => {
    try {
      tty?.setRawMode(false);
    } catch {
      // our terminal is gone
    }
  };
  if (tty) {
    tty.setRawMode(true);
    process.once('exit', restore);
  }
  const untie = tieToUs(child, false);
  const handlers: [NodeJS.Signals, () => void][] = (['SIGINT', 'SIGTERM', 'SIGHUP'] as const).map((s) => [s, () => forward(s)]);
  for (const [s, h] of handlers) process.on(s, h);

  const stopInput = how[0] === 'pipe' && child.stdin ? relayInput(ourStream(0) as Readable, child.stdin) : () => undefined;
  if (how[0] !== 'pipe') child.stdin?.end();
  const outputs: Promise<void>[] = [];
  const targets: Writable[] = [];
  let lastData = Date.now();
  const seen = (): void => {
    lastData = Date.now();
  };
  const relay = (from: Readable, fd: 1 | 2): void => {
    const to = ourStream(fd) as Writable;
    targets.push(to);
    outputs.push(relayOutput(from, to, seen));
  };
  if (how[1] === 'pipe' && child.stdout) relay(child.stdout, 1);
  else child.stdout?.resume();
  if (how[2] === 'pipe' && child.stderr) relay(child.stderr, 2);
  else child.stderr?.resume();

  const { code, signal } = await exited;
  untie();
  for (const [s, h] of handlers) process.off(s, h);
  stopInput();
  if (tty) {
    restore();
    process.off('exit', restore);
  }
  // Normally the pipes reach their end right after the exit, once what is left in them is read.
  // A process the command left running inside may hold them open: relay what it writes until it
  // pauses, then let go. A pause is only counted while nothing waits: not while our own reader is
  // slow (the relay holds data it cannot write yet, so it reads no more), and not when this process
  // was kept from running (the quiet timer is then checked again after the event loop has read what
  // became readable meanwhile).
  seen();
  await new Promise<void>((resolve) => {
    let timer: NodeJS.Timeout | null = null;
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      if (timer) clearTimeout(timer);
      resolve();
    };
    const arm = (ms: number): void => {
      timer = setTimeout(() => setImmediate(check), ms);
    };
    const check = (): void => {
      if (done) return;
      if (targets.some((t) => t.writableNeedDrain)) seen();
      const idle = Date.now() - lastData;
      if (idle >= QUIET_AFTER_EXIT_MS) finish();
      else arm(QUIET_AFTER_EXIT_MS - idle);
    };
    void Promise.all(outputs).then(finish);
    arm(QUIET_AFTER_EXIT_MS);
  });
  child.stdout?.destroy();
  child.stderr?.destroy();
  return exitCodeOf(code, signal);
}

/**
 * Node's stream for one of our stdio descriptors. Node gives a block device on stdio an empty
 * stdin and a stdout that drops what is written, so those are read and written as files.
 */
function ourStream(fd: 0 | 1 | 2): Readable | Writable {
  let block = false;
  try {
    block = fs.fstatSync(fd).isBlockDevice();
  } catch {
    // as Node sees it
  }
  if (block) return fd === 0 ? fs.createReadStream('', { fd, autoClose: false }) : fs.createWriteStream('', { fd, autoClose: false });
  return fd === 0 ? process.stdin : fd === 1 ? process.stdout : process.stderr;
}

/**
 * Copies our stdin into the child's, with back-pressure; the end of our input ends its input.
 * Returns a function that stops reading our stdin (once the child is gone).
 */
function relayInput(from: Readable, to: Writable): () => void {
  let stopped = false;
  const stop = (): void => {
    if (stopped) return;
    stopped = true;
    from.unpipe(to);
    from.pause();
    // A terminal or pipe on stdin would otherwise keep us waiting for input nobody reads.
    from.destroy();
    to.destroy();
  };
  // The child may exit, or close its stdin, without reading everything: that is not our error.
  to.on('error', stop);
  from.on('error', () => {
    from.unpipe(to);
    to.end();
  });
  from.pipe(to);
  return stop;
}

/** Copies the child's output to ours as it comes; resolves at its end. A closed reader of ours ends the copy. */
function relayOutput(from: Readable, to: Writable, seen: () => void): Promise<void> {
  return new Promise<void>((resolve) => {
    from.pipe(to, { end: false });
    // After pipe's own listener: a write to a pipe or file is synchronous and may have waited for
    // our reader, so the data counts as seen once it is written, not when it was read.
    from.on('data', seen);
    to.on('drain', seen);
    // Our reader went away (EPIPE): stop reading, so the process inside gets EPIPE/SIGPIPE too.
    to.on('error', () => {
      from.unpipe(to);
      from.destroy();
    });
    from.once('end', resolve);
    from.once('close', resolve);
    from.once('error', resolve);
  });
}
