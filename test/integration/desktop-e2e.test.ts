// End to end: the real manager window (the built renderer bundle) in Debian's Chromium, talking
// through the test bridge to the same main-side handlers, on the real engine with real sandboxes.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { execa } from 'execa';
import type { Browser, Page } from 'playwright-core';
import { createServices, type Services } from '../../main/app/services.js';
import type { Notice } from '../../main/engine/notices.js';
import type { SandtrayEvent } from '../../main/ipc/contract.js';
import type { Keyring } from '../../main/secrets/keyring.js';
import { enginePrompt } from '../../main/secrets/engine-prompt.js';
import { launchChromium, startBridge, type Bridge } from '../lib/desktop-bridge.js';
import { BIN, PROFILES, ROOT, sandtrayEnv } from '../lib/sandtray.js';

const SHOTS = path.join(ROOT, 'test-output', 'screenshots');

let dir: string;
let env: Record<string, string>;
let services: Services;
let bridge: Bridge;
let browser: Browser;
let page: Page;
const notices: Notice[] = [];
/** Every event main sent, in order. */
const sent: SandtrayEvent[] = [];
const picked: string[] = [];
const stored = new Map<string, string>();
const keyring: Keyring = {
  get: async (a) => stored.get(a) ?? null,
  set: async (a, s) => {
    stored.set(a, s);
  },
  remove: async (a) => stored.delete(a),
};

async function cli(...args: string[]): Promise<string> {
  const r = await execa(process.execPath, [BIN, ...args], { env, extendEnv: false, reject: false, stdin: 'ignore' });
  if (r.exitCode !== 0) throw new Error(`sandtray ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

async function cliState(name: string): Promise<string> {
  const all = JSON.parse(await cli('list', '--json')) as { name: string; state: string }[];
  return all.find((s) => s.name === name)?.state ?? 'MISSING';
}

const axeFound: string[] = [];
const AXE = fs.readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
interface AxeViolation { id: string; impact: string | null; help: string; nodes: { target: string[]; failureSummary?: string }[] }

/** axe-core on the page as it is now; critical and serious violations, described. */
async function axeProblems(): Promise<string[]> {
  // Injected through DevTools, which the page's CSP does not govern; the page itself loads nothing new.
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(AXE);
  const violations = await page.evaluate(async () => {
    const r = await (window as unknown as { axe: { run(ctx: Document, o: unknown): Promise<{ violations: unknown[] }> } }).axe.run(document, { resultTypes: ['violations'] });
    return r.violations;
  }) as AxeViolation[];
  return violations.filter((v) => v.impact === 'critical' || v.impact === 'serious')
    .map((v) => `${v.impact} ${v.id} (${v.help}): ${v.nodes.slice(0, 4).map((n) => `${n.target.join(' ')}${n.failureSummary ? ` [${n.failureSummary.replace(/\s+/g, ' ').slice(0, 160)}]` : ''}`).join('; ')}`);
}

/** The view as it is now, in both themes: axe-core finds no critical or serious problem. */
async function accessible(view: string, found: string[]): Promise<void> {
  // Colours are judged as they end, not halfway through a transition.
  await page.addStyleTag({ content: '*, *::before, *::after { transition: none !important; animation: none !important; }' });
  for (const scheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    await page.waitForTimeout(50);
    for (const p of await axeProblems()) found.push(`${view} (${scheme}): ${p}`);
  }
  await page.emulateMedia({ colorScheme: 'light' });
}

async function shot(name: string, keepToasts = false): Promise<void> {
  if (!keepToasts) await page.evaluate(() => document.querySelectorAll('.toast').forEach((t) => t.remove()));
  await page.waitForTimeout(150); // let transitions settle
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`) });
}

before(async () => {
  ({ dir, env } = sandtrayEnv('desktop-e2e'));
  // The in-process engine reads the XDG variables on every call.
  Object.assign(process.env, env);
  fs.mkdirSync(SHOTS, { recursive: true });

  await cli('create', 'alpha', '--profile', 'shell');
  await cli('create', 'builder', '--profile', path.join(PROFILES, 'dev.sandtray'));

  services = createServices({
    emit: (e) => {
      sent.push(e);
      bridge?.emit(e);
    },
    notify: (n) => notices.push(n),
    keyring,
    openSystemTerminal: () => '/usr/bin/true',
    // The file chooser of "Import VPN…": the files a test lined up, as if the user picked them.
    pickVpnFile: async () => picked.shift() ?? null,
  });
  services.feed.start();
  // The window steps main takes (main/main.ts): prompts replayed once loaded, shells ended with the page.
  bridge = await startBridge(services.handlers, { onLoaded: () => services.secrets.replay(), release: (id) => services.releaseOwner(id) });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1280, height: 800 }, colorScheme: 'light' });
  page.on('pageerror', (e) => {
    throw e;
  });
  await page.goto(bridge.newWindow().url);
  await bridge.waitForClients();
});

