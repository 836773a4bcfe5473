// Executes a plan: makes the user namespaces, spawns bwrap detached, and learns the sandbox's pid 1.
import fs from 'node:fs';
import path from 'node:path';
import { spawnChild, type ChildProcess } from '../host/spawn-child.js';
import type { Readable, Writable } from 'node:stream';
import { SandtrayError } from '../core/errors.js';
import { catchesSignal, nsInode, procStart, type ProcId } from '../host/proc.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { requireTool } from '../host/tools.js';
import { launcherPrefix } from '../host/close-fds.js';
import { LAUNCH_ENV, LAUNCH_FDS, type Plan } from '../plan/build.js';
import { envFileText } from '../confine/enter.js';
import { MAP_TEXT_MAX, mapText, mapWriter, mirrorMap, ProgressLines } from '../idmap/userns.js';
import { seccompArch, syscallNumber } from '../confine/seccomp.js';
import { launchStepArgv, preparedMaps, preparedRest, PREPARED_FDS, type StepBase, type StepMaps } from './launch-step.js';
import { endPreparedStep, refillPreparedStep, takePreparedStep, type PreparedStep } from './prepared.js';
import { bindByDescriptor, checkTargets } from './mount-safety.js';

type Fd = 'pipe' | 'ignore' | number;

// Plain child_process on the launch path: each spawn through execa cost milliseconds of its own.
function spawnDetached(argv: string[], env: Record<string, string>, stdio: Fd[]): ChildProcess {
  const child = spawnChild(argv[0]!, argv.slice(1), { detached: true, env, cwd: '/', stdio });
  // A failed spawn shows as a missing pid and an exit; never as an unhandled 'error'.
  child.on('error', () => undefined);
  return child;
}
type Subprocess = ChildProcess;

export interface Launched {
  init: ProcId;
  monitor: ProcId;
  namespaces: Record<string, number>;
  child: Subprocess;
}

const NAMESPACE_FILES = ['user', 'mnt', 'uts', 'ipc', 'pid', 'net', 'cgroup'] as const;
const INFO_TIMEOUT_MS = 15_000;

/** Writes the generated /etc files of a plan into etcDir. */
export function writeEtc(plan: Plan, etcDir: string): void {
  fs.mkdirSync(etcDir, { recursive: true, mode: 0o700 });
  for (const [file, text] of Object.entries(plan.etc)) {
    const p = path.join(etcDir, file);
    // Replace, never write through: the sandbox may have turned the file into a symlink.
    fs.rmSync(p, { force: true, recursive: true });
    fs.writeFileSync(p, text, { mode: 0o644, flag: 'wx' });
  }
}

/**
 * Spawns the launch chain; resolves once bwrap reports the sandbox's pid 1.
 *
 * First the user namespace holders (idmap/userns.ts); once both namespaces are mapped, bwrap gets
 * them as descriptors: it enters the outer one, makes the other namespaces and the mounts there,
 * and runs the enter step (confine/enter.ts), which joins the sandbox's namespace. bwrap's options
 * come through a pipe (`--args`) and the sandbox's environment through a removed file, so no
 * profile value appears on a command line any local user can read.
 */
/**
 * Reports each process of the launch chain the moment it exists, so the caller can record it before
 * anything else can go wrong: bwrap's monitor right after it is spawned, pid 1 as soon as bwrap names
 * it. A hook that throws aborts the launch (everything it started is killed).
 */
export interface LaunchHooks {
  onMonitor?: (monitor: ProcId) => void;
  onInit?: (init: ProcId, monitor: ProcId) => void;
}

