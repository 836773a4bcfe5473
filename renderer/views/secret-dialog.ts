// The credential prompt: the password goes to main once; with "remember" main stores it in the
// keyring, and it never comes back to the window.
import type { SandtrayEvent } from '../../main/ipc/contract.js';
import { call } from '../api.js';
import { h } from '../dom.js';
import { openDialog, type DialogParts } from '../ui/dialog.js';
import { toastError } from '../ui/toast.js';

type Prompt = Extract<SandtrayEvent, { type: 'secret-prompt' }>;

const open = new Map<string, DialogParts>();

export function showSecretPrompt(p: Prompt): void {
  if (open.has(p.promptId)) return;
  let answered = false;
  const d = openDialog({
    title: p.oneTime ? `${p.sandbox} needs a one-time code` : `${p.sandbox} needs a password`,
    subtitle: p.oneTime ? 'The VPN asks for a new code at every connection.' : 'The VPN asks for credentials before it connects.',
    icon: 'key',
    className: 'dialog-small secret-dialog',
    onClose: () => {
      open.delete(p.promptId);
      if (!answered) void call('secret-reply', { promptId: p.promptId, secret: null, remember: false }).catch(() => undefined);
    },
  });
  open.set(p.promptId, d);
  // A user name is not secret: show it as it is typed (and a code the VPN file says to echo).
  const input = h('input', { type: p.echo || /user ?name/i.test(p.label) ? 'text' : 'password', id: 'secret-input', class: 'input', autocomplete: 'off', spellcheck: 'false', 'aria-label': p.label });
  const remember = h('input', { type: 'checkbox', id: 'secret-remember' });
  // A user name and its password in one dialog, as the server asks for both.
  const password = p.withPassword ? h('input', { type: 'password', id: 'secret-password', class: 'input', autocomplete: 'off', 'aria-label': 'VPN password' }) : null;
  const form = h('form', { class: 'form' },
    h('label', { class: 'field' }, h('span', { class: 'field-label' }, p.withPassword ? 'User name' : p.label), input),
    password ? h('label', { class: 'field' }, h('span', { class: 'field-label' }, 'Password'), password) : null,
    p.detail ? h('p', { class: 'muted small' }, p.detail) : null,
    p.canRemember ? h('label', { class: 'check' }, remember, h('span', {}, 'Remember in keyring')) : null,
    p.canRemember ? h('p', { class: 'muted small check-hint' }, 'Kept by your desktop keyring, never by Sandtray, and never shown again.') : null,
  );
  const connect = h('button', { class: 'btn primary', type: 'submit', id: 'secret-submit' }, 'Connect');
  const cancel = h('button', { class: 'btn', type: 'button' }, 'Cancel');
  cancel.addEventListener('click', () => d.close());
  const submit = async (e: Event): Promise<void> => {
    e.preventDefault();
    if (!input.value) {
      input.focus();
      return;
    }
    if (password && !password.value) {
      password.focus();
      return;
    }
    answered = true;
    connect.disabled = true;
    try {
      await call('secret-reply', { promptId: p.promptId, secret: input.value, remember: p.canRemember && remember.checked, ...(password ? { password: password.value } : {}) });
    } catch (err) {
      toastError(err);
    } finally {
      input.value = '';
      if (password) password.value = '';
      d.close();
    }
  };
  form.addEventListener('submit', (e) => void submit(e));
  connect.addEventListener('click', (e) => void submit(e));
  d.body.append(form);
  d.footer.append(cancel, connect);
  input.focus();
}

/** Main gave up waiting (timeout): close the dialog. */
export function cancelSecretPrompt(promptId: string): void {
  open.get(promptId)?.close();
}
