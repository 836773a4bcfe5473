// The manager window: routes (#/sandbox/NAME/TAB, #/profiles/NAME), the live sandbox list, and the
// events main pushes (state changes, terminal output, prompts, opened files).
import type { HostCheck, SandboxSummary, SandtrayEvent } from '../main/ipc/contract.js';
import { call, onEvent } from './api.js';
import { h, icon, replace } from './dom.js';
import { earlyLog, earlyTerminal } from './ui/early.js';
import { toast, toastError } from './ui/toast.js';
import { showOpenedFile } from './views/file-sheet.js';
import { showLeakCheck } from './views/leak-check.js';
import { showNewSandbox } from './views/new-sandbox.js';
import { ProfilesPage } from './views/profiles.js';
import { SandboxPage, findTerminal } from './views/sandbox-page.js';
import { cancelSecretPrompt, showSecretPrompt } from './views/secret-dialog.js';
import { renderSandboxList } from './views/sidebar.js';

let sandboxes: SandboxSummary[] = [];
/** How many `sandboxes` events have arrived: a listing reply older than one of them is not used. */
let listings = 0;
let page: SandboxPage | null = null;
let profiles: ProfilesPage | null = null;

const list = h('nav', { class: 'sb-list', id: 'sandbox-list', 'aria-label': 'Sandboxes' });
const content = h('main', { class: 'content', id: 'content' });
const banner = h('div', { class: 'host-banner', id: 'host-banner' });