/** What every launch step takes alike: perl, and the host's system call numbers. */
export function stepBase(): StepBase {
  const arch = seccompArch();
  if (!arch) throw new SandtrayError('HOST_UNSUPPORTED', `Sandtray does not run on this architecture (${process.arch})`, 'Sandtray runs on x86_64 and aarch64.');
  return {
    perl: requireTool('perl'), arch, closeRange: syscallNumber(arch, 'close_range'), close: syscallNumber(arch, 'close'), unshare: syscallNumber(arch, 'unshare'),
    dup3: syscallNumber(arch, 'dup3'), openat: syscallNumber(arch, 'openat'),
    outerFd: LAUNCH_FDS.outerUserns, innerFd: LAUNCH_FDS.innerUserns,
  };
}

/** The holders' part of a plan, as the launch step takes it. */
function stepMaps(plan: Plan): StepMaps {
  // The outer namespace maps the plan's host ids to themselves (see idmap/userns.ts).
  const outerMap = mirrorMap(plan.idmap);
  const writer = mapWriter(outerMap);
  const mapTools = writer === 'newuidmap' ? { newuidmap: requireTool('newuidmap'), newgidmap: requireTool('newgidmap') } : { newuidmap: null, newgidmap: null };
  for (const kind of ['uid', 'gid'] as const) {
    if (mapText(outerMap[kind]).length > MAP_TEXT_MAX) {
      throw new SandtrayError('IDMAP', `The ${kind} map has ${outerMap[kind].length} lines, more than the kernel takes in one write`, 'The subordinate ranges are too fragmented: ask an administrator for one contiguous range, or delete isolated sandboxes to defragment the leases.');
    }
  }
  return { writer, outerMap, ...mapTools, holders: plan.holders };
}

/**
 * A start under way in a prepared step (runtime/prepared.ts): the step is making the plan's user
 * namespaces while the engine gets the rest ready. launch() takes it; cancel() ends it otherwise.
 */
export class EarlyLaunch {
  private done = false;
  /**
   * step: the prepared step; monitor: its identity, the process that becomes bwrap's monitor
   * (null if it is already gone); maps: the holders' part it was sent.
   */
  constructor(readonly step: PreparedStep, readonly monitor: ProcId | null, readonly maps: StepMaps) {}

  /** For launch(): from now on the step is the launch's, and cancel() does nothing. */
  take(): PreparedStep {
    this.done = true;
    return this.step;
  }

  /** Ends the step and the holders it made, unless launch() has taken it. */
  cancel(): void {
    if (this.done) return;
    this.done = true;
    endPreparedStep(this.step);
    refillPreparedStep();
  }
}

/**
 * Right after the plan is made: when the engine keeps a prepared step, it starts on the plan's
 * user namespaces at once. null: no step is kept, or the plan is a one-off's (`run`), which always
 * spawns its own.
 */
export function beginLaunch(plan: Plan, oneOff = false): EarlyLaunch | null {
  if (oneOff) return null;
  const step = takePreparedStep();
  if (!step) return null;
  let maps: StepMaps;
  try {
    maps = stepMaps(plan);
  } catch (err) {
    endPreparedStep(step);
    refillPreparedStep();
    throw err;
  }
  const start = step.child.pid ? procStart(step.child.pid) : null;
  const early = new EarlyLaunch(step, start === null ? null : { pid: step.child.pid!, start }, maps);
  ((step.child.stdio as unknown as Writable[])[PREPARED_FDS.report]!).write(preparedMaps(maps));
  return early;
}

/**
 * oneOff: a sandbox whose pid 1 runs the plan's payload (`run`): its stdin, stdout and stderr are
 * pipes to this process (child.stdio), bwrap's monitor and pid 1 die with this process, and the
 * payload starts only once "go" is written to its stdin (confine/enter.ts). early: the prepared
 * step beginLaunch() started on this plan, if any.
 */
export async function launch(plan: Plan, logFile: string, exitFile: string, hooks: LaunchHooks = {}, oneOff = false, early: EarlyLaunch | null = null): Promise<Launched> {
  // The holders' part, made once: for this launch, then for the next step to make ahead.
  let maps = early?.maps;
  try {
    maps ??= stepMaps(plan);
    return await launchWith(plan, maps, logFile, exitFile, hooks, oneOff, early);
  } finally {
    // The next start's step, once this one is over (a map refused above is none to make ahead).
    refillPreparedStep(maps);
  }
}

