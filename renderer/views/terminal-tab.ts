// One terminal tab: xterm.js here, a pseudo-terminal in main running the engine's attach. Copy with
// Ctrl+Shift+C, paste with Ctrl+Shift+V; closing the tab ends this shell only.
import { Terminal, type ITheme } from '@xterm/xterm';
import { FitAddon } from '@xterm/addon-fit';
import { call } from '../api.js';
import { h } from '../dom.js';
import { earlyTerminal } from '../ui/early.js';
import { toastError } from '../ui/toast.js';

const LIGHT: ITheme = { background: '#fbfaf8', foreground: '#24292f', cursor: '#2f6f73', selectionBackground: '#2f6f7333', black: '#24292f', brightBlack: '#57606a', blue: '#0969da', green: '#1a7f37', red: '#cf222e', yellow: '#9a6700', magenta: '#8250df', cyan: '#1b7c83', white: '#6e7781', brightWhite: '#8c959f', scrollbarSliderBackground: '#24292f22', scrollbarSliderHoverBackground: '#24292f44', scrollbarSliderActiveBackground: '#24292f55' };
const DARK: ITheme = { background: '#121416', foreground: '#e3e5e8', cursor: '#6cc3c3', selectionBackground: '#6cc3c344', black: '#484f58', brightBlack: '#6e7681', blue: '#79c0ff', green: '#56d364', red: '#ff7b72', yellow: '#e3b341', magenta: '#d2a8ff', cyan: '#6cc3c3', white: '#b1bac4', brightWhite: '#f0f6fc', scrollbarSliderBackground: '#e3e5e822', scrollbarSliderHoverBackground: '#e3e5e844', scrollbarSliderActiveBackground: '#e3e5e855' };

function dark(): boolean {
  return window.matchMedia('(prefers-color-scheme: dark)').matches;
}

export class TerminalTab {
  readonly el: HTMLElement;
  id: string | null = null;
  title: string;
  exited = false;
  private readonly term: Terminal;
  private readonly fit = new FitAddon();
  private readonly observer: ResizeObserver;
  private pending = '';
  private flushing = false;

  constructor(readonly sandbox: string, private readonly onExit: (tab: TerminalTab) => void) {
    this.title = `${sandbox} · shell`;
    this.el = h('div', { class: 'terminal-host' });
    this.term = new Terminal({
      fontFamily: '"DejaVu Sans Mono", "Ubuntu Mono", "Noto Sans Mono", ui-monospace, monospace',
      fontSize: 13.5,
      lineHeight: 1.15,
      cursorBlink: true,
      scrollback: 5000,
      allowProposedApi: false,
      theme: dark() ? DARK : LIGHT,
    });
    this.term.loadAddon(this.fit);
    this.term.attachCustomKeyEventHandler((e) => {
      if (e.type !== 'keydown' || !e.ctrlKey || !e.shiftKey) return true;
      if (e.code === 'KeyC') {
        const sel = this.term.getSelection();
        if (sel) void navigator.clipboard.writeText(sel).catch(() => undefined);
        return false;
      }
      // Ctrl+Shift+V: let the browser deliver a paste event, which xterm turns into input.
      return e.code !== 'KeyV';
    });
    this.term.onData((d) => this.send(d));
    this.term.onResize(({ cols, rows }) => {
      if (this.id && !this.exited) void call('terminal-resize', { id: this.id, cols, rows }).catch(() => undefined);
    });
    this.observer = new ResizeObserver(() => this.refit());
    window.matchMedia('(prefers-color-scheme: dark)').addEventListener('change', () => {
      this.term.options.theme = dark() ? DARK : LIGHT;
    });
  }

  /** Opens the terminal once its element is in the page (xterm measures the font there). */
  async start(): Promise<void> {
    this.term.open(this.el);
    this.observer.observe(this.el);
    const dims = this.fit.proposeDimensions();
    const cols = Math.max(20, dims?.cols ?? 100);
    const rows = Math.max(5, dims?.rows ?? 30);
    this.term.resize(cols, rows);
    try {
      const r = await call('terminal-open', { name: this.sandbox, cols, rows });
      this.id = r.id;
      this.title = r.title;
      this.term.focus();
      const waiting = earlyTerminal.take(r.id);
      for (const d of waiting.data) this.receive(d);
      if (waiting.ended) this.exit(waiting.ended.code);
    } catch (err) {
      this.exited = true;
      this.term.write(`\x1b[31mCannot open a shell: ${(err as Error).message}\x1b[0m\r\n`);
      toastError(err, 'Cannot open a shell');
    }
  }

  /** Keystrokes are batched per frame: a paste becomes one request, not one per character. */
  private send(data: string): void {
    if (!this.id || this.exited) return;
    this.pending += data;
    if (this.flushing) return;
    this.flushing = true;
    queueMicrotask(async () => {
      while (this.pending && this.id) {
        const chunk = this.pending.slice(0, 32 * 1024);
        this.pending = this.pending.slice(chunk.length);
        try {
          await call('terminal-input', { id: this.id, data: chunk });
        } catch {
          this.pending = '';
        }
      }
      this.flushing = false;
    });
  }

  /** Copies the selection (toolbar button). */
  async copy(): Promise<boolean> {
    const sel = this.term.getSelection();
    if (!sel) return false;
    await navigator.clipboard.writeText(sel);
    return true;
  }

  /** Pastes the clipboard as input (toolbar button); xterm adds bracketed-paste markers when asked to. */
  async paste(): Promise<void> {
    const text = await navigator.clipboard.readText();
    if (text) this.term.paste(text);
    this.term.focus();
  }

  receive(data: string): void {
    this.term.write(data);
  }

  exit(code: number | null): void {
    this.exited = true;
    this.term.write(`\r\n\x1b[2m[shell ended${code !== null ? ` with status ${code}` : ''} — close this tab or open a new shell]\x1b[0m\r\n`);
    this.onExit(this);
  }

  refit(): void {
    if (!this.el.isConnected || this.el.offsetParent === null) return;
    try {
      this.fit.fit();
    } catch {
      // not laid out yet
    }
  }

  focus(): void {
    this.term.focus();
  }

  /** Text currently on screen (used by the window's own tests and for accessibility tools). */
  screenText(): string {
    const buf = this.term.buffer.active;
    const lines: string[] = [];
    for (let i = 0; i < buf.length; i++) lines.push(buf.getLine(i)?.translateToString(true) ?? '');
    return lines.join('\n');
  }

  close(): void {
    this.observer.disconnect();
    if (this.id && !this.exited) void call('terminal-close', { id: this.id }).catch(() => undefined);
    this.exited = true;
    this.term.dispose();
    this.el.remove();
  }
}
