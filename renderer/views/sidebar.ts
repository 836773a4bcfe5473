// The sandbox list: every sandbox with its live state.
import type { SandboxSummary } from '../../main/ipc/contract.js';
import { h, icon, replace } from '../dom.js';
import { STATE_TEXT, networkText } from '../ui/format.js';

export function renderSandboxList(el: HTMLElement, sandboxes: readonly SandboxSummary[], selected: string | null): void {
  if (!sandboxes.length) {
    replace(el, h('p', { class: 'sb-empty' }, 'No sandboxes yet.'));
    return;
  }
  replace(el, sandboxes.map((s) => {
    const vpnDown = s.state === 'RUNNING' && s.vpn?.state === 'down';
    return h('a', { class: `sb-item${s.name === selected ? ' active' : ''}`, href: `#/sandbox/${s.name}`, 'data-name': s.name, 'data-state': s.state, title: networkText(s.network) },
      h('span', { class: `state-dot state-${s.state.toLowerCase()}${vpnDown ? ' vpn-down' : ''}` }),
      h('span', { class: 'sb-text' },
        h('span', { class: 'sb-name' }, s.name),
        h('span', { class: 'sb-meta' }, STATE_TEXT[s.state], ' · ', s.network, vpnDown ? ' · VPN down' : '', s.problem ? ' · needs attention' : ''),
      ),
      s.problem ? h('span', { class: 'sb-warn', title: s.problem }, icon('alert', 14)) : null,
    );
  }));
}
