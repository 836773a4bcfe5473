// "What this sandbox may see": a profile summary in plain words, shared by the file sheet and the editor.
import type { ProfileIssue, ProfileSummary, VpnFileSummary, VpnType, VpnVerdictView } from '../../main/ipc/contract.js';
import { h, icon } from '../dom.js';
import { networkText, VPN_NAME } from '../ui/format.js';

function row(iconName: Parameters<typeof icon>[0], title: string, ...content: (Node | string | null)[]): HTMLElement {
  return h('div', { class: 'sum-row' }, h('div', { class: 'sum-icon' }, icon(iconName, 18)), h('div', { class: 'sum-text' }, h('div', { class: 'sum-title' }, title), ...content));
}

export function profileSummaryView(s: ProfileSummary): HTMLElement {
  const mounts = s.mounts.length
    ? h('ul', { class: 'sum-list' }, s.mounts.map((m) => h('li', {},
        h('code', {}, m.source), m.resolved ? h('span', { class: 'muted' }, ' (really ', h('code', {}, m.resolved), ')') : null, h('span', { class: 'arrow' }, ' → '), h('code', {}, m.target), ' ',
        h('span', { class: `badge ${m.readOnly ? '' : 'badge-warn'}` }, m.readOnly ? 'read-only' : 'read-write'),
        m.optional ? h('span', { class: 'badge' }, 'optional') : null,
        !m.exists ? h('span', { class: 'badge badge-err' }, 'missing') : null,
      )))
    : h('p', { class: 'muted' }, 'No host folders. It sees the host programs in /usr read-only and its own home.');
  return h('div', { class: 'summary' },
    s.description ? h('p', { class: 'sum-desc' }, s.description) : null,
    row('folder', 'Files', mounts),
    row('network', 'Network', h('p', {}, networkText(s.network.mode))),
    row('users', 'Home and ids', h('p', {}, s.home === 'private' ? 'A private home kept with the sandbox' : s.home === 'tmpfs' ? 'A throw-away home, empty at each start' : `Your folder ${s.home} as home`, ` · ${s.idmap.mode} id map, ${s.idmap.size.toLocaleString()} ids`)),
    row('layers', 'Nesting', h('p', {}, s.nesting ? 'May create sandboxes and user namespaces inside' : 'Cannot create user namespaces inside')),
    s.command ? row('terminal', 'Command', h('code', {}, s.command.join(' '))) : null,
    s.warnings.length ? h('div', { class: 'callout callout-warn' }, icon('alert', 18), h('ul', {}, s.warnings.map((w) => h('li', {}, w)))) : null,
  );
}

export function vpnSummaryView(kind: VpnType, s: VpnFileSummary): HTMLElement {
  return h('div', { class: 'summary' },
    row('network', kind === 'wireguard' ? 'WireGuard peers' : `${VPN_NAME[kind]} servers`, s.remotes.length
      ? h('ul', { class: 'sum-list' }, s.remotes.map((r) => h('li', {}, h('code', {}, r.host), r.port ? ` port ${r.port}` : '', r.proto ? ` · ${r.proto}` : '')))
      : h('p', { class: 'muted' }, 'none')),
    s.addresses.length ? row('cpu', 'Tunnel addresses', h('p', {}, s.addresses.join(', '))) : null,
    s.allowedIps.length ? row('layers', 'Routed through the tunnel', h('p', {}, s.allowedIps.join(', '))) : null,
    s.dns.length ? row('info', 'DNS', h('p', {}, s.dns.join(', '))) : null,
    row('lock', 'Credentials', h('p', {}, s.needsCredentials ? 'Asks for a user name and password when it connects (can be remembered in your keyring)' : 'No password prompt', s.hasInlineKeys ? ' · keys are inside the file' : '')),
    h('div', { class: 'callout' }, icon('shield', 18), h('p', {}, 'Only the sandbox uses this VPN. Inside it, the tunnel is the only route out: when the VPN is down, nothing leaves.')),
  );
}

/** The engine's verdict on a VPN file: files it read, what it rewrote and left out, a one-time code. */
export function vpnVerdictView(v: VpnVerdictView): HTMLElement | null {
  const at = (i: { option: string; line: number | null }): string => (i.line === null ? i.option : `${i.option} (line ${i.line})`);
  const grouped = (list: VpnVerdictView['dropped']): HTMLElement => {
    const byReason = new Map<string, string[]>();
    for (const i of list) byReason.set(i.reason, [...(byReason.get(i.reason) ?? []), at(i)]);
    return h('ul', { class: 'sum-list' }, [...byReason].map(([reason, opts]) => h('li', {}, h('code', {}, opts.join(', ')), ` · ${reason}`)));
  };
  const rows = [
    v.filesRead.length ? row('file', 'Files it names, read from its folder', h('ul', { class: 'sum-list' }, v.filesRead.map((f) => h('li', {}, h('code', {}, f))))) : null,
    v.rewritten.length ? row('edit', 'Changed on import', grouped(v.rewritten)) : null,
    v.dropped.length ? row('info', 'Left out', grouped(v.dropped)) : null,
    v.needs.challenge ? row('lock', 'One-time code', h('p', {}, `Asks for a one-time code at every connection ("${v.needs.challenge.text}")`)) : null,
  ].filter((x): x is HTMLElement => x !== null);
  return rows.length ? h('div', { class: 'summary' }, ...rows) : null;
}

export function issuesView(issues: readonly ProfileIssue[], onPick?: (line: number) => void): HTMLElement {
  return h('ul', { class: 'issues' }, issues.map((i) => {
    const li = h('li', { class: 'issue' }, icon('alert', 14), h('span', { class: 'issue-path' }, i.path), h('span', { class: 'issue-msg' }, i.message), i.line ? h('span', { class: 'issue-line' }, `line ${i.line}`) : null);
    if (i.line && onPick) {
      li.classList.add('clickable');
      li.addEventListener('click', () => onPick(i.line!));
    }
    return li;
  }));
}