after(async () => {
  await browser?.close();
  await bridge?.close();
  services?.close();
  for (const n of ['alpha', 'builder', 'opened', 'picked', 'work-vpn', 'home-wg', 'office']) await cli('delete', '--force', n).catch(() => undefined);
  if (dir) {
    // The test's read-only folder of links must be writable again to be removed.
    try {
      fs.chmodSync(path.join(dir, 'links'), 0o755);
    } catch {
      // not made
    }
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('first launch: the list is there at once, no call refused', async () => {
  // Nothing changes after the page loads, so only the page's own first calls can fill the list:
  // they run before did-finish-load, and main must already trust the window then.
  await page.waitForSelector('#sandbox-list .sb-item, #content .empty-state');
  assert.equal(await page.locator('#content .empty-state').count(), 0, 'the window says "No sandboxes yet" with two sandboxes made');
  assert.deepEqual(await page.$$eval('#sandbox-list .sb-item', (l) => l.map((e) => e.getAttribute('data-name'))), ['alpha', 'builder']);
  assert.equal(bridge.refused, 0);
});

test('the list shows every sandbox with its live state', async () => {
  await page.waitForSelector('#sandbox-list .sb-item[data-name="alpha"]');
  assert.equal(await page.locator('#sandbox-list .sb-item').count(), 2);
  assert.equal(await page.getAttribute('.sb-item[data-name="alpha"]', 'data-state'), 'STOPPED');
  await page.click('.sb-item[data-name="alpha"]');
  await page.waitForSelector('#state-pill');
  assert.match(await page.textContent('#state-pill') ?? '', /Stopped/);
  await shot('list-stopped');
});

test('start from the window: the window and the CLI agree it is running', async () => {
  await page.click('#action-start');
  await page.waitForSelector('.sb-item[data-name="alpha"][data-state="RUNNING"]', { timeout: 30_000 });
  await page.waitForSelector('#state-pill.pill-running');
  assert.equal(await cliState('alpha'), 'RUNNING');
  // Details: namespaces, processes and the expanded profile with origins.
  await page.waitForSelector('#card-namespaces .ns');
  await page.waitForSelector('#card-procs tbody tr');
  const profileText = await page.textContent('#card-profile');
  assert.match(profileText ?? '', /network\.mode/);
  assert.match(profileText ?? '', /profile shell/);
  await shot('details-running');
});

test('a terminal tab runs a shell inside; typing a command shows its output', async () => {
  await page.click('#action-shell');
  await page.waitForSelector('.terminal-host .xterm-screen');
  await page.waitForFunction(() => document.querySelector('.xterm-rows')?.textContent?.includes('#'), null, { timeout: 30_000 });
  await page.keyboard.type('echo hello-$((6*7)) from $(hostname)\n');
  await page.waitForFunction(() => document.querySelector('.xterm-rows')?.textContent?.includes('hello-42 from alpha'), null, { timeout: 30_000 });
  await page.keyboard.type('tty; ls /\n');
  await page.waitForFunction(() => /\/dev\/pts\/\d/.test(document.querySelector('.xterm-rows')?.textContent ?? ''), null, { timeout: 30_000 });
  await shot('terminal');

  // The pseudo-terminal follows the tab's size.
  const sizeOf = async (): Promise<string> => {
    const marker = `size-${Math.random().toString(36).slice(2, 8)}`;
    await page.keyboard.type(`echo ${marker} $(stty size)\n`);
    const h = await page.waitForFunction((m) => new RegExp(`${m} (\\d+ \\d+)`).exec(document.querySelector('.xterm-rows')?.textContent ?? '')?.[1], marker, { timeout: 30_000 });
    return (await h.jsonValue()) as string;
  };
  const before = await sizeOf();
  await page.setViewportSize({ width: 1000, height: 640 });
  // The new size travels: layout, fit, a call to main, the pty, SIGWINCH inside. Ask until it is there.
  let after = await sizeOf();
  for (let i = 0; i < 40 && after === before; i++) {
    await page.waitForTimeout(250);
    after = await sizeOf();
  }
  await page.setViewportSize({ width: 1280, height: 800 });
  assert.notEqual(after, before, `stty size stayed ${before}`);
  const [rows, cols] = after.split(' ').map(Number);
  assert.ok(rows! < Number(before.split(' ')[0]) && cols! < Number(before.split(' ')[1]), `${before} -> ${after}`);

  const tabs = services.terminals.list();
  assert.equal(tabs.length, 1);
  const pids = services.terminals.pidsOf(tabs[0]!.id);
  assert.ok(pids.length >= 1, 'the tab has a session');
  // The close button is a button of its own the keyboard reaches: Tab from the shell's tab, Enter.
  await page.focus('.tab-wrap .tab');
  await page.keyboard.press('Tab');
  assert.match(await page.evaluate(() => document.activeElement?.getAttribute('aria-label') ?? ''), /^Close Shell 1/);
  await accessible('terminal', axeFound);
  await page.focus('.tab-close');
  await page.keyboard.press('Enter');
  // Closing the tab ends that shell's session only: the sandbox keeps running.
  for (let i = 0; i < 100 && (pids.some((p) => fs.existsSync(`/proc/${p}`)) || services.terminals.count > 0); i++) await new Promise((r) => setTimeout(r, 50));
  assert.deepEqual(pids.filter((p) => fs.existsSync(`/proc/${p}`)), [], 'the shell session is gone');
  assert.equal(services.terminals.count, 0);
  // What ran inside went with it (it leads a session of its own there, so it goes by the hangup).
  for (let i = 0; i < 100 && /script|bash/.test(await cli('ps', 'alpha')); i++) await new Promise((r) => setTimeout(r, 50));
  assert.doesNotMatch(await cli('ps', 'alpha'), /script|bash/);
  assert.equal(await cliState('alpha'), 'RUNNING');
  assert.deepEqual(axeFound, []);
});

test("a shell's first output that reaches the window before the reply naming its tab is shown", async () => {
  // The reply to "open a shell" is held until the shell has printed, and a moment more for the
  // page to get that output first: the prompt must still show, not be dropped as for no tab.
  let openedId = '';
  bridge.holdReply('terminal-open', async (value) => {
    openedId = (value as { id: string }).id;
    for (let i = 0; i < 400 && !sent.some((e) => e.type === 'terminal-data' && e.id === openedId); i++) await new Promise((r) => setTimeout(r, 25));
    await new Promise((r) => setTimeout(r, 300));
  });
  await page.click('#action-shell');
  await page.waitForSelector('.terminal-host .xterm-screen');
  await page.waitForFunction(() => document.querySelector('.xterm-rows')?.textContent?.includes('#'), null, { timeout: 30_000 });
  assert.ok(sent.some((e) => e.type === 'terminal-data' && e.id === openedId), 'the shell printed before its tab knew its id');
  await page.keyboard.type('echo early-$((2*3))\n');
  await page.waitForFunction(() => document.querySelector('.xterm-rows')?.textContent?.includes('early-6'), null, { timeout: 30_000 });
  await page.focus('.tab-close');
  await page.keyboard.press('Enter');
  for (let i = 0; i < 100 && services.terminals.count > 0; i++) await new Promise((r) => setTimeout(r, 50));
  assert.equal(services.terminals.count, 0);
});

test('the log view follows new lines', async () => {
  // A line written after main read the log for the view, which reaches the window before the
  // reply with that read, is shown too: the reply is held until the line was sent.
  bridge.holdReply('log-follow', async (value) => {
    const followId = (value as { followId: string }).followId;
    await cli('exec', 'alpha', '--', 'sh', '-c', 'echo line-before-the-reply >> /proc/1/fd/1');
    for (let i = 0; i < 400 && !sent.some((e) => e.type === 'log-data' && e.followId === followId && e.text.includes('line-before-the-reply')); i++) await new Promise((r) => setTimeout(r, 25));
    await new Promise((r) => setTimeout(r, 300));
  });
  await page.click('.tab:has-text("Log")');
  await page.waitForFunction(() => document.querySelector('#log-text')?.textContent?.includes('running, pid 1 is host pid'), null, { timeout: 30_000 });
  await page.waitForFunction(() => document.querySelector('#log-text')?.textContent?.includes('line-before-the-reply'), null, { timeout: 30_000 });
  assert.ok(sent.some((e) => e.type === 'log-data' && e.text.includes('line-before-the-reply')), 'the line came as an event, not in the reply');
  // A line from inside dressed as a lifecycle event, with markup and an escape sequence, shows as
  // the sandbox's own text: marked, never tagged "sandtray", no element made from it.
  await cli('exec', 'alpha', '--', 'sh', '-c', "printf '\\033[2J2030-01-01T00:00:00.000Z sandtray: <img src=x onerror=alert(1)>forged\\n' >> /proc/1/fd/1");
  await page.waitForFunction(() => document.querySelector('#log-text')?.textContent?.includes('>forged'), null, { timeout: 30_000 });
  const forged = await page.evaluate(() => {
    const line = Array.from(document.querySelectorAll('#log-text .log-line')).find((l) => l.textContent?.includes('>forged'))!;
    return { cls: line.className, text: line.textContent ?? '', imgs: line.querySelectorAll('img').length, tags: line.querySelectorAll('.log-tag').length };
  });
  assert.match(forged.cls, /log-line-inside/);
  assert.equal(forged.imgs, 0);
  assert.equal(forged.tags, 0);
  assert.ok(forged.text.includes('^[[2J2030-01-01T00:00:00.000Z sandtray: <img src=x onerror=alert(1)>forged'), forged.text);
  await shot('logs');
});

test('stop from the CLI elsewhere: the window follows', async () => {
  await cli('stop', 'alpha');
  await page.waitForSelector('.sb-item[data-name="alpha"][data-state="STOPPED"]', { timeout: 30_000 });
  // The log view that is open got the stop lines as they were written.
  await page.waitForFunction(() => document.querySelector('#log-text')?.textContent?.includes('stopped'), null, { timeout: 30_000 });
  assert.equal(notices.length, 0, 'a deliberate stop is not reported as unexpected');
});

test('start and stop from the window', async () => {
  await page.click('.tab:has-text("Overview")');
  await page.click('#action-start');
  await page.waitForSelector('.sb-item[data-name="alpha"][data-state="RUNNING"]', { timeout: 30_000 });
  await page.click('#action-stop');
  await page.waitForSelector('.sb-item[data-name="alpha"][data-state="STOPPED"]', { timeout: 30_000 });
  assert.equal(await cliState('alpha'), 'STOPPED');
});

test('the profile editor shows schema errors inline before saving', async () => {
  await page.click('.nav-profiles');
  await page.waitForSelector('#profile-text');
  await page.click('#profile-new');
  await page.fill('#profile-name', 'from-editor');
  const bad = ['apiVersion: sandtray/v1', 'description: typo test', 'network:', '  mode: wifi', 'mounts:', '  - source: /nonexistent-folder-for-test', '    target: relative/path', 'colour: blue', ''].join('\n');
  await page.fill('#profile-text', bad);
  await page.waitForFunction(() => document.querySelectorAll('#profile-problems .issue').length >= 3, null, { timeout: 30_000 });
  const problems = await page.textContent('#profile-problems');
  assert.match(problems ?? '', /network\.mode/);
  assert.match(problems ?? '', /mounts\[0\]\.target/);
  assert.match(problems ?? '', /unknown key "colour"/);
  assert.ok(await page.locator('.ln-err').count() >= 3, 'the problem lines are marked in the gutter');
  assert.equal(await page.isDisabled('#profile-save'), true, 'an invalid profile cannot be saved');
  await shot('editor-errors');

  const good = ['apiVersion: sandtray/v1', 'description: Made in the editor', 'hostname: edited', 'network:', '  mode: none', ''].join('\n');
  await page.fill('#profile-text', good);
  await page.waitForSelector('#profile-status .badge-ok', { timeout: 30_000 });
  assert.equal(await page.isDisabled('#profile-save'), false);
  await page.click('#profile-save');
  await page.waitForSelector('.plist-item[data-name="from-editor"]');
  assert.equal(fs.readFileSync(path.join(env['XDG_CONFIG_HOME']!, 'sandtray', 'profiles', 'from-editor.sandtray'), 'utf8'), good);
  await shot('editor-valid');
});

test('examples are read-only templates: Save as copy, with folders named in full; edits are not lost by switching', async () => {
  await page.click('.plist-item[data-name="dev"]');
  await page.waitForFunction(() => (document.querySelector('#profile-text') as HTMLTextAreaElement | null)?.value.includes('Development shell'));
  assert.equal(await page.inputValue('#profile-name'), 'my-dev', 'a copy gets a name of its own');
  assert.match(await page.textContent('#profile-save') ?? '', /Save as copy/);
  // The example's `.` means the folder a sandbox is created from; in the profiles folder it would
  // mean ~/.config/sandtray/profiles.
  await page.waitForFunction(() => document.querySelector('#profile-problems')?.textContent?.includes('mounts[0].source'));
  assert.match(await page.textContent('#profile-problems') ?? '', /"\." is relative: in your profiles folder it would mean a folder under/);
  assert.equal(await page.isDisabled('#profile-save'), true);
  await shot('editor-example');
  // Saving under the example's own name is refused by main, whatever the window sends.
  await assert.rejects(async () => services.handlers['save-profile']({ name: 'dev', text: 'apiVersion: sandtray/v1\n' }, { senderId: 1 }), /example that ships with Sandtray/);
  const text = (await page.inputValue('#profile-text')).replace(/source: \.$/m, `source: ${dir}`);
  await page.fill('#profile-text', text);
  await page.waitForSelector('#profile-status .badge-ok', { timeout: 30_000 });
  // Unsaved edits: switching asks first; "Cancel" keeps them.
  await page.click('.plist-item[data-name="shell"]');
  await page.waitForSelector('dialog .btn.danger');
  assert.match(await page.textContent('dialog') ?? '', /Discard your changes\?/);
  await shot('editor-discard', true);
  await page.click('dialog .btn:has-text("Cancel")');
  assert.equal(await page.inputValue('#profile-text'), text);
  assert.equal(await page.inputValue('#profile-name'), 'my-dev');
  await page.click('#profile-save');
  await page.waitForSelector('.plist-item[data-name="my-dev"]');
  const saved = fs.readFileSync(path.join(env['XDG_CONFIG_HOME']!, 'sandtray', 'profiles', 'my-dev.sandtray'), 'utf8');
  assert.match(saved, new RegExp(`source: ${dir.replace(/[/.-]/g, '\\$&')}`));
  assert.ok(fs.existsSync(path.join(PROFILES, 'dev.sandtray')), 'the example is untouched');
  // Narrow window: the editor keeps its width and nothing overflows sideways.
  await page.setViewportSize({ width: 800, height: 600 });
  await page.waitForTimeout(100);
  const widths = await page.evaluate(() => ({ doc: document.documentElement.scrollWidth, code: document.querySelector('.code')!.getBoundingClientRect().width }));
  assert.ok(widths.doc <= 800, `the page is ${widths.doc}px wide`);
  assert.ok(widths.code >= 400, `the editor is ${widths.code}px wide`);
  await shot('editor-800');
  await page.setViewportSize({ width: 1280, height: 800 });
});

test('the credential dialog sends the password to main once and remembers it in the keyring', async () => {
  await page.click('.sb-item[data-name="alpha"]');
  const first = services.secrets.request({ sandbox: 'alpha', account: 'alpha/auth-user-pass', label: 'Password for alice@vpn.example.test', detail: 'OpenVPN asks for the account password of vpn.example.test.' });
  await page.waitForSelector('#secret-input');
  await page.fill('#secret-input', 'correct horse battery staple');
  await page.check('#secret-remember');
  await shot('credential-dialog');
  await page.click('#secret-submit');
  assert.equal(await first, 'correct horse battery staple');
  assert.equal(stored.get('alpha/auth-user-pass'), 'correct horse battery staple');
  await page.waitForSelector('#secret-input', { state: 'detached' });
  // Remembered: the next request is answered from the keyring without asking the window again.
  assert.equal(await services.secrets.request({ sandbox: 'alpha', account: 'alpha/auth-user-pass', label: 'x' }), 'correct horse battery staple');
  assert.equal(await page.locator('#secret-input').count(), 0);
  // Cancel rejects the request.
  const cancelled = services.secrets.request({ sandbox: 'alpha', account: 'alpha/other', label: 'One-time code', canRemember: false }).then(() => 'answered', (e: Error) => e.message);
  await page.waitForSelector('#secret-input');
  assert.equal(await page.locator('#secret-remember').count(), 0, 'no remember box for one-time codes');
  await page.keyboard.press('Escape');
  assert.match(await cancelled, /Cancelled/);
});

test('the engine asks for a user name, then a password: one dialog asks for both', async () => {
  const ask = enginePrompt(services.secrets);
  // The engine's questions, in the order and words helpers/secrets/resolve.ts asks them.
  const user = ask('VPN user name for sandbox alpha: ', { sandbox: 'alpha', key: 'username', label: 'VPN user name' });
  await page.waitForSelector('#secret-password');
  await page.fill('#secret-input', 'alice');
  await page.fill('#secret-password', 'hunter2 battery');
  await shot('credential-dialog-both', true);
  await page.click('#secret-submit');
  assert.equal(await user, 'alice');
  await page.waitForSelector('#secret-input', { state: 'detached' });
  // The password question that follows is answered without a second dialog.
  assert.equal(await ask('VPN password for sandbox alpha: ', { sandbox: 'alpha', key: 'password', label: 'VPN password' }), 'hunter2 battery');
  assert.equal(await page.locator('#secret-input').count(), 0, 'no second dialog');
});

test('opening a .sandtray file shows what it may see and offers Create and start', async () => {
  const file = path.join(dir, 'opened.sandtray');
  fs.mkdirSync(path.join(dir, 'shared'));
  // The link sits in a folder no one may write (start refuses a link a sandbox could re-point),
  // yet the summary still shows it and where it leads.
  fs.mkdirSync(path.join(dir, 'links'));
  fs.symlinkSync('../shared', path.join(dir, 'links', 'shared-link'));
  fs.chmodSync(path.join(dir, 'links'), 0o555);
  fs.writeFileSync(file, ['apiVersion: sandtray/v1', 'description: Reads a shared folder', 'mounts:', '  - source: links/shared-link', '    target: /shared', '    readOnly: false', 'network:', '  mode: host', 'nesting: true', ''].join('\n'));
  bridge.emit({ type: 'file-opened', file: services.files.add(file) });
  await page.waitForSelector('.file-sheet #file-create-start');
  const text = await page.textContent('.file-sheet');
  assert.match(text ?? '', /\/shared/);
  assert.match(text ?? '', /read-write/);
  // The engine's risks (helpers/profile/risks.ts), as `sandtray profile validate` prints them.
  assert.match(text ?? '', /Host mode shares your network: .*programs inside can read and type into every window of your desktop/);
  assert.match(text ?? '', /shared-link is a symbolic link to .*\/shared:/);
  assert.match(text ?? '', /really .*\/shared\)/);
  assert.match(text ?? '', /sandboxes of their own/);
  assert.equal(await page.inputValue('#file-name'), 'opened');
  await shot('file-open');
  await page.click('#file-create-start');
  await page.waitForSelector('.sb-item[data-name="opened"][data-state="RUNNING"]', { timeout: 30_000 });
  assert.equal(await cliState('opened'), 'RUNNING');
  // The sandbox's details show the list `sandtray info` prints, one line per risk.
  await page.click('.sb-item[data-name="opened"]');
  await page.waitForSelector('#risks li');
  const cliRisks = (JSON.parse(await cli('info', 'opened', '--json')) as { risks: { key: string; message: string }[] }).risks;
  const shown = await page.$$eval('#risks li', (lis) => lis.map((li) => [li.getAttribute('data-key'), li.textContent]));
  assert.deepEqual(shown, cliRisks.map((r) => [r.key, `${r.message.charAt(0).toUpperCase()}${r.message.slice(1)}.`]));
  assert.ok(cliRisks.some((r) => r.key === 'network.mode'));
  // The page leads with what the sandbox can see, not with pid 1 and namespace numbers.
  assert.equal(await page.$eval('.overview > :first-child', (e) => e.id), 'card-sees');
  assert.equal(await page.textContent('#network-badge'), 'your network');
  assert.match(await page.textContent('#sees-files') ?? '', /shared-link \(really .*\/shared\) → \/shared read-write/);
  await shot('details-risks');
});

test('opening an .ovpn file shows its servers and imports a private copy', async () => {
  const file = path.join(dir, 'Work VPN.ovpn');
  fs.writeFileSync(file, ['client', 'dev tun', 'proto udp', 'remote vpn.example.test 1194', 'remote vpn2.example.test 443 tcp', 'auth-user-pass', '<ca>', '-----BEGIN CERTIFICATE-----', 'MIIB', '-----END CERTIFICATE-----', '</ca>', ''].join('\n'));
  bridge.emit({ type: 'file-opened', file: services.files.add(file) });
  await page.waitForSelector('.file-sheet #file-create');
  const text = await page.textContent('.file-sheet');
  assert.match(text ?? '', /vpn\.example\.test/);
  assert.match(text ?? '', /port 443 · tcp/);
  assert.match(text ?? '', /user name and password/);
  // The engine's verdict, as `sandtray vpn import` prints it.
  assert.match(text ?? '', /What Sandtray does with this file.*Left out.*dev \(line 2\) · Sandtray sets this itself/s);
  assert.equal(await page.inputValue('#file-name'), 'work-vpn');
  await shot('import-vpn');
  // A refused import says why in the sheet itself (a toast would sit behind the modal).
  await page.fill('#file-name', 'alpha');
  await page.click('#file-create');
  await page.waitForSelector('.file-sheet .dialog-error:not([hidden])');
  assert.match(await page.textContent('.file-sheet .dialog-error') ?? '', /alpha/);
  assert.equal(await page.locator('.toast').count(), 0, 'no error behind the dialog');
  assert.equal(fs.existsSync(path.join(env['XDG_CONFIG_HOME']!, 'sandtray', 'vpn', 'alpha.ovpn')), false, 'a refused import leaves no copy');
  await shot('import-vpn-error', true);
  await page.fill('#file-name', 'work-vpn');
  // One sheet asks everything: the user name and password the server wants, and where to keep them
  // (the file store, consented to here, said as what it is).
  assert.match(await page.textContent('.file-sheet .secrets-part') ?? '', /0600 files under ~\/\.config\/sandtray\/secrets\/.*Any program running as you can read them/);
  await page.fill('#file-username', 'alice');
  await page.fill('#file-password', 'correct horse');
  await page.check('#file-store-file');
  await shot('import-vpn-credentials');
  await page.click('#file-create');
  await page.waitForSelector('.file-sheet', { state: 'detached' });
  const secretDir = path.join(env['XDG_CONFIG_HOME']!, 'sandtray', 'secrets', 'work-vpn');
  for (const [key, value] of [['username', 'alice'], ['password', 'correct horse']] as const) {
    const f = fs.readdirSync(secretDir).find((x) => x.startsWith(key));
    assert.ok(f, `${key} is in the file store: ${fs.readdirSync(secretDir).join(', ')}`);
    assert.equal(fs.statSync(path.join(secretDir, f)).mode & 0o777, 0o600);
    assert.equal(fs.readFileSync(path.join(secretDir, f), 'utf8').trim(), value);
  }
  assert.match(await cli('info', 'work-vpn'), /kept in files/, '`info` says where its secrets are');
  const copy = path.join(env['XDG_CONFIG_HOME']!, 'sandtray', 'vpn', 'work-vpn.ovpn');
  // The app imports through the engine's importer, as `sandtray vpn import` does.
  const stored = fs.readFileSync(copy, 'utf8');
  assert.match(stored, /^# Imported by Sandtray/);
  assert.match(stored, /^remote vpn\.example\.test 1194$/m);
  assert.equal(fs.statSync(copy).mode & 0o777, 0o600, 'the copy may hold keys: private');
  const made = JSON.parse(await cli('info', 'work-vpn', '--json')) as { network: string };
  assert.equal(made.network, 'vpn');
});

test('Import VPN… in the window: the keyring refused says so in the sheet, nothing is left; the file store, chosen, works', async () => {
  const file = path.join(dir, 'home-wg.conf');
  const key = Buffer.alloc(32, 7).toString('base64');
  const peer = Buffer.alloc(32, 9).toString('base64');
  fs.writeFileSync(file, ['[Interface]', `PrivateKey = ${key}`, 'Address = 198.18.7.2/32', 'DNS = 198.18.7.1', '', '[Peer]', `PublicKey = ${peer}`, 'Endpoint = 198.18.7.1:51820', 'AllowedIPs = 0.0.0.0/0', ''].join('\n'));
  picked.push(file);
  await page.click('#sidebar-import');
  await page.waitForSelector('.file-sheet #file-create');
  assert.equal(await page.inputValue('#file-name'), 'home-wg');
  assert.equal(await page.isChecked('#file-store-keyring'), true, 'the keyring unless the user says otherwise');
  await page.click('#file-create');
  await page.waitForSelector('.file-sheet .dialog-error:not([hidden])');
  assert.match(await page.textContent('.file-sheet .dialog-error') ?? '', /No keyring.*In a file only you can read/s);
  assert.equal(await cliState('home-wg'), 'MISSING', 'a refused import leaves no sandbox');
  assert.equal(fs.existsSync(path.join(env['XDG_CONFIG_HOME']!, 'sandtray', 'vpn', 'home-wg.conf')), false);
  await shot('import-wireguard-no-keyring', true);
  await page.check('#file-store-file');
  await page.click('#file-create');
  await page.waitForSelector('.file-sheet', { state: 'detached' });
  const secretDir = path.join(env['XDG_CONFIG_HOME']!, 'sandtray', 'secrets', 'home-wg');
  const f = fs.readdirSync(secretDir).find((x) => x.startsWith('private-key'));
  assert.ok(f);
  assert.equal(fs.readFileSync(path.join(secretDir, f), 'utf8').trim(), key);
  assert.doesNotMatch(fs.readFileSync(path.join(env['XDG_CONFIG_HOME']!, 'sandtray', 'vpn', 'home-wg.conf'), 'utf8'), new RegExp(key.replace(/[+/=]/g, '.')), 'the key is not in the stored configuration');
  // Cancel leaves nothing.
  picked.push(file);
  await page.click('#sidebar-import');
  await page.waitForSelector('.file-sheet #file-create');
  await page.fill('#file-name', 'never-made');
  await page.click('.file-sheet .dialog-foot .btn:has-text("Cancel")');
  await page.waitForSelector('.file-sheet', { state: 'detached' });
  assert.equal(await cliState('never-made'), 'MISSING');
  assert.equal(services.files.pending().length, 0);
});

test('a sandbox that dies on its own is reported', async () => {
  const info = JSON.parse(await cli('info', 'opened', '--json')) as { pid: number };
  process.kill(info.pid, 'SIGKILL');
  await page.waitForSelector('.sb-item[data-name="opened"][data-state="STOPPED"]', { timeout: 30_000 });
  // main sends the notice with the update that carries the stop, before the listing reaches the page.
  for (let i = 0; i < 600 && !notices.length; i++) await new Promise((r) => setTimeout(r, 50));
  assert.equal(notices.length, 1);
  assert.match(notices[0]!.title, /opened stopped unexpectedly/);
});

test('new sandbox dialog: profiles in the order picked, created and started', async () => {
  await page.click('#sidebar-new');
  await page.waitForSelector('#new-name');
  // A name in use: the dialog says so itself and stays open.
  await page.fill('#new-name', 'alpha');
  await page.click('#new-create');
  await page.waitForSelector('dialog .dialog-error:not([hidden])');
  assert.match(await page.textContent('dialog .dialog-error') ?? '', /alpha/);
  assert.equal(await page.locator('.toast-error').count(), 0, 'no error behind the dialog');
  await shot('new-sandbox-error', true);
  await page.fill('#new-name', 'picked');
  await page.check('.pick input[value="shell"]');
  // What it will see, before Create: the expansion of the picked profiles.
  await page.waitForFunction(() => document.querySelector('#new-preview')?.textContent?.includes('No network'));
  await page.check('.pick input[value="dev"]');
  await page.waitForFunction(() => document.querySelector('#new-preview')?.textContent?.includes('/work'));
  assert.match(await page.textContent('#new-preview') ?? '', /read-write/);
  await page.uncheck('.pick input[value="dev"]');
  await page.waitForFunction(() => !document.querySelector('#new-preview')?.textContent?.includes('/work'));
  await shot('new-sandbox');
  await page.click('#new-create');
  await page.waitForSelector('.sb-item[data-name="picked"][data-state="RUNNING"]', { timeout: 30_000 });
  const info = JSON.parse(await cli('info', 'picked', '--json')) as { profiles: string[] };
  assert.deepEqual(info.profiles, ['shell']);
});

test('delete from the window asks first, then removes it everywhere', async () => {
  await page.click('.sb-item[data-name="picked"]');
  await page.click('#action-more');
  await page.click('.menu-item.danger');
  await page.waitForSelector('dialog .btn.danger');
  await page.click('dialog .btn.danger');
  await page.waitForSelector('.sb-item[data-name="picked"]', { state: 'detached', timeout: 30_000 });
  assert.equal(await cliState('picked'), 'MISSING');
});

test('the apps of a sandbox: offered in the window, opened as `sandtray open` does', async () => {
  const prof = path.join(dir, 'office.sandtray');
  fs.writeFileSync(prof, ['apiVersion: sandtray/v1', 'description: Apps for the desktop', 'network:', '  mode: none', 'apps:', '  - {name: clock, title: Clock, command: [sh, -c, "echo app-ran > /tmp/app-mark; exec sleep 300"]}', ''].join('\n'));
  await cli('create', 'office', '--profile', prof);
  await page.click('.sb-item[data-name="office"]');
  await page.waitForSelector('#card-apps button[data-app="clock"]');
  assert.equal((await page.textContent('#card-apps button[data-app="clock"]'))?.trim(), 'Clock');
  await shot('details-apps');
  await page.click('#card-apps button[data-app="clock"]');
  // Stopped: it starts first, then the app runs inside.
  await page.waitForSelector('.sb-item[data-name="office"][data-state="RUNNING"]', { timeout: 30_000 });
  let mark = '';
  for (let i = 0; i < 100 && !mark.includes('app-ran'); i++) {
    mark = await cli('exec', 'office', '--', 'sh', '-c', 'cat /tmp/app-mark 2>/dev/null; true');
    if (!mark.includes('app-ran')) await new Promise((r) => setTimeout(r, 100));
  }
  assert.match(mark, /app-ran/);
  assert.match(await cli('ps', 'office'), /sleep 300/);
  await cli('stop', 'office');
});

test('a reload of the page ends the shells the old page had open; the sandbox keeps running', async () => {
  await cli('start', 'alpha');
  await page.click('.sb-item[data-name="alpha"]');
  await page.waitForSelector('.sb-item[data-name="alpha"][data-state="RUNNING"]');
  await page.click('#action-shell');
  await page.waitForFunction(() => document.querySelector('.xterm-rows')?.textContent?.includes('#'), null, { timeout: 30_000 });
  const tabs = services.terminals.list();
  assert.equal(tabs.length, 1);
  const pids = services.terminals.pidsOf(tabs[0]!.id);
  assert.ok(pids.length >= 1);
  const opened = bridge.connections;
  await page.reload();
  await bridge.waitForConnection(opened);
  await page.waitForSelector('#sandbox-list .sb-item[data-name="alpha"]');
  for (let i = 0; i < 100 && (pids.some((p) => fs.existsSync(`/proc/${p}`)) || services.terminals.count > 0); i++) await new Promise((r) => setTimeout(r, 50));
  assert.equal(services.terminals.count, 0, 'the old page\'s shell was ended');
  assert.deepEqual(pids.filter((p) => fs.existsSync(`/proc/${p}`)), []);
  assert.equal(await cliState('alpha'), 'RUNNING');
  assert.equal(bridge.refused, 0, 'the reloaded page is trusted from its first call');
  await cli('stop', 'alpha');
});

test('every main view passes axe-core in both themes (no critical or serious violation)', async () => {
  const found: string[] = [];
  await page.evaluate(() => document.querySelectorAll('.toast').forEach((t) => t.remove()));
  await page.click('.sb-item[data-name="builder"]');
  await page.waitForSelector('#card-profile');
  // Focus moves to the new view's heading, not to the page body.
  await page.waitForFunction(() => document.activeElement?.tagName === 'H1');
  assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'builder');
  await accessible('details', found);
  await page.click('.tab:has-text("Log")');
  await page.waitForSelector('#log-text');
  await accessible('log', found);
  await page.click('.tab:has-text("Overview")');
  // The menu works from the keyboard: it opens with focus on its first item, arrows move, Escape closes.
  await page.focus('#action-more');
  await page.keyboard.press('Enter');
  await page.waitForSelector('.menu');
  assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('role')), 'menuitem');
  // builder is stopped: its first enabled item is Show log, then Delete.
  assert.match(await page.evaluate(() => document.activeElement?.textContent ?? ''), /Show log/);
  await page.keyboard.press('ArrowDown');
  assert.match(await page.evaluate(() => document.activeElement?.textContent ?? ''), /Delete/);
  await accessible('more actions menu', found);
  await page.keyboard.press('Escape');
  await page.waitForSelector('.menu', { state: 'detached' });
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'action-more');
  await page.click('.nav-profiles');
  await page.waitForSelector('#profile-text');
  await accessible('profiles', found);
  await page.click('#sidebar-new');
  await page.waitForSelector('#new-name');
  await accessible('new sandbox', found);
  await page.keyboard.press('Escape');
  const prompt = services.secrets.request({ sandbox: 'alpha', account: 'alpha/axe', label: 'VPN password', canRemember: true }).catch(() => undefined);
  await page.waitForSelector('#secret-input');
  await accessible('credential dialog', found);
  await page.keyboard.press('Escape');
  await prompt;
  const file = path.join(dir, 'axe.ovpn');
  fs.writeFileSync(file, ['client', 'dev tun', 'remote vpn.example.test 1194', 'auth-user-pass', ''].join('\n'));
  bridge.emit({ type: 'file-opened', file: services.files.add(file) });
  await page.waitForSelector('.file-sheet #file-create');
  await accessible('import sheet', found);
  await page.keyboard.press('Escape');
  assert.deepEqual(found, []);
});

