// The log view: the end of the sandbox's log, then new lines as they are written (it follows while
// scrolled to the bottom, and stops following when the user scrolls up to read).
import { call } from '../api.js';
import { h, icon } from '../dom.js';
import { earlyLog } from '../ui/early.js';
import { toastError } from '../ui/toast.js';

const MAX_CHARS = 400_000;
const LIFECYCLE = /^(\d{4}-\d\d-\d\dT[\d:.]+Z) (sandtray:) (.*)$/;
// Main puts this before every line of the sandbox's own output (INSIDE_PREFIX in
// helpers/runtime/log.ts): such a line is the sandbox's words, never a lifecycle event, however it looks.
const INSIDE = '[inside] ';

function formatLine(line: string): HTMLElement {
  if (line.startsWith(INSIDE)) {
    return h('div', { class: 'log-line log-line-inside' }, h('span', { class: 'log-tag-inside' }, 'inside'), ' ', line.slice(INSIDE.length) || '\u200b');
  }
  const m = LIFECYCLE.exec(line);
  if (!m) return h('div', { class: 'log-line' }, line || '\u200b');
  const failed = /failed|killed|error/i.test(m[3]!);
  return h('div', { class: `log-line${failed ? ' log-line-err' : ''}` }, h('span', { class: 'log-time' }, new Date(m[1]!).toLocaleString()), ' ', h('span', { class: 'log-tag' }, 'sandtray'), ' ', m[3]!);
}

export class LogView {
  readonly el: HTMLElement;
  private readonly pre: HTMLElement;
  private readonly status: HTMLElement;
  private followId: string | null = null;
  private stick = true;
  private closed = false;
  private carry = '';
  private partialEl: HTMLElement | null = null;

  constructor(private readonly name: string) {
    this.pre = h('pre', { class: 'log', id: 'log-text', tabindex: '0' });
    this.status = h('span', { class: 'log-status' });
    const toBottom = h('button', { class: 'btn btn-small' }, icon('log', 14), 'Jump to end');
    toBottom.addEventListener('click', () => this.scrollToEnd(true));
    this.el = h('div', { class: 'log-view' }, h('div', { class: 'log-bar' }, this.status, h('span', { class: 'spacer' }), toBottom), this.pre);
    this.pre.addEventListener('scroll', () => {
      this.stick = this.pre.scrollTop + this.pre.clientHeight >= this.pre.scrollHeight - 8;
      this.renderStatus();
    });
  }

  async start(): Promise<void> {
    try {
      const r = await call('log-follow', { name: this.name });
      if (this.closed) {
        void call('log-unfollow', { followId: r.followId }).catch(() => undefined);
        return;
      }
      this.followId = r.followId;
      this.pre.replaceChildren();
      if (r.truncated) this.pre.append(h('div', { class: 'muted' }, '… earlier lines not shown'));
      this.append(r.text || '');
      // Lines written after the reply was made that reached the window before it.
      const later = earlyLog.take(r.followId).data.join('');
      this.append(later);
      if (!r.text && !later) this.pre.append(h('div', { class: 'muted log-empty' }, 'The log is empty.'));
      this.renderStatus();
    } catch (err) {
      toastError(err, 'Cannot read the log');
    }
  }

  /** Text from a log-data event, if it is ours: false when it is not. */
  receive(followId: string, text: string): boolean {
    if (followId !== this.followId) return false;
    this.pre.querySelector('.log-empty')?.remove();
    this.append(text);
    return true;
  }

  /** Complete lines are rendered with the timestamp and Sandtray's own tag set apart; a partial last line waits. */
  private append(text: string): void {
    this.partialEl?.remove();
    const parts = (this.carry + text).split('\n');
    this.carry = parts.pop() ?? '';
    for (const line of parts) this.pre.append(formatLine(line));
    this.partialEl = this.carry ? h('span', {}, this.carry) : null;
    if (this.partialEl) this.pre.append(this.partialEl);
    if ((this.pre.textContent?.length ?? 0) > MAX_CHARS) {
      while ((this.pre.textContent?.length ?? 0) > MAX_CHARS / 2 && this.pre.firstChild) this.pre.firstChild.remove();
    }
    if (this.stick) this.scrollToEnd(false);
  }

  private scrollToEnd(force: boolean): void {
    if (force) this.stick = true;
    this.pre.scrollTop = this.pre.scrollHeight;
    this.renderStatus();
  }

  private renderStatus(): void {
    this.status.replaceChildren(h('span', { class: `live-dot ${this.stick ? 'on' : ''}` }), this.stick ? 'Following new lines' : 'Paused while you read — scroll to the end to follow');
  }

  close(): void {
    this.closed = true;
    if (this.followId) void call('log-unfollow', { followId: this.followId }).catch(() => undefined);
    this.followId = null;
  }
}
