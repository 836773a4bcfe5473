// Modal dialogs on the native <dialog> element: focus trapping and Escape come for free.
import { ApiError } from '../api.js';
import { h, icon } from '../dom.js';

export interface DialogParts {
  dialog: HTMLDialogElement;
  body: HTMLElement;
  footer: HTMLElement;
  /**
   * Shows what went wrong inside this dialog, above its buttons (a toast would sit behind the
   * modal); null clears it.
   */
  error(err: unknown, context?: string): void;
  close(): void;
}

/** The message and what to do about it, from an engine error or anything thrown. */
export function errorParts(err: unknown, context?: string): { message: string; hint: string | null } {
  const raw = err instanceof ApiError ? err.message : err instanceof Error ? err.message : String(err);
  const first = raw.split('\n')[0] ?? raw;
  return { message: context ? `${context}: ${first}` : first, hint: err instanceof ApiError ? err.hint ?? null : null };
}

/** Opens a modal with a title; the caller fills body and footer. Escape or the × closes it. */
export function openDialog(opts: { title: string; subtitle?: string; icon?: Parameters<typeof icon>[0]; className?: string; onClose?(): void }): DialogParts {
  const body = h('div', { class: 'dialog-body' });
  const footer = h('footer', { class: 'dialog-foot' });
  const errorBox = h('div', { class: 'callout callout-err dialog-error', role: 'alert', hidden: true });
  const closeBtn = h('button', { class: 'icon-btn', title: 'Close', 'aria-label': 'Close' }, icon('x', 16));
  const dialog = h('dialog', { class: `dialog ${opts.className ?? ''}` },
    h('header', { class: 'dialog-head' },
      opts.icon ? h('div', { class: 'dialog-icon' }, icon(opts.icon, 20)) : null,
      h('div', { class: 'dialog-titles' }, h('h2', {}, opts.title), opts.subtitle ? h('p', { class: 'muted' }, opts.subtitle) : null),
      closeBtn,
    ),
    body,
    errorBox,
    footer,
  );
  let closed = false;
  const close = (): void => {
    if (closed) return;
    closed = true;
    if (dialog.open) dialog.close();
    dialog.remove();
    opts.onClose?.();
  };
  closeBtn.addEventListener('click', close);
  dialog.addEventListener('cancel', (e) => {
    e.preventDefault();
    close();
  });
  document.body.append(dialog);
  dialog.showModal();
  const error = (err: unknown, context?: string): void => {
    if (err === null) {
      errorBox.hidden = true;
      errorBox.replaceChildren();
      return;
    }
    const { message, hint } = errorParts(err, context);
    errorBox.replaceChildren(icon('alert', 18), h('div', {}, h('div', { class: 'dialog-error-msg' }, message), hint ? h('div', { class: 'dialog-error-hint' }, hint) : null));
    errorBox.hidden = false;
    errorBox.scrollIntoView({ block: 'nearest' });
  };
  return { dialog, body, footer, error, close };
}

/** A yes/no question; resolves true when confirmed. */
export function confirmDialog(title: string, message: string, confirmLabel: string, danger = false): Promise<boolean> {
  return new Promise((resolve) => {
    let answer = false;
    const d = openDialog({ title, icon: danger ? 'alert' : 'info', className: 'dialog-small', onClose: () => resolve(answer) });
    d.body.append(h('p', {}, message));
    const ok = h('button', { class: `btn ${danger ? 'danger' : 'primary'}` }, confirmLabel);
    ok.addEventListener('click', () => {
      answer = true;
      d.close();
    });
    const cancel = h('button', { class: 'btn' }, 'Cancel');
    cancel.addEventListener('click', () => d.close());
    d.footer.append(cancel, ok);
    ok.focus();
  });
}
