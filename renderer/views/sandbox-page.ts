// One sandbox: header with its state and actions, then tabs for details, the log and its shells.
import type { SandboxInfo, SandboxSummary } from '../../main/ipc/contract.js';
import { ApiError, call } from '../api.js';
import { h, icon, replace } from '../dom.js';
import { confirmDialog } from '../ui/dialog.js';
import { showLeakCheck } from './leak-check.js';
import { STATE_TEXT, networkText } from '../ui/format.js';
import { toast, toastError } from '../ui/toast.js';
import { LogView } from './logs.js';
import { overviewView } from './overview.js';
import { TerminalTab } from './terminal-tab.js';

/** Terminal tabs outlive page switches: they are kept here by sandbox. */
export const terminals = new Map<string, TerminalTab[]>();

export function findTerminal(id: string): TerminalTab | undefined {
  for (const tabs of terminals.values()) for (const t of tabs) if (t.id === id) return t;
  return undefined;
}

type Tab = 'overview' | 'logs' | number;

export class SandboxPage {
  readonly el: HTMLElement;
  private readonly head = h('header', { class: 'page-head' });
  /** How many times the details were asked for (loadInfo). */
  private infoAsked = 0;
  // The row of views (Overview, Log, shells): links to views, each shell with a close button of its
  // own the keyboard reaches, then "+".
  private readonly tabs = h('div', { class: 'tabs' });
  private readonly tablist = h('nav', { class: 'tablist', 'aria-label': 'Views of this sandbox' });
  // Focusable: it scrolls, and the keyboard must be able to scroll it.
  private readonly body = h('div', { class: 'tab-body', tabindex: '0', role: 'region', 'aria-label': 'Sandbox details' });
  private tab: Tab = 'overview';
  private log: LogView | null = null;
  private info: SandboxInfo | null = null;
  private busy: string | null = null;
  private refreshTimer: number | null = null;
  private menuOpen = false;

  constructor(readonly name: string, private summary: SandboxSummary, private readonly onDeleted: () => void) {
    this.el = h('div', { class: 'sandbox-page' }, this.head, this.tabs, this.body);
    document.addEventListener('click', (e) => {
      if (this.menuOpen && !(e.target as Element).closest('.menu-wrap')) {
        this.menuOpen = false;
        this.renderHead();
      }
    });
  }

  /** Shows a tab: 'overview', 'logs', 'terminal' (a new shell) or a terminal index. */
  async show(tab: string | null): Promise<void> {
    if (tab === 'terminal') {
      await this.openShell();
      return;
    }
    const n = tab !== null && /^\d+$/.test(tab) ? Number(tab) : null;
    this.select(n !== null && (terminals.get(this.name)?.[n]) ? n : tab === 'logs' ? 'logs' : 'overview');
  }

  update(summary: SandboxSummary): void {
    const changed = summary.state !== this.summary.state || JSON.stringify(summary) !== JSON.stringify(this.summary);
    this.summary = summary;
    this.renderHead();
    this.renderTabs();
    this.scheduleRefresh();
    if (changed && this.tab === 'overview') void this.loadInfo();
  }

  private select(tab: Tab): void {
    if (this.tab === 'logs' && tab !== 'logs') {
      this.log?.close();
      this.log = null;
    }
    this.tab = tab;
    this.renderHead();
    this.renderTabs();
    if (tab === 'overview') {
      if (this.info) replace(this.body, this.overview(this.info));
      void this.loadInfo();
    } else if (tab === 'logs') {
      if (!this.log) {
        this.log = new LogView(this.name);
        void this.log.start();
      }
      replace(this.body, this.log.el);
    } else {
      const t = terminals.get(this.name)?.[tab];
      if (t) {
        replace(this.body, h('div', { class: 'term-wrap' }, this.terminalBar(t), t.el));
        requestAnimationFrame(() => {
          t.refit();
          t.focus();
        });
      }
    }
    this.scheduleRefresh();
  }

  private terminalBar(t: TerminalTab): HTMLElement {
    const copy = h('button', { class: 'btn btn-small', title: 'Copy the selection (Ctrl+Shift+C)' }, icon('copy', 14), 'Copy');
    const paste = h('button', { class: 'btn btn-small', title: 'Paste (Ctrl+Shift+V)' }, icon('paste', 14), 'Paste');
    copy.addEventListener('click', () => void t.copy().then((ok) => ok && toast('ok', 'Copied')).catch((e: unknown) => toastError(e)));
    paste.addEventListener('click', () => void t.paste().catch((e: unknown) => toastError(e)));
    return h('div', { class: 'term-bar' }, h('span', { class: 'muted small' }, 'Shell inside ', h('strong', {}, this.name), ' — closing the tab ends this shell only; the sandbox keeps running.'), h('span', { class: 'spacer' }), copy, paste);
  }

