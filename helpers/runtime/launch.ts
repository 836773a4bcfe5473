// Executes a plan: spawns the unshare+bwrap chain detached and learns the sandbox's pid 1.
import fs from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';

function spawnChain(file: string, args: string[], env: Record<string, string>, logFd: number, exitFd: number) {
  return execa(file, args, {
    detached: true,
    cleanup: false,
    reject: false,
    extendEnv: false,
    env,
    cwd: '/',
    // execa's types want literal fd numbers, but it hands any fd number to the child as is.
    // 5, 6, 7: the id map handshake of the user namespaces (USERNS_FDS), closed before bwrap runs.
    stdio: ['ignore', logFd as 1, logFd as 2, 'pipe', exitFd as unknown as 'pipe', 'pipe', 'pipe', 'pipe'],
    buffer: false,
  });
}
type Subprocess = ReturnType<typeof spawnChain>;
import { SandtrayError } from '../core/errors.js';
import { catchesSignal, nsInode, procStart, type ProcId } from '../host/proc.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { requireTool } from '../host/tools.js';
import { closeFdsPrefix } from '../host/close-fds.js';
import { HOST_ENV, type Plan } from '../plan/build.js';
import { applyIdMap, mapWriter, mirrorMap, sendGo, StatusPipe, USERNS_FDS } from '../idmap/userns.js';
import type { Readable, Writable } from 'node:stream';

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

/** Spawns the launch chain; resolves once bwrap reports the sandbox's pid 1. */
export async function launch(plan: Plan, logFile: string, exitFile: string): Promise<Launched> {
  const [unshare, ...rest] = plan.argv;
  const unsharePath = requireTool(unshare!);
  requireTool('bwrap');
  // The outer namespace maps the plan's host ids to themselves (see idmap/userns.ts).
  const outerMap = mirrorMap(plan.idmap);
  const writer = mapWriter(outerMap);
  if (writer === 'newuidmap') {
    requireTool('newuidmap');
    requireTool('newgidmap');
  }
  fs.mkdirSync(path.dirname(logFile), { recursive: true, mode: 0o700 });
  const logFd = fs.openSync(logFile, 'a', 0o600);
  const exitFd = fs.openSync(exitFile, 'w', 0o600);
  let child: Subprocess;
  try {
    // fd 3: bwrap's --info-fd (a pipe: EOF once it wrote); fd 4: --json-status-fd (a file: exit code
    // lands there when pid 1 dies, which is what `monitor` and the tray watch).
    const argv = [...rest];
    const dashdash = argv.indexOf('--as-pid-1');
    argv.splice(dashdash + 1, 0, '--info-fd', '3', '--json-status-fd', '4');
    const [first, ...chain] = [...closeFdsPrefix(USERNS_FDS.goInner), unsharePath, ...argv];
    child = spawnChain(first!, chain, HOST_ENV, logFd, exitFd);
  } finally {
    fs.closeSync(logFd);
    fs.closeSync(exitFd);
  }
  child.catch(() => undefined);
  try {
    await mapNamespaces(child, outerMap, writer);
  } catch (err) {
    // Nothing of the sandbox runs yet: end the whole chain (its own process group).
    try {
      if (child.pid) process.kill(-child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
    throw err;
  }
  const info = await readInfo(child);
  const initPid = Number(info['child-pid']);
  const initStart = procStart(initPid);
  const monitorStart = child.pid ? procStart(child.pid) : null;
  if (!initPid || initStart === null || !child.pid || monitorStart === null) {
    throw new SandtrayError('START_FAILED', 'The sandbox exited right after it started', 'See `sandtray log NAME` for its output.');
  }
  await initReady(initPid);
  const namespaces: Record<string, number> = {};
  for (const ns of NAMESPACE_FILES) {
    const ino = nsInode(initPid, ns);
    if (ino !== null) namespaces[ns] = ino;
  }
  child.unref();
  return { init: { pid: initPid, start: initStart }, monitor: { pid: child.pid, start: monitorStart }, namespaces, child };
}

// The handshake of USERNS_SCRIPT: a = outer namespace made (we write its map, then go on fd 6);
// b = sandbox namespace made (go on fd 6 lets stage 0's subshell write its map); c = mapped (go on
// fd 7 and the chain becomes bwrap).
async function mapNamespaces(child: Subprocess, outerMap: ReturnType<typeof mirrorMap>, writer: ReturnType<typeof mapWriter>): Promise<void> {
  // execa types only the first five descriptors; the extra pipes are there all the same.
  const fds = child.stdio as unknown as (Readable & Writable)[];
  const status = new StatusPipe(fds[USERNS_FDS.status]!);
  const goOuter: Writable = fds[USERNS_FDS.goOuter]!;
  const goInner: Writable = fds[USERNS_FDS.goInner]!;
  const failed = (what: string): SandtrayError =>
    new SandtrayError('START_FAILED', `The sandbox's user namespaces could not be set up (${what})`, 'See `sandtray log NAME` for the reason; `sandtray doctor` checks the host.');
  const timer = setTimeout(() => child.kill('SIGKILL'), INFO_TIMEOUT_MS);
  try {
    if (!(await status.expect('a'))) throw failed('unshare --user failed');
    await applyIdMap(child.pid!, outerMap, writer);
    sendGo(goOuter, false);
    if (!(await status.expect('b'))) throw failed('the inner unshare --user failed');
    sendGo(goOuter);
    if (!(await status.expect('c'))) throw failed('the inner id map was refused');
    sendGo(goInner);
  } catch (err) {
    goOuter.destroy();
    goInner.destroy();
    throw err;
  } finally {
    clearTimeout(timer);
    status.close();
  }
}

/**
 * Waits until pid 1 has its SIGTERM handler. bwrap reports the pid before the init script has
 * run `trap`, and the kernel drops a signal to a pid namespace's init that has no handler: a
 * stop right after start would be lost and end in SIGKILL after the timeout.
 */
async function initReady(pid: number): Promise<void> {
  const deadline = Date.now() + INFO_TIMEOUT_MS;
  while (!catchesSignal(pid, 15)) {
    if (procStart(pid) === null) throw new SandtrayError('START_FAILED', 'The sandbox init exited while starting', 'See `sandtray log NAME` for its output.');
    if (Date.now() > deadline) throw new SandtrayError('TIMEOUT', 'The sandbox init did not become ready', 'See `sandtray log NAME`.');
    await sleep(1);
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
