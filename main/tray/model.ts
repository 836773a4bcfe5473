// The tray menu as a pure function of engine state: no Electron here, so it is tested as plain data
// and the Electron adapter only renders what this returns.
import type { SandboxSummary, SandboxState } from '../ipc/contract.js';

/** What a menu item does when clicked. */
export type TrayAction =
  | { type: 'start' | 'stop' | 'restart' | 'open-shell' | 'open-system-terminal' | 'show-details' | 'show-logs'; name: string }
  | { type: 'new-sandbox' | 'import-vpn' | 'open-window' | 'quit' };

export type MenuItem =
  | { kind: 'action'; id: string; label: string; enabled: boolean; action: TrayAction }
  | { kind: 'label'; id: string; label: string }
  | { kind: 'submenu'; id: string; label: string; items: MenuItem[] }
  | { kind: 'separator'; id: string };

/** Which icon the tray shows: a VPN that is down wins over "something runs". */
export type TrayIcon = 'idle' | 'running' | 'vpn-down';

export interface TrayModel {
  icon: TrayIcon;
  tooltip: string;
  items: MenuItem[];
}

export interface TrayInput {
  sandboxes: readonly SandboxSummary[];
  /** Sandboxes with an operation started from this app still in flight: their actions are disabled. */
  busy?: ReadonlySet<string>;
  /** Now, for uptimes (injected so the model stays pure). */
  now?: Date;
}

const STATE_LABEL: Record<SandboxState, string> = {
  STOPPED: 'Stopped',
  STARTING: 'Starting…',
  RUNNING: 'Running',
  STOPPING: 'Stopping…',
  ABORTING: 'Aborting…',
};

const VPN_MODES = new Set(['openvpn', 'wireguard', 'vpn']);

/** True for a sandbox whose network is a VPN tunnel. */
export function isVpnSandbox(s: SandboxSummary): boolean {
  return Boolean(s.vpn) || VPN_MODES.has(s.network);
}

/** True when a running VPN sandbox reports its tunnel down (its kill switch means: no network at all). */
export function vpnIsDown(s: SandboxSummary): boolean {
  return s.state === 'RUNNING' && s.vpn?.state === 'down';
}

