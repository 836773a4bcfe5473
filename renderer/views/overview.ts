// Details of one sandbox: first what it can see (files with the paths they really are, network and
// tunnel, nesting, the engine's risks), then its apps, then the technical details: the expanded
// profile with where each value came from, mounts, namespaces, id map and processes.
import type { SandboxInfo } from '../../main/ipc/contract.js';
import { h, icon } from '../dom.js';
import { NAMESPACE_TEXT, STATE_TEXT, networkText, riskText, shortOrigin, uptime } from '../ui/format.js';

type IconName = Parameters<typeof icon>[0];

function card(title: string, iconName: IconName, body: Node | Node[], opts: { wide?: boolean; aside?: Node | null; id?: string } = {}): HTMLElement {
  return h('section', { class: `card${opts.wide ? ' card-wide' : ''}`, id: opts.id },
    h('header', { class: 'card-head' }, icon(iconName, 16), h('h3', {}, title), opts.aside ?? null),
    h('div', { class: 'card-body' }, body),
  );
}

function table(head: string[], rows: (Node | string)[][], cls = ''): HTMLElement {
  return h('table', { class: `table ${cls}` },
    h('thead', {}, h('tr', {}, head.map((c) => h('th', {}, c)))),
    h('tbody', {}, rows.map((r) => h('tr', {}, r.map((c) => h('td', {}, c))))),
  );
}

function empty(text: string): HTMLElement {
  return h('p', { class: 'empty-note' }, text);
}

function originChip(origin: string | undefined): HTMLElement {
  const o = origin ?? 'default';
  return h('span', { class: `origin ${o === 'default' ? 'origin-default' : o === 'sandbox overrides' ? 'origin-override' : ''}`, title: o }, shortOrigin(o));
}

function tile(label: string, value: Node | string, sub?: string): HTMLElement {
  return h('div', { class: 'tile' }, h('div', { class: 'tile-label' }, label), h('div', { class: 'tile-value' }, value), sub ? h('div', { class: 'tile-sub' }, sub) : null);
}

function profileRows(info: SandboxInfo): (Node | string)[][] {
  const p = info.profile;
  if (!p) return [];
  const o = info.origins;
  const code = (v: string): HTMLElement => h('code', {}, v);
  const rows: (Node | string)[][] = [
    ['hostname', code(p.hostname), originChip(o['hostname'])],
    ['command', code(p.command ? p.command.join(' ') : '(login shell)'), originChip(o['command'])],
    ['workdir', code(p.workdir ?? '/root'), originChip(o['workdir'])],
    ['home', code(p.home), originChip(o['home'])],
    ['shell', code(p.shell ?? '/bin/bash'), originChip(o['shell'])],
    ['network.mode', code(p.network.mode), originChip(o['network.mode'])],
  ];
  if (p.network.mode === 'nat') rows.push(['network.allowHostLoopback', code(String(p.network.allowHostLoopback ?? false)), originChip(o['network.allowHostLoopback'])]);
  for (const f of p.network.ports ?? []) {
    const at = f.address.includes(':') ? `[${f.address}]` : f.address;
    rows.push([`port ${f.host}/${f.proto}`, code(`${at}:${f.host} -> ${f.sandbox} inside`), originChip(o[`network.ports[${f.host}/${f.proto}]`])]);
  }
  rows.push(
    ['idmap', code(`${p.idmap.mode}, ${p.idmap.size.toLocaleString()} ids`), originChip(o['idmap.mode'])],
    ['nesting', code(String(p.nesting)), originChip(o['nesting'])],
  );
  for (const [k, v] of Object.entries(p.env)) rows.push([`env.${k}`, code(v), originChip(o[`env.${k}`])]);
  for (const m of p.mounts) rows.push([`mount ${m.target}`, code(`${m.source} (${m.readOnly ? 'ro' : 'rw'}${m.optional ? ', optional' : ''})`), originChip(o[`mounts[${m.target}]`])]);
  return rows;
}

function tunnel(info: SandboxInfo): HTMLElement | null {
  const v = info.vpn;
  const isVpn = Boolean(v) || info.network === 'vpn';
  if (!isVpn) return null;
  if (!v) return h('div', { class: 'tunnel tunnel-unknown' }, icon('lock', 16), info.state === 'RUNNING' ? 'Tunnel status not reported yet' : 'Tunnel down: the sandbox is stopped');
  const text = v.state === 'up' ? `Tunnel up${v.address ? ` · ${v.address}` : ''}` : v.state === 'connecting' ? 'Connecting…' : `Tunnel down${v.detail ? ` · ${v.detail}` : ''} — nothing leaves the sandbox`;
  return h('div', { class: `tunnel tunnel-${v.state}` }, icon('lock', 16), text);
}

