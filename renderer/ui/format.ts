// Words and numbers as the window shows them.
import type { SandboxState, VpnType } from '../../main/ipc/contract.js';

export const STATE_TEXT: Record<SandboxState, string> = {
  STOPPED: 'Stopped',
  STARTING: 'Starting',
  RUNNING: 'Running',
  STOPPING: 'Stopping',
  ABORTING: 'Aborting',
};

export function uptime(seconds: number | null): string {
  if (seconds === null) return '—';
  if (seconds < 60) return `${seconds}s`;
  const m = Math.floor(seconds / 60);
  if (m < 60) return `${m} min`;
  const hrs = Math.floor(m / 60);
  if (hrs < 24) return `${hrs} h ${m % 60} min`;
  return `${Math.floor(hrs / 24)} d ${hrs % 24} h`;
}

export const NETWORK_TEXT: Record<string, string> = {
  none: 'No network (loopback only)',
  nat: 'Private NAT network',
  host: 'Shares your network and your desktop',
  vpn: 'VPN tunnel only',
};

/** The name of each VPN type the engine knows (a new type fails the build until it is named here). */
export const VPN_NAME: Record<VpnType, string> = { openvpn: 'OpenVPN', wireguard: 'WireGuard' };

export function networkText(mode: string): string {
  return NETWORK_TEXT[mode] ?? mode;
}

/** A risk from the engine as a sentence: its message, capitalised. */
export function riskText(r: { message: string }): string {
  return r.message.charAt(0).toUpperCase() + r.message.slice(1) + (r.message.endsWith('.') ? '' : '.');
}

export const NAMESPACE_TEXT: Record<string, string> = {
  user: 'User ids',
  mnt: 'Mounts',
  uts: 'Hostname',
  ipc: 'IPC',
  pid: 'Processes',
  net: 'Network',
  cgroup: 'Cgroups',
};

/** "profile dev (/home/u/.config/…)" -> "profile dev"; "profile /a/b/x.sandtray" -> "profile x.sandtray". */
export function shortOrigin(origin: string): string {
  return origin.replace(/ \(.*\)$/, '').replace(/^profile \/.*\/([^/]+)$/, 'profile $1');
}