/** "5 s", "3 min", "2 h 5 min", "3 d 4 h". */
export function formatUptime(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h} h ${m % 60} min`;
  return `${Math.floor(h / 24)} d ${h % 24} h`;
}

function networkLine(s: SandboxSummary): string {
  if (s.network === 'host') return 'Network: host (not isolated: can reach your desktop and local services)';
  if (s.network === 'none') return 'Network: none (loopback only)';
  if (s.network === 'nat') return 'Network: NAT (isolated namespace)';
  return `Network: ${s.network}`;
}

function tunnelLine(s: SandboxSummary): string {
  const v = s.vpn;
  if (!v) return s.state === 'RUNNING' ? 'Tunnel: status unknown' : 'Tunnel: down (sandbox stopped)';
  const what = v.type === 'wireguard' ? 'WireGuard' : v.type === 'openvpn' ? 'OpenVPN' : 'Tunnel';
  if (v.state === 'up') return `${what}: up${v.address ? ` · ${v.address}` : ''}`;
  if (v.state === 'connecting') return `${what}: connecting…`;
  return `${what}: down${v.detail ? ` (${v.detail})` : ''} · no traffic leaves the sandbox`;
}

function statusLine(s: SandboxSummary, now: Date): string {
  if (s.state === 'RUNNING' && s.startedAt) {
    const up = (now.getTime() - Date.parse(s.startedAt)) / 1000;
    return `Running for ${formatUptime(up)}${s.pid ? ` · pid ${s.pid}` : ''}`;
  }
  return STATE_LABEL[s.state];
}

function sandboxLabel(s: SandboxSummary): string {
  let label = `${s.name} — ${STATE_LABEL[s.state]}`;
  if (vpnIsDown(s)) label += ' · VPN down';
  else if (s.state === 'RUNNING' && s.vpn?.state === 'up' && s.vpn.address) label += ` · ${s.vpn.address}`;
  if (s.problem) label += ' · needs attention';
  return label;
}

function sandboxItems(s: SandboxSummary, busy: boolean, now: Date): MenuItem[] {
  const id = (what: string): string => `sandbox:${s.name}:${what}`;
  const running = s.state === 'RUNNING' && !busy;
  const act = (what: Exclude<TrayAction['type'], 'new-sandbox' | 'import-vpn' | 'open-window' | 'quit'>, label: string, enabled: boolean): MenuItem => ({
    kind: 'action',
    id: id(what),
    label,
    enabled,
    action: { type: what, name: s.name },
  });
  const items: MenuItem[] = [{ kind: 'label', id: id('status'), label: statusLine(s, now) }];
  if (s.problem) items.push({ kind: 'label', id: id('problem'), label: `Problem: ${truncate(firstLine(s.problem), 90)}` });
  items.push({ kind: 'label', id: id('network'), label: networkLine(s) });
  if (isVpnSandbox(s)) items.push({ kind: 'label', id: id('tunnel'), label: tunnelLine(s) });
  items.push(
    { kind: 'separator', id: id('sep1') },
    act('start', 'Start', s.state === 'STOPPED' && !busy && !s.problem),
    act('stop', 'Stop', running),
    act('restart', 'Restart', running),
    { kind: 'separator', id: id('sep2') },
    act('open-shell', 'Open shell', running),
    act('open-system-terminal', 'Open in system terminal', running),
    { kind: 'separator', id: id('sep3') },
    act('show-details', 'Show details', true),
    act('show-logs', 'Logs', true),
  );
  return items;
}

/** The whole tray: icon, tooltip and menu for the given engine state. */
export function trayModel(input: TrayInput): TrayModel {
  const now = input.now ?? new Date();
  const busy = input.busy ?? new Set<string>();
  const sandboxes = [...input.sandboxes].sort((a, b) => a.name.localeCompare(b.name));
  const active = sandboxes.filter((s) => s.state !== 'STOPPED');
  const down = sandboxes.filter(vpnIsDown);

  const items: MenuItem[] = [];
  if (!sandboxes.length) items.push({ kind: 'label', id: 'empty', label: 'No sandboxes yet' });
  for (const s of sandboxes) {
    items.push({ kind: 'submenu', id: `sandbox:${s.name}`, label: sandboxLabel(s), items: sandboxItems(s, busy.has(s.name), now) });
  }
  const running = sandboxes.filter((s) => s.state === 'RUNNING').length;
  items.push(
    { kind: 'separator', id: 'sep-actions' },
    { kind: 'action', id: 'new-sandbox', label: 'New sandbox…', enabled: true, action: { type: 'new-sandbox' } },
    { kind: 'action', id: 'import-vpn', label: 'Import VPN config…', enabled: true, action: { type: 'import-vpn' } },
    { kind: 'separator', id: 'sep-app' },
    { kind: 'action', id: 'open-window', label: 'Open Sandtray', enabled: true, action: { type: 'open-window' } },
    { kind: 'action', id: 'quit', label: quitLabel(running), enabled: true, action: { type: 'quit' } },
  );

  const icon: TrayIcon = down.length ? 'vpn-down' : active.length ? 'running' : 'idle';
  return { icon, tooltip: tooltip(active.length, down), items };
}

/** Quitting never stops sandboxes; the label says so, with how many keep running. */
export function quitLabel(running: number): string {
  if (running === 0) return 'Quit Sandtray (sandboxes keep running)';
  return `Quit Sandtray (${running} running sandbox${running === 1 ? '' : 'es'} keep${running === 1 ? 's' : ''} running)`;
}

function tooltip(active: number, down: readonly SandboxSummary[]): string {
  let t = active ? `Sandtray: ${active} running` : 'Sandtray: nothing running';
  if (down.length) t += `; VPN down in ${down.map((s) => s.name).join(', ')}`;
  return t;
}

function firstLine(s: string): string {
  return s.split('\n')[0] ?? s;
}

function truncate(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
}

/** Finds an item by id anywhere in the menu (for the adapter and tests). */
export function findItem(items: readonly MenuItem[], id: string): MenuItem | undefined {
  for (const it of items) {
    if (it.id === id) return it;
    if (it.kind === 'submenu') {
      const hit = findItem(it.items, id);
      if (hit) return hit;
    }
  }
  return undefined;
}