async function launchWith(plan: Plan, maps: StepMaps, logFile: string, exitFile: string, hooks: LaunchHooks, oneOff: boolean, early: EarlyLaunch | null): Promise<Launched> {
  const bwrap = requireTool('bwrap');
  // bwrap's options go through the pipe; the command (the enter step) must stay on its command
  // line, since bwrap stops reading an --args file at its "--". Option values are absolute paths,
  // names and numbers, never "--" themselves. Every bind's source is opened here, without
  // following a link anyone but root could re-point, and reaches bwrap as a descriptor.
  const end = plan.argv.indexOf('--');
  checkTargets(plan.mounts.flatMap((m) => (m.op === 'bind' || m.op === 'bind-try' || m.op === 'ro-bind' || m.op === 'ro-bind-try' ? [{ source: m.source, target: m.target, writable: !m.op.startsWith('ro-') }] : [])));
  const binds = bindByDescriptor(plan.argv.slice(1, end), LAUNCH_FDS.env + 1);
  const opts = binds.opts;
  const report = LAUNCH_FDS.env + 1 + binds.fds.length;
  let prepared = early?.take() ?? null;
  if (prepared && report >= PREPARED_FDS.reserve) {
    // More mount sources than the prepared step keeps places for: a step of its own.
    endPreparedStep(prepared);
    prepared = null;
  }
  const asPid1 = opts.indexOf('--as-pid-1');
  opts.splice(asPid1 + 1, 0, '--info-fd', String(LAUNCH_FDS.info), '--json-status-fd', String(LAUNCH_FDS.status));
  fs.mkdirSync(path.dirname(logFile), { recursive: true, mode: 0o700 });
  const fds: number[] = [];
  let child: Subprocess | undefined;
  let ready: ProgressLines | null = null;
  try {
    const logFd = fs.openSync(logFile, 'a', 0o600);
    fds.push(logFd);
    const exitFd = fs.openSync(exitFile, 'w', 0o600);
    fds.push(exitFd);
    // Only a one-off's pid 1 runs a command with the sandbox's environment; a started sandbox's
    // init reads none (attached processes get theirs at attach).
    const envFd = oneOff ? privateFile(path.join(path.dirname(exitFile), '.env'), envFileText(plan.env)) : null;
    if (envFd !== null) fds.push(envFd);
    const bwrapArgv = [bwrap, '--args', String(LAUNCH_FDS.args), ...plan.argv.slice(end)];
    let lines: ProgressLines;
    if (prepared) {
      // The step waits with its user namespaces made or on the way; it is bwrap's monitor-to-be.
      child = prepared.child;
      lines = prepared.lines;
      if (early!.monitor) hooks.onMonitor?.(early!.monitor);
      // Where the freshly spawned step has them (below) the prepared one opens them again.
      const { O_WRONLY, O_APPEND, O_RDONLY } = fs.constants;
      const reopen = [
        { slot: 1, fd: logFd, flags: O_WRONLY | O_APPEND }, { slot: 2, fd: logFd, flags: O_WRONLY | O_APPEND },
        { slot: LAUNCH_FDS.status, fd: exitFd, flags: O_WRONLY }, ...(envFd === null ? [] : [{ slot: LAUNCH_FDS.env, fd: envFd, flags: O_RDONLY }]),
        ...binds.fds.map((fd, i) => ({ slot: LAUNCH_FDS.env + 1 + i, fd, flags: binds.flags[i]! })),
      ];
      ((child.stdio as unknown as Writable[])[PREPARED_FDS.report]!).write(preparedRest({ report, reopen, ready: true, bwrap: bwrapArgv }));
    } else {
      // The two user namespace slots hold placeholders until the launch step puts the namespaces
      // there; so does the environment's, where pid 1 reads none: every number below report is
      // taken, and what the step opens lands above it, where it closes it before bwrap.
      const stdio: Fd[] = [...(oneOff ? ['pipe', 'pipe', 'pipe'] as Fd[] : ['ignore', logFd, logFd] as Fd[]), 'pipe', exitFd, logFd, logFd, 'pipe', envFd ?? logFd, ...binds.fds, 'pipe'];
      const base = stepBase();
      const argv = launchStepArgv({
        ...base, ...maps, report, bwrap: bwrapArgv,
        // A one-off's pid 1 is the enter step with its payload, not an init: no "r" from it.
        ...(oneOff ? { dieWith: { parent: process.pid, prctl: syscallNumber(base.arch, 'prctl') } } : { ready: true }),
      });
      // The step closes inherited descriptors itself; the installed launcher goes first where it is
      // there: on hosts that restrict user namespaces with AppArmor, only it may make them.
      child = spawnDetached([...launcherPrefix(report), ...argv], LAUNCH_ENV, stdio);
      const spawnedStart = child.pid ? procStart(child.pid) : null;
      if (child.pid && spawnedStart !== null) hooks.onMonitor?.({ pid: child.pid, start: spawnedStart });
      if (!child.pid) throw new SandtrayError('START_FAILED', 'The launch step could not be started (perl)', 'Run `sandtray doctor`.');
      lines = new ProgressLines((child.stdio as unknown as (Readable | null)[])[report]!);
    }
    const argsPipe = child.stdio[LAUNCH_FDS.args as 3] as unknown as Writable;
    argsPipe.on('error', () => undefined);
    argsPipe.end(Buffer.from(opts.map((o) => `${o}\0`).join('')));
    // A prepared step says "p" first, once compiled; a start can take it before then.
    if (prepared) await prepared.prepared;
    ready = await stepReady(child, lines, !oneOff);
  } catch (err) {
    // Nothing of the sandbox runs yet: end the step, the holders and whatever bwrap started.
    if (child?.pid) killGroup(child.pid);
    throw err;
  } finally {
    for (const fd of [...fds, ...binds.fds]) fs.closeSync(fd);
  }
  let initPid = 0;
  let initStart: number | null = null;
  let monitorStart: number | null;
  try {
    const info = await readInfo(child);
    initPid = Number(info['child-pid']);
    initStart = procStart(initPid);
    monitorStart = child.pid ? procStart(child.pid) : null;
    if (!initPid || initStart === null || !child.pid || monitorStart === null) {
      throw new SandtrayError('START_FAILED', 'The sandbox exited right after it started', 'See `sandtray log NAME` for its output.');
    }
    hooks.onInit?.({ pid: initPid, start: initStart }, { pid: child.pid, start: monitorStart });
    await initReady(initPid, ready);
  } catch (err) {
    // SIGKILL to pid 1 ends its whole pid namespace.
    if (initStart !== null && procStart(initPid) === initStart) process.kill(initPid, 'SIGKILL');
    killGroup(child.pid);
    throw err;
  } finally {
    ready?.close();
  }
  const namespaces: Record<string, number> = {};
  for (const ns of NAMESPACE_FILES) {
    const ino = nsInode(initPid, ns);
    if (ino !== null) namespaces[ns] = ino;
  }
  if (!oneOff) child.unref();
  return { init: { pid: initPid, start: initStart }, monitor: { pid: child.pid!, start: monitorStart }, namespaces, child };
}

