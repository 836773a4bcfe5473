// A file handed to the app: what it is, what the sandbox would see, and Create / Create and start.
import type { OpenedFile, SecretStoreChoice, VpnType } from '../../main/ipc/contract.js';
import { ApiError, call } from '../api.js';
import { h } from '../dom.js';
import { openDialog } from '../ui/dialog.js';
import { VPN_NAME } from '../ui/format.js';
import { toast } from '../ui/toast.js';
import { issuesView, profileSummaryView, vpnSummaryView, vpnVerdictView } from './summary.js';

const shown = new Set<string>();

export function showOpenedFile(f: OpenedFile, onDone: (name: string) => void): void {
  if (shown.has(f.token)) return;
  shown.add(f.token);
  const isProfile = f.kind === 'profile';
  let acted = false;
  const d = openDialog({
    title: isProfile ? `Open profile ${f.file}` : `Import ${VPN_NAME[f.kind]} configuration`,
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
  const secrets = f.kind !== 'profile' && f.valid ? secretsPart(f) : null;
  if (secrets) d.body.append(secrets.el);
  const act = async (start: boolean, btn: HTMLButtonElement): Promise<void> => {
    btn.disabled = true;
    btn.classList.add('busy');
    d.error(null);
    try {
      const choices = secrets?.choices() ?? {};
      const r = await call('file-accept', { token: f.token, name: name.value.trim(), start, ...choices });
      acted = true;
      toast('ok', r.message);
      d.close();
      onDone(r.name);
    } catch (err) {
      if (secrets && err instanceof ApiError && err.code === 'SECRET' && secrets.store() === 'keyring') {
        // The engine's hint names the command line's --store file; here the same choice is the option above.
        d.error(new ApiError({ code: err.code, message: 'No keyring (Secret Service) answers on this desktop', hint: 'Nothing was imported. Choose "In a file only you can read" above, or start and unlock a keyring (GNOME Keyring, KWallet, KeePassXC), then import again.' }));
        secrets.focusStore();
      } else {
        d.error(err);
        name.focus();
      }
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

/**
 * Where the VPN's secrets go, asked in the sheet itself: the keyring, or (the user's consent, said
 * out loud) 0600 files; and the user name and password when the server wants them, so connecting
 * asks nothing more.
 */
function secretsPart(f: Extract<OpenedFile, { kind: VpnType }>): {
  el: HTMLElement;
  store(): SecretStoreChoice;
  choices(): { store: SecretStoreChoice; credentials?: { username: string; password: string } };
  focusStore(): void;
} {
  const needs = f.verdict?.needs;
  const askCreds = Boolean(needs?.username || needs?.password || f.summary?.needsCredentials);
  const keyring = h('input', { type: 'radio', name: 'file-store', value: 'keyring', id: 'file-store-keyring', checked: true });
  const file = h('input', { type: 'radio', name: 'file-store', value: 'file', id: 'file-store-file' });
  const user = h('input', { class: 'input', id: 'file-username', autocomplete: 'username', spellcheck: 'false' });
  const pass = h('input', { class: 'input', id: 'file-password', type: 'password', autocomplete: 'current-password' });
  const el = h('fieldset', { class: 'field secrets-part' },
    h('legend', { class: 'field-label' }, 'Keep its secrets'),
    h('label', { class: 'check' }, keyring, h('span', {}, h('strong', {}, 'In the keyring'), h('span', { class: 'muted small block' }, 'The desktop\'s Secret Service (GNOME Keyring, KWallet, KeePassXC).'))),
    h('label', { class: 'check' }, file, h('span', {}, h('strong', {}, 'In a file only you can read'), h('span', { class: 'muted small block' }, 'For desktops without a keyring: 0600 files under ~/.config/sandtray/secrets/, as NetworkManager and wg-quick keep keys. Any program running as you can read them.'))),
    askCreds
      ? h('div', { class: 'cred-grid' },
          h('label', { class: 'field' }, h('span', { class: 'field-label' }, 'User name'), user),
          h('label', { class: 'field' }, h('span', { class: 'field-label' }, 'Password'), pass),
          h('p', { class: 'muted small cred-note' }, 'The server asks for these. Leave them empty to be asked when it connects.'))
      : null,
  );
  const store = (): SecretStoreChoice => (file.checked ? 'file' : 'keyring');
  return {
    el,
    store,
    choices() {
      const creds = askCreds && user.value && pass.value ? { credentials: { username: user.value, password: pass.value } } : {};
      return { store: store(), ...creds };
    },
    focusStore: () => file.focus(),
  };
}
