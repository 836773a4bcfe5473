// Ending a sandbox's processes: TERM to pid 1, KILL after a timeout; pids checked by start time.
import { setTimeout as sleep } from 'node:timers/promises';
import { isAlive, type ProcId } from '../host/proc.js';
import { childOfMonitor } from './state.js';

/** Sends a signal only if the pid still is the recorded process. */
export function signalProc(id: ProcId | null, sig: NodeJS.Signals): boolean {
  if (!id || !isAlive(id)) return false;
  try {
    process.kill(id.pid, sig);
    return true;
  } catch {
    return false;
  }
}

/** Waits until the process is gone; true if it went within the time. */
export async function waitGone(id: ProcId | null, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  let delay = 5;
  while (isAlive(id)) {
    if (Date.now() >= deadline) return false;
    await sleep(delay);
    delay = Math.min(delay * 2, 50);
  }
  return true;
}

/**
 * Stops a sandbox: TERM to its pid 1 (which passes it on and exits when the rest are gone),
 * then KILL after timeoutMs. KILL to pid 1 ends every process of the pid namespace.
 * timeoutMs 0 kills at once. Waits for bwrap's monitor too, so nothing is left behind.
 */
export async function killTree(init: ProcId | null, monitor: ProcId | null, timeoutMs: number): Promise<'clean' | 'killed'> {
  let how: 'clean' | 'killed' = 'clean';
  if (timeoutMs > 0 && signalProc(init, 'SIGTERM')) {
    if (!(await waitGone(init, timeoutMs))) how = 'killed';
  } else if (isAlive(init)) {
    how = 'killed';
  }
  if (how === 'killed') {
    signalProc(init, 'SIGKILL');
    await waitGone(init, 5000);
  }
  if (!(await waitGone(monitor, 2000))) {
    signalProc(monitor, 'SIGKILL');
    await waitGone(monitor, 2000);
  }
  return how;
}

/**
 * Kills every process a runtime record names and that still is that process: pid 1 (or, when it
 * was never recorded, the child of bwrap's monitor), the monitor and its process group (bwrap is
 * spawned leading a group of its own), and the host helpers. For records a start left half-made
 * (its sandtray process was killed) and for `delete --force` of whatever the record names.
 */
export async function killRecorded(rt: { init: ProcId | null; monitor: ProcId | null; helpers?: readonly ProcId[] } | null): Promise<void> {
  if (!rt) return;
  const init = rt.init ?? childOfMonitor(rt.monitor);
  signalProc(init, 'SIGKILL');
  if (isAlive(rt.monitor)) {
    try {
      process.kill(-rt.monitor!.pid, 'SIGKILL');
    } catch {
      signalProc(rt.monitor, 'SIGKILL');
    }
  }
  for (const h of rt.helpers ?? []) signalProc(h, 'SIGKILL');
  await waitGone(init, 5000);
  await waitGone(rt.monitor, 2000);
  for (const h of rt.helpers ?? []) await waitGone(h, 2000);
}