/** Writes text to a new 0600 file, opens it for reading and removes it: only the descriptor remains. */
function privateFile(file: string, text: string): number {
  fs.rmSync(file, { force: true });
  fs.writeFileSync(file, text, { mode: 0o600, flag: 'wx' });
  try {
    return fs.openSync(file, 'r');
  } finally {
    fs.rmSync(file, { force: true });
  }
}

function killGroup(pid: number | undefined): void {
  try {
    if (pid) process.kill(-pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/**
 * Waits for the launch step's "ok" (it is bwrap from then on); its "e KIND MESSAGE" becomes the
 * error. keep: the socket stays open for pid 1's "r" (see initReady), and is returned.
 */
async function stepReady(child: ChildProcess, lines: ProgressLines, keep: boolean): Promise<ProgressLines | null> {
  const timer = setTimeout(() => killGroup(child.pid), INFO_TIMEOUT_MS);
  let line: string | null;
  try {
    line = await lines.next();
  } finally {
    clearTimeout(timer);
    if (!keep || line! !== 'ok') lines.close();
  }
  if (line === 'ok') return keep ? lines : null;
  const m = /^e (\S+) (.*)$/.exec(line ?? '');
  const [kind, message] = m ? [m[1]!, m[2]!] : ['holder', 'the launch step ended early'];
  if (kind === 'idmap') throw new SandtrayError('IDMAP', message, 'Your subordinate ids may have changed: see `sandtray idmap` and `sandtray doctor`.');
  if (kind === 'idmap-write') throw new SandtrayError('IDMAP', message, 'Run `sandtray doctor`.');
  throw new SandtrayError('START_FAILED', `The sandbox's user namespaces could not be set up (${message})`, 'See `sandtray log NAME` for the reason; `sandtray doctor` checks the host.');
}

/**
 * Waits until pid 1 has its SIGTERM handler. bwrap reports the pid before the init has installed
 * it, and the kernel drops a signal to a pid namespace's init that has no handler: a
 * stop right after start would be lost and end in SIGKILL after the timeout.
 *
 * The init says "r" on `said` (the launch step's socket, its stdin) right after its handlers;
 * the handler is then checked once. Without that line (a one-off's pid 1 is the enter step, which
 * installs its handlers before it reads "go"; or the socket ended) this looks every millisecond,
 * and, while a line may still come, every 20 ms beside it.
 */
async function initReady(pid: number, said: ProgressLines | null): Promise<void> {
  const deadline = Date.now() + INFO_TIMEOUT_MS;
  let next: Promise<unknown> | null = said ? said.next().then((l) => (l === null ? (next = null) : undefined)) : null;
  while (!catchesSignal(pid, 15)) {
    if (procStart(pid) === null) throw new SandtrayError('START_FAILED', 'The sandbox init exited while starting', 'See `sandtray log NAME` for its output.');
    if (Date.now() > deadline) throw new SandtrayError('TIMEOUT', 'The sandbox init did not become ready', 'See `sandtray log NAME`.');
    if (next) {
      let timer: NodeJS.Timeout | undefined;
      const got = await Promise.race([next.then(() => true), new Promise<boolean>((resolve) => (timer = setTimeout(resolve, 20, false)))]);
      clearTimeout(timer);
      // A line came: the next look finds the handler; further lines change nothing.
      if (got) next = null;
    } else {
      await sleep(1);
    }
  }
}

async function readInfo(child: Subprocess): Promise<Record<string, unknown>> {
  const stream = child.stdio[3] as NodeJS.ReadableStream | undefined;
  if (!stream) throw new SandtrayError('INTERNAL', 'No info pipe to bwrap');
  let text = '';
  const done = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new SandtrayError('TIMEOUT', `The sandbox did not come up within ${INFO_TIMEOUT_MS / 1000} s`, 'See `sandtray log NAME`; `sandtray doctor` checks the host.')), INFO_TIMEOUT_MS);
    stream.setEncoding('utf8');
    stream.on('data', (d: string) => (text += d));
    stream.on('end', () => {
      clearTimeout(timer);
      resolve(text);
    });
    stream.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
  const out = await done;
  (stream as unknown as { unref?: () => void }).unref?.();
  try {
    return JSON.parse(out) as Record<string, unknown>;
  } catch {
    throw new SandtrayError('START_FAILED', 'The sandbox failed while setting up its namespaces', 'See `sandtray log NAME` for the reason; `sandtray doctor` checks the host.');
  }
}