function route(): { kind: 'sandbox'; name: string; tab: string | null } | { kind: 'profiles'; name: string | null } | { kind: 'home' } {
  const parts = location.hash.replace(/^#\/?/, '').split('/').filter(Boolean).map(decodeURIComponent);
  if (parts[0] === 'sandbox' && parts[1]) return { kind: 'sandbox', name: parts[1], tab: parts[2] ?? null };
  if (parts[0] === 'profiles') return { kind: 'profiles', name: parts[1] ?? null };
  return { kind: 'home' };
}

function emptyState(): HTMLElement {
  const create = h('button', { class: 'btn primary btn-large', id: 'empty-new' }, icon('plus', 16), 'New sandbox');
  create.addEventListener('click', () => void showNewSandbox(select));
  const prof = h('a', { class: 'btn btn-large', href: '#/profiles' }, icon('file', 16), 'Browse profiles');
  return h('div', { class: 'empty-state' },
    h('div', { class: 'empty-art' }, icon('tray', 56)),
    h('h1', {}, 'No sandboxes yet'),
    h('p', { class: 'muted' }, 'A sandbox is a shell or an app with its own home, processes and network, made without root. Start from a profile, or double-click a .sandtray file.'),
    h('div', { class: 'empty-actions' }, create, prof),
  );
}

function select(name: string): void {
  location.hash = `#/sandbox/${name}`;
}

let lastView = '';

/**
 * After a navigation to another view, focus goes to its heading (not to the page body), so a
 * keyboard or screen reader user starts where the new view starts. Tabs of one sandbox keep focus.
 */
function focusHeading(): void {
  const r = route();
  const key = r.kind === 'sandbox' ? `sandbox:${r.name}` : r.kind === 'profiles' ? 'profiles' : 'home';
  if (key === lastView) return;
  const first = lastView === '';
  lastView = key;
  if (first) return;
  const heading = content.querySelector<HTMLElement>('h1, h2');
  if (!heading) return;
  heading.tabIndex = -1;
  heading.focus({ preventScroll: true });
}

async function render(): Promise<void> {
  await renderView();
  focusHeading();
}

async function renderView(): Promise<void> {
  const r = route();
  const selected = r.kind === 'sandbox' ? r.name : null;
  renderSandboxList(list, sandboxes, selected);
  document.querySelector('.nav-profiles')?.classList.toggle('active', r.kind === 'profiles');
  if (r.kind !== 'sandbox' && page) {
    page.dispose();
    page = null;
  }
  if (r.kind === 'profiles') {
    profiles ??= new ProfilesPage((p) => void showNewSandbox(select, p));
    if (!profiles.el.isConnected) replace(content, profiles.el);
    await profiles.show(r.name);
    return;
  }
  if (r.kind === 'home') {
    const first = sandboxes[0];
    if (first) {
      history.replaceState(null, '', `#/sandbox/${first.name}`);
      return renderView();
    }
    replace(content, emptyState());
    return;
  }
  const summary = sandboxes.find((s) => s.name === r.name);
  if (!summary) {
    // No page stays behind this: the window may have come here before the listing had the sandbox
    // (one just made from a file or the dialog), and the listing that brings it must render its page.
    page?.dispose();
    page = null;
    replace(content, h('div', { class: 'empty-state' }, h('h1', {}, `No sandbox named ${r.name}`), h('p', { class: 'muted' }, 'It may have been deleted from the command line.')));
    return;
  }
  if (!page || page.name !== r.name) {
    page?.dispose();
    page = new SandboxPage(r.name, summary, () => {
      location.hash = '#/';
    });
    page.update(summary);
    replace(content, page.el);
  } else if (!page.el.isConnected) {
    replace(content, page.el);
  }
  await page.show(r.tab);
}

function onSandboxes(next: SandboxSummary[]): void {
  sandboxes = [...next].sort((a, b) => a.name.localeCompare(b.name));
  const r = route();
  renderSandboxList(list, sandboxes, r.kind === 'sandbox' ? r.name : null);
  if (page) {
    const s = sandboxes.find((x) => x.name === page!.name);
    if (s) page.update(s);
    else void render();
  } else if (r.kind === 'home' || r.kind === 'sandbox') {
    void render();
  }
}

function handle(e: SandtrayEvent): void {
  switch (e.type) {
    case 'sandboxes':
      listings += 1;
      onSandboxes(e.sandboxes);
      break;
    case 'state':
      break; // the listing that follows carries it
    case 'terminal-data': {
      const t = findTerminal(e.id);
      if (t) t.receive(e.data);
      else earlyTerminal.data(e.id, e.data);
      break;
    }
    case 'terminal-exit': {
      const t = findTerminal(e.id);
      if (t) {
        t.exit(e.exitCode);
        page?.terminalExited();
      } else {
        earlyTerminal.end(e.id, e.exitCode);
      }
      break;
    }
    case 'log-data':
      if (!page?.receiveLog(e.followId, e.text)) earlyLog.data(e.followId, e.text);
      break;
    case 'secret-prompt':
      showSecretPrompt(e);
      break;
    case 'secret-cancel':
      cancelSecretPrompt(e.promptId);
      break;
    case 'file-opened':
      showOpenedFile(e.file, select);
      break;
    case 'navigate':
      if (e.view === 'new') void showNewSandbox(select);
      else if (e.view === 'import') void importVpn();
      else if (e.view === 'leaks' && e.name) {
        location.hash = `#/sandbox/${e.name}/overview`;
        showLeakCheck(e.name);
      }
      else if (e.view === 'profiles') location.hash = '#/profiles';
      else if (e.name) location.hash = `#/sandbox/${e.name}/${e.view}`;
      break;
    case 'notice':
      toast(e.level, e.message, e.hint);
      break;
  }
}

function renderHostChecks(checks: readonly HostCheck[]): void {
  const bad = checks.filter((c) => c.level === 'error');
  if (!bad.length) {
    banner.hidden = true;
    return;
  }
  banner.hidden = false;
  replace(banner, icon('alert', 18), h('div', { class: 'banner-text' },
    h('strong', {}, 'This computer blocks sandboxes'),
    bad.map((c) => h('div', { class: 'banner-item' }, h('span', {}, c.detail), c.fix ? h('code', { class: 'fix' }, c.fix) : null)),
  ));
}

/** "Import VPN...": main's file chooser, then the same sheet a double-clicked file gets. */
async function importVpn(): Promise<void> {
  try {
    const f = await call('pick-vpn-file', {});
    if (f) showOpenedFile(f, select);
  } catch (err) {
    toastError(err, 'Cannot import');
  }
}

async function boot(): Promise<void> {
  const newBtn = h('button', { class: 'btn primary btn-block', id: 'sidebar-new' }, icon('plus', 14), 'New sandbox');
  newBtn.addEventListener('click', () => void showNewSandbox(select));
  const importBtn = h('button', { class: 'btn btn-block', id: 'sidebar-import' }, icon('lock', 14), 'Import VPN…');
  importBtn.addEventListener('click', () => void importVpn());
  document.body.append(h('div', { class: 'app' },
    h('aside', { class: 'sidebar' },
      h('div', { class: 'brand' }, h('span', { class: 'brand-mark' }, icon('tray', 20)), h('span', { class: 'brand-name' }, 'Sandtray')),
      newBtn,
      importBtn,
      h('div', { class: 'sb-section' }, 'Sandboxes'),
      list,
      h('div', { class: 'sb-foot' }, h('a', { class: 'nav-profiles', href: '#/profiles' }, icon('layers', 16), 'Profiles')),
    ),
    h('div', { class: 'main-col' }, banner, content),
  ));
  banner.hidden = true;
  onEvent(handle);
  window.addEventListener('hashchange', () => void render());
  try {
    // Replies and events are separate messages: a `sandboxes` event can arrive while the call is
    // out, and the reply must not put back the listing it replaced. An event that arrives after
    // the call was made is kept even if main read the reply later: any change after the event's
    // listing is sent as an event of its own, so the window still ends up current.
    const asked = listings;
    const listed = await call('list', {});
    if (listings === asked) sandboxes = listed.sort((a, b) => a.name.localeCompare(b.name));
  } catch (err) {
    toastError(err, 'Cannot list sandboxes');
  }
  await render();
  void call('file-pending', {}).then((files) => files.forEach((f) => showOpenedFile(f, select))).catch(() => undefined);
  void call('host-check', {}).then((r) => renderHostChecks(r.checks)).catch(() => undefined);
}

void boot();