  /** The details, with the actions that belong in them: Check for leaks and the sandbox's apps. */
  private overview(info: SandboxInfo): HTMLElement {
    const running = this.summary.state === 'RUNNING';
    const isVpn = Boolean(info.vpn) || info.network === 'vpn' || info.profile?.network.mode === 'vpn';
    let vpnAction: HTMLElement | null = null;
    if (isVpn) {
      const check = h('button', { class: 'btn', id: 'action-verify', disabled: !running }, icon('shield', 14), 'Check for leaks');
      check.addEventListener('click', () => showLeakCheck(this.name));
      vpnAction = h('div', { class: 'sees-action' }, check, running ? null : h('span', { class: 'muted small' }, ' Start it to check the tunnel.'));
    }
    const apps = this.summary.apps.length
      ? h('section', { class: 'card card-wide apps', id: 'card-apps' },
          h('header', { class: 'card-head' }, icon('external', 16), h('h2', {}, 'Apps')),
          h('div', { class: 'card-body app-buttons' }, this.summary.apps.map((a) => {
            const b = h('button', { class: 'btn', 'data-app': a.name }, icon('play', 14), `${a.title}`);
            b.addEventListener('click', () => void this.openApp(a.name, a.title, b));
            return b;
          }), h('p', { class: 'muted small' }, running ? 'Each opens inside this sandbox.' : 'Opening one starts the sandbox first.')))
      : null;
    return overviewView(info, { vpnAction, apps });
  }

  private async openApp(app: string, title: string, btn: HTMLButtonElement): Promise<void> {
    btn.disabled = true;
    btn.classList.add('busy');
    try {
      await call('open-app', { name: this.name, app });
      toast('ok', `Opened ${title} in ${this.name}`);
    } catch (err) {
      toastError(err, `Could not open ${title}`);
    } finally {
      btn.disabled = false;
      btn.classList.remove('busy');
    }
  }

  private scheduleRefresh(): void {
    if (this.refreshTimer !== null) clearInterval(this.refreshTimer);
    this.refreshTimer = null;
    // Processes come and go without state changes; refresh the details while they are shown.
    if (this.tab === 'overview' && this.summary.state === 'RUNNING') this.refreshTimer = window.setInterval(() => void this.loadInfo(), 4000);
  }

  private async loadInfo(): Promise<void> {
    // Calls overlap (a state change and a tab switch each ask): only the latest asked is shown, so
    // an older answer that comes last cannot put back details of a state already left.
    const asked = ++this.infoAsked;
    try {
      const info = await call('info', { name: this.name });
      if (asked !== this.infoAsked) return;
      this.info = info;
      if (this.tab === 'overview' && this.el.isConnected) {
        const scroll = this.body.scrollTop;
        replace(this.body, this.overview(info));
        this.body.scrollTop = scroll;
      }
    } catch (err) {
      if (asked === this.infoAsked && this.el.isConnected) toastError(err);
    }
  }

  private renderTabs(): void {
    const tabBtn = (label: (Node | null)[], tab: Tab, closable?: TerminalTab): HTMLElement => {
      const a = h('button', { class: `tab${this.tab === tab ? ' active' : ''}`, ...(this.tab === tab ? { 'aria-current': 'page' } : {}) }, ...label);
      a.addEventListener('click', () => {
        location.hash = `#/sandbox/${this.name}/${tab}`;
      });
      if (closable) {
        // A real button of its own next to the tab, so the keyboard reaches it.
        const label = `Close ${a.textContent ?? 'this shell'}`;
        const x = h('button', { class: 'tab-close', title: label, 'aria-label': label }, icon('x', 12));
        x.addEventListener('click', (e) => {
          e.stopPropagation();
          this.closeTerminal(closable);
        });
        return h('span', { class: `tab-wrap${this.tab === tab ? ' active' : ''}`, role: 'presentation' }, a, x);
      }
      return a;
    };
    const terms = terminals.get(this.name) ?? [];
    replace(this.tablist,
      tabBtn([icon('info', 14), h('span', {}, 'Overview')], 'overview'),
      tabBtn([icon('log', 14), h('span', {}, 'Log')], 'logs'),
      terms.map((t, i) => tabBtn([icon('terminal', 14), h('span', {}, `Shell ${i + 1}`), t.exited ? h('span', { class: 'tab-ended' }, 'ended') : null], i, t)),
    );
    replace(this.tabs,
      this.tablist,
      this.summary.state === 'RUNNING' ? (() => {
        const plus = h('button', { class: 'tab tab-add', title: 'Open a shell', id: 'tab-new-shell' }, icon('plus', 14));
        plus.addEventListener('click', () => void this.openShell());
        return plus;
      })() : null,
    );
  }