/** What the network lets a sandbox reach, in a badge and a sentence: never "isolated" for a way out. */
const NETWORK_REACH: Record<string, { text: string; badge: string; cls: string }> = {
  none: { text: 'Loopback only: nothing inside can reach another computer.', badge: 'no network', cls: 'badge-ok' },
  vpn: { text: 'Only through the tunnel: when the VPN is down, nothing leaves.', badge: 'VPN only', cls: 'badge-ok' },
  nat: { text: 'Reaches the internet through your connection, from a network of its own; your loopback and local services only when allowed.', badge: 'internet', cls: 'badge-warn' },
  host: { text: 'Uses your own network: everything you can reach, it can reach.', badge: 'your network', cls: 'badge-err' },
};

/** Host folders in the sandbox: source (and where it really leads) to target, read-only or not. */
function seesMounts(info: SandboxInfo): HTMLElement {
  const list = info.profile?.mounts ?? [];
  const real = new Map(info.mounts.filter((m) => m.resolved).map((m) => [m.target, m.resolved!]));
  const resolvedRisk = new Map(info.risks.filter((r) => r.resolved).map((r) => [r.key, r.resolved!]));
  if (!list.length) return empty('No host folders: host /usr read-only, its own home, /tmp and /run.');
  return h('ul', { class: 'sum-list sees-mounts' }, list.map((m, i) => {
    const really = real.get(m.target) ?? resolvedRisk.get(`mounts[${i}]`) ?? resolvedRisk.get(`mounts[${m.target}]`);
    return h('li', {},
      h('code', {}, m.source), really && really !== m.source ? h('span', { class: 'muted' }, ' (really ', h('code', {}, really), ')') : null,
      h('span', { class: 'arrow' }, ' → '), h('code', {}, m.target), ' ',
      h('span', { class: `badge ${m.readOnly ? '' : 'badge-warn'}` }, m.readOnly ? 'read-only' : 'read-write'));
  }));
}

export interface OverviewParts {
  /** The VPN's action (Check for leaks) under the network line. */
  vpnAction?: HTMLElement | null;
  /** The sandbox's apps. */
  apps?: HTMLElement | null;
}

