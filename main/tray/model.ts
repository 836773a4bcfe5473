// The tray menu as a pure function of engine state: no Electron here, so it is tested as plain data
// and the Electron adapter only renders what this returns.
import { VPN_KINDS } from '../../helpers/api/vpn.js';
import type { SandboxSummary, SandboxState } from '../ipc/contract.js';

/** What a menu item does when clicked. */
export type TrayAction =
  | { type: 'start' | 'stop' | 'restart' | 'open-shell' | 'open-system-terminal' | 'show-details' | 'show-logs' | 'check-leaks'; name: string }
  | { type: 'open-app'; name: string; app: string }
  | { type: 'new-sandbox' | 'import-vpn' | 'open-window' | 'quit' };

export type MenuItem =
  /** `mnemonic`: the letter of the label the keyboard picks it with (Alt+letter), when it has one. */
  | { kind: 'action'; id: string; label: string; enabled: boolean; action: TrayAction; mnemonic?: string }
  | { kind: 'label'; id: string; label: string }
  | { kind: 'submenu'; id: string; label: string; items: MenuItem[]; mnemonic?: string }
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

/** True for a sandbox whose network is a VPN tunnel. */
export function isVpnSandbox(s: SandboxSummary): boolean {
  return Boolean(s.vpn) || s.network === 'vpn';
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

/** Sandboxes up to this many are listed at the top of the menu; past it, the rest go in a submenu. */
export const TOP_LEVEL_SANDBOXES = 8;
/** Longest label the menu shows; detail beyond it is in the window. */
export const MAX_LABEL = 48;

/** A running VPN sandbox whose tunnel is not up yet (no status counts as not up). */
export function vpnIsConnecting(s: SandboxSummary): boolean {
  return s.state === 'RUNNING' && isVpnSandbox(s) && s.vpn?.state !== 'up' && s.vpn?.state !== 'down';
}

/** How many sandboxes are not stopped: the tooltip and Quit count the same way. */
export function activeCount(sandboxes: readonly SandboxSummary[]): number {
  return sandboxes.filter((s) => s.state !== 'STOPPED').length;
}

/** One glyph and word for a sandbox's state, as its row shows it at a glance. */
export function glance(s: SandboxSummary): string {
  if (s.problem) return '⚠ Needs attention';
  if (vpnIsDown(s)) return '⚠ VPN down';
  if (vpnIsConnecting(s)) return '◐ Connecting…';
  if (s.state === 'RUNNING') return isVpnSandbox(s) ? '● Connected' : '● Running';
  if (s.state === 'STOPPED') return '○ Stopped';
  return `◐ ${STATE_LABEL[s.state]}`;
}

function networkLine(s: SandboxSummary): string {
  if (s.network === 'host') return 'Network: your own (not isolated)';
  if (s.network === 'none') return 'Network: none';
  if (s.network === 'nat') return 'Network: internet through NAT';
  return `Network: ${s.network}`;
}

function tunnelLine(s: SandboxSummary): string {
  const v = s.vpn;
  if (!v) return s.state === 'RUNNING' ? 'Tunnel: status unknown' : 'Tunnel: down (sandbox stopped)';
  const what = v.type ? VPN_KINDS[v.type].label : 'Tunnel';
  if (v.state === 'up') return `${what}: up${v.address ? ` · ${v.address}` : ''}`;
  if (v.state === 'connecting') return `${what}: connecting…`;
  return short(`${what} down${v.detail ? `: ${v.detail}` : ''}`);
}

function statusLine(s: SandboxSummary, now: Date): string {
  if (s.state === 'RUNNING' && s.startedAt) {
    const up = (now.getTime() - Date.parse(s.startedAt)) / 1000;
    return `Running for ${formatUptime(up)}${s.pid ? ` · pid ${s.pid}` : ''}`;
  }
  return STATE_LABEL[s.state];
}

function sandboxLabel(s: SandboxSummary): string {
  const address = s.state === 'RUNNING' && s.vpn?.state === 'up' && s.vpn.address && !s.problem ? ` · ${s.vpn.address}` : '';
  return short(`${s.name} — ${glance(s)}${address}`);
}

function sandboxItems(s: SandboxSummary, busy: boolean, now: Date): MenuItem[] {
  const id = (what: string): string => `sandbox:${s.name}:${what}`;
  const running = s.state === 'RUNNING' && !busy;
  const act = (what: Exclude<TrayAction['type'], 'new-sandbox' | 'import-vpn' | 'open-window' | 'quit' | 'open-app'>, label: string, enabled: boolean, mnemonic?: string): MenuItem => ({
    kind: 'action',
    id: id(what),
    label,
    enabled,
    action: { type: what, name: s.name },
    ...(mnemonic ? { mnemonic } : {}),
  });
  const items: MenuItem[] = [{ kind: 'label', id: id('status'), label: statusLine(s, now) }];
  if (s.problem) items.push({ kind: 'label', id: id('problem'), label: short(`Problem: ${firstLine(s.problem)}`) });
  items.push({ kind: 'label', id: id('network'), label: networkLine(s) });
  if (isVpnSandbox(s)) items.push({ kind: 'label', id: id('tunnel'), label: tunnelLine(s) });
  items.push(
    { kind: 'separator', id: id('sep1') },
    act('start', 'Start', s.state === 'STOPPED' && !busy && !s.problem, 'S'),
    act('stop', 'Stop', running, 't'),
    act('restart', 'Restart', running, 'R'),
  );
  if (s.apps.length) {
    items.push({ kind: 'separator', id: id('sep-apps') });
    // Opening an app starts its sandbox when needed, as `sandtray open` does.
    for (const a of s.apps) items.push({ kind: 'action', id: id(`app:${a.name}`), label: short(`Open ${a.title}`), enabled: !busy && !s.problem, action: { type: 'open-app', name: s.name, app: a.name } });
  }
  items.push(
    { kind: 'separator', id: id('sep2') },
    act('open-shell', 'Open shell', running, 'h'),
    act('open-system-terminal', 'Open in system terminal', running, 'y'),
  );
  if (isVpnSandbox(s)) items.push(act('check-leaks', 'Check for leaks', running, 'k'));
  items.push(
    { kind: 'separator', id: id('sep3') },
    act('show-details', 'Show details', true, 'd'),
    act('show-logs', 'Logs', true, 'L'),
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
  const row = (s: SandboxSummary): MenuItem => ({ kind: 'submenu', id: `sandbox:${s.name}`, label: sandboxLabel(s), items: sandboxItems(s, busy.has(s.name), now) });
  if (sandboxes.length <= TOP_LEVEL_SANDBOXES) {
    items.push(...sandboxes.map(row));
  } else {
    // Many sandboxes: the ones that run or need attention stay on top, all of them in a submenu.
    const first = sandboxes.filter((s) => s.state !== 'STOPPED' || s.problem).slice(0, TOP_LEVEL_SANDBOXES - 1);
    items.push(...first.map(row));
    items.push({ kind: 'submenu', id: 'all-sandboxes', label: `All sandboxes (${sandboxes.length})`, mnemonic: 'A', items: sandboxes.map(row) });
  }
  const apps = sandboxes.flatMap((s) => s.apps.map((a) => ({ s, a })));
  if (apps.length) {
    items.push({
      kind: 'submenu', id: 'apps', label: 'Open app', mnemonic: 'p',
      items: apps.map(({ s, a }) => ({ kind: 'action', id: `app:${s.name}:${a.name}`, label: short(`${a.title} in ${s.name}`), enabled: !busy.has(s.name) && !s.problem, action: { type: 'open-app', name: s.name, app: a.name } })),
    });
  }
  items.push(
    { kind: 'separator', id: 'sep-actions' },
    { kind: 'action', id: 'new-sandbox', label: 'New sandbox…', enabled: true, action: { type: 'new-sandbox' }, mnemonic: 'N' },
    { kind: 'action', id: 'import-vpn', label: 'Import VPN…', enabled: true, action: { type: 'import-vpn' }, mnemonic: 'I' },
    { kind: 'separator', id: 'sep-app' },
    { kind: 'action', id: 'open-window', label: 'Open Sandtray', enabled: true, action: { type: 'open-window' }, mnemonic: 'O' },
    { kind: 'action', id: 'quit', label: quitLabel(active.length), enabled: true, action: { type: 'quit' }, mnemonic: 'Q' },
  );

  const icon: TrayIcon = down.length ? 'vpn-down' : active.length ? 'running' : 'idle';
  return { icon, tooltip: tooltip(active.length, down), items };
}

/** Quitting never stops sandboxes; the label says so, with how many keep running. */
export function quitLabel(active: number): string {
  if (active === 0) return 'Quit Sandtray';
  return `Quit Sandtray (${active} keep${active === 1 ? 's' : ''} running)`;
}

function tooltip(active: number, down: readonly SandboxSummary[]): string {
  let t = active ? `Sandtray: ${active} running` : 'Sandtray: nothing running';
  if (down.length) t += `; VPN down in ${down.map((s) => s.name).join(', ')}`;
  return t;
}

/** A label the menu can show: first line, no command lines in backquotes, at most MAX_LABEL characters. */
export function short(s: string): string {
  const clean = firstLine(s).replace(/\s*[(:;,]?\s*`[^`]*`[^.;]*/g, '').replace(/\s+/g, ' ').trim();
  return truncate(clean, MAX_LABEL);
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
