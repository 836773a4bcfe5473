// A file handed to the app: what it is, what the sandbox would see, and Create / Create and start.
import type { OpenedFile } from '../../main/ipc/contract.js';
import { call } from '../api.js';
import { h } from '../dom.js';
import { openDialog } from '../ui/dialog.js';
import { toast } from '../ui/toast.js';
import { issuesView, profileSummaryView, vpnSummaryView, vpnVerdictView } from './summary.js';

const shown = new Set<string>();

export function showOpenedFile(f: OpenedFile, onDone: (name: string) => void): void {
  if (shown.has(f.token)) return;
  shown.add(f.token);
  const isProfile = f.kind === 'profile';
  let acted = false;
  const d = openDialog({
    title: isProfile ? `Open profile ${f.file}` : `Import ${f.kind === 'openvpn' ? 'OpenVPN' : 'WireGuard'} configuration`,
    subtitle: f.path,
    icon: isProfile ? 'file' : 'lock',
    className: 'dialog-wide file-sheet',
    onClose: () => {
      shown.delete(f.token);
      if (!acted) void call('file-dismiss', { token: f.token }).catch(() => undefined);
    },
  });
  const name = h('input', { class: 'input', id: 'file-name', value: f.suggestedName, spellcheck: 'false', 'aria-label': 'Sandbox name' });
  if (f.issues.length) {
    d.body.append(h('div', { class: 'callout callout-err' }, h('div', {}, h('strong', {}, f.valid ? 'Check these first' : 'This file cannot be used as it is'), issuesView(f.issues))));
  }
  if (f.summary) {
    d.body.append(h('h3', { class: 'section-title' }, isProfile ? 'What a sandbox from this profile may see' : 'What this VPN does'));
    d.body.append(f.kind === 'profile' ? profileSummaryView(f.summary) : vpnSummaryView(f.kind, f.summary));
  }
  // The engine's verdict, the same `sandtray vpn import` prints: what it read, changed and left out.
  const verdict = f.kind !== 'profile' && f.verdict ? vpnVerdictView(f.verdict) : null;
  if (verdict) d.body.append(h('h3', { class: 'section-title' }, 'What Sandtray does with this file'), verdict);
  d.body.append(h('label', { class: 'field inline-field' }, h('span', { class: 'field-label' }, 'Sandbox name'), name));
  const act = async (start: boolean, btn: HTMLButtonElement): Promise<void> => {
    btn.disabled = true;
    btn.classList.add('busy');
    d.error(null);
    try {
      const r = await call('file-accept', { token: f.token, name: name.value.trim(), start });
      acted = true;
      toast('ok', r.message);
      d.close();
      onDone(r.name);
    } catch (err) {
      d.error(err);
      name.focus();
    } finally {
      btn.disabled = false;
      btn.classList.remove('busy');
    }
  };
  const cancel = h('button', { class: 'btn' }, 'Cancel');
  cancel.addEventListener('click', () => d.close());
  const create = h('button', { class: 'btn', id: 'file-create', disabled: !f.valid }, isProfile ? 'Create' : 'Import');
  const createStart = h('button', { class: 'btn primary', id: 'file-create-start', disabled: !f.valid }, isProfile ? 'Create and start' : 'Import and connect');
  create.addEventListener('click', () => void act(false, create));
  createStart.addEventListener('click', () => void act(true, createStart));
  d.footer.append(cancel, create, createStart);
}