test('screenshots of every main view at 1280x800 and 800x600, light and dark', async () => {
  const views: [string, () => Promise<void>, () => Promise<void>][] = [
    ['details', async () => {
      await page.click('.sb-item[data-name="opened"]');
      await page.waitForSelector('#card-sees');
    }, async () => undefined],
    ['log', async () => {
      await page.click('.tab:has-text("Log")');
      await page.waitForSelector('#log-text');
    }, async () => page.click('.tab:has-text("Overview")')],
    ['profiles', async () => {
      await page.click('.nav-profiles');
      await page.waitForSelector('#profile-text');
    }, async () => undefined],
    ['new-sandbox', async () => {
      await page.click('#sidebar-new');
      await page.waitForSelector('#new-preview .summary');
    }, async () => page.keyboard.press('Escape')],
    ['import-sheet', async () => {
      const file = path.join(dir, 'shots.ovpn');
      fs.writeFileSync(file, ['client', 'dev tun', 'remote vpn.example.test 1194', 'auth-user-pass', ''].join('\n'));
      bridge.emit({ type: 'file-opened', file: services.files.add(file) });
      await page.waitForSelector('.file-sheet #file-create');
    }, async () => page.keyboard.press('Escape')],
  ];
  for (const [name, open, close] of views) {
    await open();
    for (const size of [{ width: 1280, height: 800 }, { width: 800, height: 600 }]) {
      await page.setViewportSize(size);
      for (const scheme of ['light', 'dark'] as const) {
        await page.emulateMedia({ colorScheme: scheme });
        await shot(`view-${name}-${size.width}x${size.height}-${scheme}`);
        // Nothing spills sideways out of the window.
        assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), `${name} ${size.width}x${size.height} overflows sideways`);
      }
    }
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.emulateMedia({ colorScheme: 'light' });
    await close();
  }
});

test('dark mode', async () => {
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.click('.sb-item[data-name="builder"]');
  await page.waitForSelector('#card-profile');
  await shot('details-dark');
  await page.emulateMedia({ colorScheme: 'light' });
});