  private closeTerminal(t: TerminalTab): void {
    const list = terminals.get(this.name) ?? [];
    const i = list.indexOf(t);
    t.close();
    if (i >= 0) list.splice(i, 1);
    location.hash = list.length ? `#/sandbox/${this.name}/${Math.max(0, i - 1)}` : `#/sandbox/${this.name}/overview`;
    if (this.tab === i || typeof this.tab !== 'number') this.renderTabs();
  }

  async openShell(): Promise<void> {
    const list = terminals.get(this.name) ?? [];
    terminals.set(this.name, list);
    const t = new TerminalTab(this.name, () => this.renderTabs());
    list.push(t);
    const index = list.length - 1;
    this.tab = index;
    this.renderTabs();
    replace(this.body, h('div', { class: 'term-wrap' }, this.terminalBar(t), t.el));
    history.replaceState(null, '', `#/sandbox/${this.name}/${index}`);
    await t.start();
    this.renderTabs();
  }

  private async act(what: 'start' | 'stop' | 'restart'): Promise<void> {
    this.busy = what;
    this.renderHead();
    try {
      if (what === 'stop') await call('stop', { name: this.name });
      else {
        try {
          await call(what, { name: this.name });
        } catch (err) {
          // A profile file changed since the last start: say what changed and apply it only if asked.
          if (!(err instanceof ApiError && err.code === 'PROFILE_CHANGED')) throw err;
          const ok = await confirmDialog('Profile changed', `${err.message}. The sandbox will ${what} with the profile as it is now. Check that you made these changes.`, what === 'start' ? 'Apply and start' : 'Apply and restart', true);
          if (!ok) return;
          await call(what, { name: this.name, acceptProfileChanges: true });
        }
      }
      toast('ok', `${what === 'start' ? 'Started' : what === 'stop' ? 'Stopped' : 'Restarted'} ${this.name}`);
    } catch (err) {
      toastError(err, `Could not ${what} ${this.name}`);
    } finally {
      this.busy = null;
      this.renderHead();
      this.renderTabs();
      this.scheduleRefresh();
      if (this.tab === 'overview') void this.loadInfo();
    }
  }

  private async remove(): Promise<void> {
    const running = this.summary.state !== 'STOPPED';
    const ok = await confirmDialog(`Delete ${this.name}?`, `Its private home and settings are removed for good${running ? ', and it is stopped first' : ''}. Profiles are kept.`, 'Delete', true);
    if (!ok) return;
    try {
      for (const t of terminals.get(this.name) ?? []) t.close();
      terminals.delete(this.name);
      await call('delete', { name: this.name, force: running });
      toast('ok', `Deleted ${this.name}`);
      this.onDeleted();
    } catch (err) {
      toastError(err, 'Could not delete');
    }
  }

