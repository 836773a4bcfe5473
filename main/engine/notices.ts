// When to tell the user something happened behind their back: a sandbox that stopped without being
// asked to, a VPN tunnel that dropped. Pure functions of what the engine left on disk.
import { readRuntime, recordedExitCode, sandboxDirs, sandboxState, type RuntimeState } from '../../helpers/api/index.js';
import type { SandboxSummary } from '../ipc/contract.js';

export interface Notice {
  title: string;
  body: string;
}

/**
 * A RUNNING -> STOPPED change is unexpected when the runtime record still says "running": a
 * deliberate stop (ours or the CLI's) first records "stopping" and then removes the record.
 */
export function unexpectedStopNotice(name: string, runtime: RuntimeState | null, exitCode: number | null): Notice | null {
  if (!runtime || (runtime.phase !== 'running' && runtime.phase !== 'starting')) return null;
  const how = exitCode === null ? 'its pid 1 is gone' : exitCode >= 128 ? `its pid 1 was killed by signal ${exitCode - 128}` : `its pid 1 exited with status ${exitCode}`;
  return { title: `${name} stopped unexpectedly`, body: `The sandbox ended on its own: ${how}. See its log for details.` };
}

/** The notice for a sandbox that just went from RUNNING to STOPPED, read from its runtime folder. */
export function stopNoticeFromDisk(name: string): Notice | null {
  // Up again: the stop was seen only as a new pid 1 (killed or stopped, then started again before
  // the engine's watcher looked). The record and exit status on disk are the new run's and say
  // nothing of how the old one ended, or whether it was asked to.
  if (sandboxState(name).state !== 'STOPPED') return null;
  return unexpectedStopNotice(name, readRuntime(sandboxDirs(name)), recordedExitCode(name));
}

/** VPN tunnels that were up and are now down in a still-running sandbox. */
export function vpnDropNotices(before: readonly SandboxSummary[], after: readonly SandboxSummary[]): Notice[] {
  const prev = new Map(before.map((s) => [s.name, s]));
  const out: Notice[] = [];
  for (const s of after) {
    const p = prev.get(s.name);
    if (p?.vpn?.state === 'up' && s.state === 'RUNNING' && s.vpn?.state === 'down') {
      out.push({ title: `VPN down in ${s.name}`, body: `The tunnel dropped${s.vpn.detail ? ` (${s.vpn.detail})` : ''}. Nothing inside can reach the network until it is back.` });
    }
  }
  return out;
}

/** How long a VPN sandbox may run without its tunnel up before the user is told. */
export const VPN_UP_GRACE_SEC = 60;

/**
 * VPN sandboxes running for longer than the grace period whose tunnel never came up (no report
 * of "up" since this start), each once per start: `told` keeps "name@startedAt" keys.
 */
export function vpnNeverUpNotices(sandboxes: readonly SandboxSummary[], now: Date, told: Set<string>, seenUp: Set<string>, graceSec = VPN_UP_GRACE_SEC): Notice[] {
  const out: Notice[] = [];
  for (const s of sandboxes) {
    if (s.state !== 'RUNNING' || !s.startedAt) continue;
    const isVpn = Boolean(s.vpn) || s.network === 'vpn';
    if (!isVpn) continue;
    const key = `${s.name}@${s.startedAt}`;
    if (s.vpn?.state === 'up') seenUp.add(key);
    if (seenUp.has(key) || told.has(key)) continue;
    const ran = (now.getTime() - Date.parse(s.startedAt)) / 1000;
    if (ran < graceSec) continue;
    told.add(key);
    const why = s.vpn?.detail ? `: ${s.vpn.detail.split('\n')[0]}` : '';
    out.push({ title: `VPN in ${s.name} did not come up`, body: `The tunnel is still not up after ${Math.round(ran)} s${why}. Nothing inside reaches the network; see its log.` });
  }
  return out;
}
