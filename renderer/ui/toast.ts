// Short messages in the corner: what happened, and for errors what to do about it.
import { ApiError } from '../api.js';
import { h, icon } from '../dom.js';

let host: HTMLElement | null = null;

function container(): HTMLElement {
  if (!host) {
    host = h('div', { class: 'toasts', role: 'status', 'aria-live': 'polite' });
    document.body.append(host);
  }
  return host;
}

export function toast(level: 'info' | 'warn' | 'error' | 'ok', message: string, hint?: string | null): void {
  const close = h('button', { class: 'icon-btn toast-close', title: 'Dismiss', 'aria-label': 'Dismiss' }, icon('x', 14));
  const t = h('div', { class: `toast toast-${level}` },
    icon(level === 'ok' ? 'check' : level === 'info' ? 'info' : 'alert', 18),
    h('div', { class: 'toast-text' }, h('div', { class: 'toast-msg' }, message), hint ? h('div', { class: 'toast-hint' }, hint) : null),
    close,
  );
  const remove = (): void => t.remove();
  close.addEventListener('click', remove);
  container().append(t);
  setTimeout(remove, level === 'error' ? 12000 : 5000);
}

/** Shows an error from a failed call (first line of the message plus the engine's hint). */
export function toastError(err: unknown, context?: string): void {
  if (err instanceof ApiError) {
    const first = err.message.split('\n')[0] ?? err.message;
    toast('error', context ? `${context}: ${first}` : first, err.hint ?? null);
  } else {
    toast('error', context ? `${context}: ${String(err)}` : String(err));
  }
}
