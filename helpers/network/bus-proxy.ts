// The D-Bus proxy of a sandbox with `dbus: filtered`: one xdg-dbus-proxy per sandbox, on the host,
// listening in the sandbox's runtime folder; its socket is bound into the sandbox (plan/graphics.ts).
//
// Its lifetime follows the sandbox's: it is started with --fd, writes a byte there once it listens,
// and exits when every copy of the other end is closed. Once pid 1 runs, that other end goes to a
// small watcher on the host that holds it until pid 1 exits (a pidfd turns readable then), so the
// proxy goes with the sandbox however the sandbox ends: stop, pid 1 exiting on its own, a kill from
// outside. Nothing of it enters the sandbox (bwrap's --sync-fd would hand the descriptor to pid 1).
// Both are recorded as the sandbox's helpers, so stop and a failed start end them by identity.
import fs from 'node:fs';
import path from 'node:path';
import type { Socket } from 'node:net';
import { SandtrayError } from '../core/errors.js';
import { procStart, type ProcId } from '../host/proc.js';
import { spawnChild, type ChildProcess } from '../host/spawn-child.js';
import { requireTool } from '../host/tools.js';
import type { HelperProc } from './driver.js';
import type { BusProxyPlan } from '../plan/graphics.js';
import { busSocketPath, type SandboxDirs } from '../runtime/store.js';

export { busSocketPath };

export const BUS_PROXY = 'xdg-dbus-proxy';
const READY_TIMEOUT_MS = 15_000;
/** sun_path holds 108 bytes, the terminating NUL included. */
const SUN_PATH_MAX = 107;

export interface RunningBusProxy {
  helper: HelperProc;
  /** Our end of the proxy's --fd. */
  syncFd: number;
  /** Closes our end (once the watcher holds its copy, or on failure). */
  release(): void;
}

/** Starts the proxy and waits until it listens. */
export async function startBusProxy(bp: BusProxyPlan, logFile: string): Promise<RunningBusProxy> {
  const bin = requireTool(BUS_PROXY);
  if (Buffer.byteLength(bp.socket) > SUN_PATH_MAX) {
    throw new SandtrayError('START_FAILED', `The D-Bus proxy's socket path is too long for a unix socket: ${bp.socket}`, 'Set XDG_RUNTIME_DIR to a shorter folder, or use dbus: none.');
  }
  fs.rmSync(bp.socket, { force: true });
  const logFd = fs.openSync(logFile, 'a', 0o600);
  let child: ChildProcess;
  try {
    // Detached, in a session of its own: a terminal's hangup or Ctrl-C does not reach it.
    child = spawnChild(bin, ['--fd=3', bp.address, bp.socket, ...bp.args], {
      detached: true,
      cwd: '/',
      env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C' },
      stdio: ['ignore', logFd, logFd, 'pipe'],
    });
  } finally {
    fs.closeSync(logFd);
  }
  const sync = child.stdio[3] as Socket;
  const release = (): void => {
    sync.destroy();
  };
  try {
    await new Promise<void>((resolve, reject) => {
      const fail = (why: string): void => {
        clearTimeout(timer);
        reject(new SandtrayError('START_FAILED', `The D-Bus proxy for this sandbox did not start (${why})`, 'See `sandtray log NAME` for its messages; check that the session bus answers (`busctl --user list`), or use dbus: none.'));
      };
      const timer = setTimeout(() => fail(`no answer within ${READY_TIMEOUT_MS / 1000} s`), READY_TIMEOUT_MS);
      child.once('error', (e) => fail(e.message));
      child.once('exit', (code, sig) => fail(sig ? `killed by ${sig}` : `exit code ${code}`));
      sync.once('data', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  } catch (err) {
    release();
    try {
      if (child.pid) process.kill(child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
    throw err;
  }
  child.removeAllListeners('exit');
  sync.pause();
  const fd = (sync as unknown as { _handle?: { fd?: number } })._handle?.fd;
  const start = child.pid ? procStart(child.pid) : null;
  if (typeof fd !== 'number' || fd < 0 || !child.pid || start === null) {
    release();
    if (child.pid) process.kill(child.pid, 'SIGKILL');
    throw new SandtrayError('START_FAILED', 'The D-Bus proxy for this sandbox could not be tied to it', 'Use dbus: none, and report this.');
  }
  child.unref();
  sync.unref();
  return { helper: { pid: child.pid, start, what: BUS_PROXY }, syncFd: fd, release };
}

/**
 * Holds the proxy's descriptor (fd 3) until the process ARGV[0] with start time ARGV[1] exits:
 * pidfd_open (434 on x86_64 and aarch64's generic table alike) and a select until it turns
 * readable. A pid that is gone or taken by another process ends it at once.
 */
const WATCH_SCRIPT = String.raw`
my ($pid, $start) = @ARGV;
my $fd = syscall(434, $pid + 0, 0);
exit 0 if $fd < 0;
open(my $st, '<', "/proc/$pid/stat") or exit 0;
my $s = <$st>; close $st; $s =~ s/^.*\) //;
exit 0 unless (split / /, $s)[19] eq $start;
my $rin = ''; vec($rin, $fd, 1) = 1;
while (1) { my $n = select(my $r = $rin, undef, undef, undef); last if $n > 0; last unless $n < 0 && ($! + 0) == 4; }
`;

export const BUS_PROXY_WATCH = 'bus proxy watch';

/** Ties the proxy to pid 1: a detached watcher holds its descriptor until pid 1 exits. */
export function tieBusProxy(proxy: RunningBusProxy, init: ProcId, logFile: string): HelperProc {
  const perl = requireTool('perl');
  const logFd = fs.openSync(logFile, 'a', 0o600);
  let child: ChildProcess;
  try {
    child = spawnChild(perl, ['-e', WATCH_SCRIPT, '--', String(init.pid), String(init.start)], {
      detached: true,
      cwd: '/',
      env: { PATH: '/usr/bin:/bin', LANG: 'C' },
      stdio: ['ignore', logFd, logFd, proxy.syncFd],
    });
  } finally {
    fs.closeSync(logFd);
  }
  child.on('error', () => undefined);
  const start = child.pid ? procStart(child.pid) : null;
  if (!child.pid || start === null) throw new SandtrayError('START_FAILED', 'The D-Bus proxy for this sandbox could not be tied to it', 'Use dbus: none, and report this.');
  child.unref();
  return { pid: child.pid, start, what: BUS_PROXY_WATCH };
}