export function overviewView(info: SandboxInfo, opts: OverviewParts = {}): HTMLElement {
  const running = info.state !== 'STOPPED';
  const nsNames = ['user', 'mnt', 'uts', 'ipc', 'pid', 'net', 'cgroup'];
  const namespaces = running && Object.keys(info.namespaces).length
    ? h('div', { class: 'ns-grid' }, nsNames.filter((n) => n in info.namespaces).map((n) =>
        h('div', { class: 'ns' }, h('div', { class: 'ns-name' }, n), h('div', { class: 'ns-label' }, NAMESPACE_TEXT[n] ?? n), h('code', { class: 'ns-ino' }, String(info.namespaces[n])))))
    : empty('Namespaces exist while the sandbox runs.');

  const mounts = running && info.mounts.length
    ? table(['', 'Source', 'Target'], info.mounts.map((m) => [h('span', { class: `op op-${m.op.replace(/[^a-z-]/g, '')}` }, m.op), m.source ? h('span', {}, h('code', {}, m.source), m.resolved ? h('span', { class: 'muted small' }, ' → really ', h('code', {}, m.resolved)) : null) : h('span', { class: 'muted' }, '—'), h('code', {}, m.target)]), 'table-mounts')
    : info.profile?.mounts.length
      ? table(['Source', 'Target', ''], info.profile.mounts.map((m) => [h('code', {}, m.source), h('code', {}, m.target), m.readOnly ? 'read-only' : 'read-write']))
      : empty('Only the defaults: host /usr read-only, a private home, /tmp and /run.');

  const idLines = (kind: 'uid' | 'gid'): (Node | string)[][] => (info.idmap?.[kind] ?? []).map((l) => [kind, String(l.inside), String(l.outside), l.count.toLocaleString()]);
  const idmap = info.idmap
    ? h('div', {}, table(['', 'Inside', 'Outside', 'Count'], [...idLines('uid'), ...idLines('gid')], 'table-num'), info.idmapNote ? h('p', { class: 'muted small note' }, info.idmapNote) : null)
    : empty(info.profile ? `${info.profile.idmap.mode} map of ${info.profile.idmap.size.toLocaleString()} ids, assigned at start.` : 'Assigned at start.');

  const procs = info.pids.length
    ? table(['Host PID', 'PID', 'UID', 'Command'], info.pids.map((p) => [String(p.host), String(p.inside ?? '—'), String(p.uid ?? '—'), h('code', { class: 'cmd' }, p.command)]), 'table-procs')
    : empty(running ? 'No processes visible.' : 'Not running.');

  // What the sandbox can reach, first: files with the paths they really are, network (and tunnel),
  // nesting, then the engine's own risk list, the one `sandtray info` prints.
  const mode = info.profile?.network.mode ?? info.network;
  const reach = NETWORK_REACH[mode] ?? { text: networkText(info.network), badge: mode, cls: 'badge' };
  const netBody = h('div', { class: 'net' },
    h('div', { class: 'net-mode' }, h('strong', {}, networkText(info.network)), h('span', { class: `badge ${reach.cls}`, id: 'network-badge' }, reach.badge)),
    h('p', { class: 'muted small' }, reach.text),
    tunnel(info),
  );
  const files = (info.profile?.mounts.length ?? 0) || running
    ? seesMounts(info)
    : empty('Only the defaults: host /usr read-only, a private home, /tmp and /run.');
  const sees = h('section', { class: 'card card-wide sees', id: 'card-sees' },
    h('header', { class: 'card-head' }, icon('shield', 16), h('h2', { id: 'sees-title' }, 'What it can see')),
    h('div', { class: 'card-body sees-grid' },
      h('div', { class: 'sees-item', id: 'sees-files' }, h('h3', {}, icon('folder', 14), 'Files'), files),
      h('div', { class: 'sees-item', id: 'sees-network' }, h('h3', {}, icon('network', 14), 'Network'), netBody, opts.vpnAction ?? null),
      h('div', { class: 'sees-item', id: 'sees-nesting' }, h('h3', {}, icon('layers', 14), 'Nesting'), h('p', {}, info.profile?.nesting ? 'May make sandboxes and user namespaces of its own inside.' : 'Cannot make user namespaces inside.')),
    ),
    info.risks.length
      ? h('div', { class: 'callout callout-warn', id: 'risks' }, icon('alert', 18), h('div', {},
          h('strong', {}, 'Beyond the defaults'),
          h('ul', {}, info.risks.map((r) => h('li', { class: `risk risk-${r.level}`, 'data-key': r.key }, riskText(r)))),
        ))
      : h('p', { class: 'muted small sees-none', id: 'risks-none' }, 'Nothing beyond the defaults: no host folders written, no way out but what the network line says.'),
  );

  return h('div', { class: 'overview' },
    info.problem ? h('div', { class: 'callout callout-err' }, icon('alert', 18), h('div', {}, h('strong', {}, 'This sandbox needs attention'), h('pre', { class: 'problem' }, info.problem))) : null,
    sees,
    opts.apps ?? null,
    h('div', { class: 'tiles' },
      tile('State', h('span', { class: `pill pill-${info.state.toLowerCase()}` }, h('span', { class: 'dot' }), STATE_TEXT[info.state]), running ? `up ${uptime(info.uptimeSec)}` : `created ${new Date(info.createdAt).toLocaleDateString()}`),
      tile('Profiles', info.profiles.length ? info.profiles.map((p) => p.replace(/^.*\//, '')).join(', ') : 'defaults'),
      tile('Network', info.network, info.isolated.network ? 'its own network namespace' : 'the host\'s network namespace'),
    ),
    h('h2', { class: 'section-title details-title' }, 'Details'),
    h('div', { class: 'cards' },
      card('Expanded profile', 'layers', info.profile ? table(['Key', 'Value', 'From'], profileRows(info), 'table-profile') : empty('The profile could not be expanded.'), { wide: true, id: 'card-profile' }),
      card(running ? 'Mounts' : 'Configured mounts', 'folder', mounts, { wide: true, id: 'card-mounts' }),
      card('Namespaces', 'shield', namespaces, { id: 'card-namespaces', aside: info.pid ? h('span', { class: 'count', title: 'pid 1 on the host' }, `pid ${info.pid}`) : null }),
      card('Id map', 'users', idmap, { id: 'card-idmap' }),
      card('Processes', 'cpu', procs, { wide: true, id: 'card-procs', aside: info.pids.length ? h('span', { class: 'count' }, String(info.pids.length)) : null }),
    ),
  );
}