  private renderHead(): void {
    const s = this.summary;
    const running = s.state === 'RUNNING';
    const stopped = s.state === 'STOPPED';
    const btn = (label: string, iconName: Parameters<typeof icon>[0], on: () => void, opts: { primary?: boolean; disabled?: boolean; id: string; busy?: boolean }): HTMLElement => {
      const b = h('button', { class: `btn${opts.primary ? ' primary' : ''}${opts.busy ? ' busy' : ''}`, id: opts.id, disabled: Boolean(opts.disabled || this.busy) }, icon(iconName, 14), label);
      b.addEventListener('click', on);
      return b;
    };
    const menu = h('div', { class: 'menu-wrap' });
    const more = h('button', { class: 'btn btn-icon', title: 'More actions', 'aria-label': 'More actions', id: 'action-more', 'aria-haspopup': 'menu', 'aria-expanded': String(this.menuOpen) }, icon('more', 16));
    more.addEventListener('click', (e) => {
      e.stopPropagation();
      this.menuOpen = !this.menuOpen;
      this.renderHead();
      if (this.menuOpen) (this.head.querySelector('.menu-item:not([disabled])') as HTMLElement | null)?.focus();
    });
    more.addEventListener('keydown', (e) => {
      if (e.key === 'ArrowDown' && !this.menuOpen) {
        e.preventDefault();
        more.click();
      }
    });
    menu.append(more);
    if (this.menuOpen) {
      const item = (label: string, iconName: Parameters<typeof icon>[0], on: () => void, disabled = false, danger = false): HTMLElement => {
        const b = h('button', { class: `menu-item${danger ? ' danger' : ''}`, role: 'menuitem', disabled }, icon(iconName, 14), label);
        b.addEventListener('click', () => {
          this.menuOpen = false;
          this.renderHead();
          on();
        });
        return b;
      };
      const list = h('div', { class: 'menu', role: 'menu', 'aria-label': 'More actions' },
        item('Open in system terminal', 'external', () => void call('open-system-terminal', { name: this.name }).then((r) => toast('info', `Opened in ${r.terminal.replace(/^.*\//, '')}`)).catch((e: unknown) => toastError(e)), !running),
        item('Show log', 'log', () => {
          location.hash = `#/sandbox/${this.name}/logs`;
        }),
        h('div', { class: 'menu-sep', role: 'separator' }),
        item('Delete…', 'trash', () => void this.remove(), false, true),
      );
      // Arrows move between the items, Escape closes the menu and gives focus back to its button.
      list.addEventListener('keydown', (e) => {
        const items = Array.from(list.querySelectorAll<HTMLElement>('.menu-item:not([disabled])'));
        const at = items.indexOf(document.activeElement as HTMLElement);
        if (e.key === 'Escape') {
          e.preventDefault();
          e.stopPropagation();
          this.menuOpen = false;
          this.renderHead();
          (this.head.querySelector('#action-more') as HTMLElement | null)?.focus();
        } else if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
          e.preventDefault();
          const next = items[(at + (e.key === 'ArrowDown' ? 1 : items.length - 1)) % items.length];
          next?.focus();
        } else if (e.key === 'Home' || e.key === 'End') {
          e.preventDefault();
          (e.key === 'Home' ? items[0] : items[items.length - 1])?.focus();
        }
      });
      menu.append(list);
    }
    const vpnDown = running && s.vpn?.state === 'down';
    replace(this.head,
      h('div', { class: 'title-block' },
        h('div', { class: 'title-row' },
          h('h1', {}, s.name),
          h('span', { class: `pill pill-${s.state.toLowerCase()}`, id: 'state-pill' }, h('span', { class: 'dot' }), STATE_TEXT[s.state]),
          vpnDown ? h('span', { class: 'pill pill-vpn-down' }, icon('alert', 12), 'VPN down') : null,
        ),
        h('p', { class: 'subtitle' }, networkText(s.network), ' · ', s.profiles.length ? `profiles ${s.profiles.map((p) => p.replace(/^.*\//, '')).join(', ')}` : 'default settings', s.pid ? ` · pid ${s.pid}` : ''),
      ),
      h('div', { class: 'actions' },
        stopped ? btn('Start', 'play', () => void this.act('start'), { primary: true, id: 'action-start', busy: this.busy === 'start', disabled: Boolean(s.problem) }) : null,
        !stopped ? btn('Stop', 'stop', () => void this.act('stop'), { id: 'action-stop', disabled: !running, busy: this.busy === 'stop' }) : null,
        !stopped ? btn('Restart', 'restart', () => void this.act('restart'), { id: 'action-restart', disabled: !running, busy: this.busy === 'restart' }) : null,
        btn('Open shell', 'terminal', () => void this.openShell(), { primary: running, disabled: !running, id: 'action-shell' }),
        menu,
      ),
    );
  }

  dispose(): void {
    this.log?.close();
    this.log = null;
    if (this.refreshTimer !== null) clearInterval(this.refreshTimer);
  }

  /** Text for this page's log view; false when the view does not follow that id (yet). */
  receiveLog(followId: string, text: string): boolean {
    return this.log?.receive(followId, text) ?? false;
  }

  terminalExited(): void {
    this.renderTabs();
  }
}
