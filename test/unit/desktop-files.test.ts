// The desktop's pure pieces: file hand-off arguments, VPN file summaries, profile text validation
// with line numbers, plain-words summaries, terminal emulator choice, notices and tray support.
import { execFileSync, spawn } from 'node:child_process';
import { hasStatusNotifierWatcher } from '../../main/system/tray-support.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cliArgsFrom, filesFromArgv } from '../../main/files/argv.js';
import { fileKind, suggestName } from '../../main/files/opened.js';
import { inspectOpenVpn, inspectVpnText, inspectWireGuard } from '../../main/files/vpn-config.js';
import { unexpectedStopNotice, vpnDropNotices, vpnNeverUpNotices } from '../../main/engine/notices.js';
import { recordedExitCode, sandboxDirs } from '../../helpers/api/inspect.js';
import { sandtrayPaths } from '../../helpers/api/base.js';
import { summarizeProfile } from '../../main/profile/summary.js';
import { profileRisks, riskHost } from '../../helpers/profile/risks.js';
import { validateProfileText } from '../../main/profile/validate-text.js';
import { cliArgv, CLI_SCRIPT } from '../../main/system/cli.js';
import { terminalArgv } from '../../main/system/terminal.js';
import { desktopUserData, startPlan } from '../../main/app/startup.js';
import { panelIsDark } from '../../main/tray/icons.js';
import { expandLayers } from '../../helpers/profile/expand.js';
import type { RuntimeState } from '../../helpers/runtime/state.js';
import type { SandboxSummary } from '../../main/ipc/contract.js';
import type { VpnState } from '../../helpers/vpn/status.js';

test('files handed over on a command line: ours only, absolute, flags and URLs ignored', () => {
  assert.deepEqual(filesFromArgv(['--show', 'dev.sandtray', '/a/w.ovpn', 'b/wg0.conf', 'notes.txt', 'https://x.example/a.sandtray', 'file:///home/u/x%20y.sandtray', 'dev.sandtray'], '/home/u'), [
    '/home/u/dev.sandtray', '/a/w.ovpn', '/home/u/b/wg0.conf', '/home/u/x y.sandtray',
  ]);
  assert.deepEqual(filesFromArgv(['.'], '/'), []);
  assert.deepEqual(cliArgsFrom(['/opt/Sandtray/sandtray-desktop', '--cli', 'list', '--json']), ['list', '--json']);
  assert.equal(cliArgsFrom(['x.sandtray']), null);
  assert.equal(fileKind('/x/Y.SANDTRAY'), 'profile');
  assert.equal(fileKind('/x/y.yaml'), null);
  assert.equal(suggestName('/d/My Work VPN.ovpn', []), 'my-work-vpn');
  assert.equal(suggestName('/d/dev.sandtray', ['dev', 'dev-2']), 'dev-3');
  assert.equal(suggestName('/d/___.sandtray', []), 'sandbox');
});

test('an OpenVPN file: servers, credentials and inline keys, never the key material', () => {
  const r = inspectOpenVpn(['client', 'dev tun', 'proto tcp', 'remote vpn1.example.test 443', 'remote vpn2.example.test 1194 udp', 'auth-user-pass', '<ca>', '-----BEGIN CERTIFICATE-----', 'remote evil.example 1', '-----END CERTIFICATE-----', '</ca>', '<key>', 'SECRETKEYDATA', '</key>', 'dhcp-option DNS 10.0.0.53'].join('\n'));
  assert.deepEqual(r.issues, []);
  assert.deepEqual(r.summary.remotes, [{ host: 'vpn1.example.test', port: '443', proto: 'tcp' }, { host: 'vpn2.example.test', port: '1194', proto: 'udp' }]);
  assert.equal(r.summary.needsCredentials, true);
  assert.equal(r.summary.hasInlineKeys, true);
  assert.deepEqual(r.summary.dns, ['10.0.0.53']);
  assert.ok(!JSON.stringify(r).includes('SECRETKEYDATA'));
  const bad = inspectOpenVpn('client\n<ca>\nx\n');
  assert.deepEqual(bad.issues.map((i) => i.path), ['<ca>', 'remote']);
  // The engine's verdict, never a reading of the app's own: setenv opt plugin is refused with its line.
  const attack = inspectOpenVpn('client\nremote vpn.example.test 1194\nsetenv opt plugin /usr/lib/x.so "sh -c id"\nblock-outside-dns\n');
  assert.deepEqual(attack.issues.map((i) => [i.path, i.line]), [['plugin (setenv opt)', 3]]);
  assert.deepEqual(attack.verdict.dropped.map((i) => i.option), ['block-outside-dns']);
});

test('a WireGuard file: endpoints and addresses, never the private key; other .conf files are refused', () => {
  const r = inspectWireGuard(['[Interface]', 'PrivateKey = c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0MTI=', 'Address = 198.19.8.6/32, fd00::6/128', 'DNS = 198.19.8.1', 'PostUp = curl https://x.example', '', '[Peer]', 'PublicKey = xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=', 'Endpoint = [2001:db8::1]:51820', 'AllowedIPs = 0.0.0.0/0, ::/0'].join('\n'));
  assert.ok(r);
  // The engine's verdict: the hook is refused, with its line, as `sandtray vpn import` refuses it.
  assert.deepEqual(r.issues.map((i) => [i.path, i.line]), [['PostUp', 5]]);
  assert.deepEqual(r.verdict.refused.map((i) => i.option), ['PostUp']);
  assert.deepEqual(r.summary.remotes, [{ host: '2001:db8::1', port: '51820', proto: 'udp' }]);
  assert.deepEqual(r.summary.addresses, ['198.19.8.6/32', 'fd00::6/128']);
  assert.deepEqual(r.summary.allowedIps, ['0.0.0.0/0', '::/0']);
  assert.ok(!JSON.stringify(r).includes('c2VjcmV0'));
  assert.equal(inspectWireGuard('[main]\nkey=value\n'.replace('[main]', '# nginx\nuser www;')), null);
  assert.deepEqual(inspectWireGuard('[Peer]\nPublicKey = a\n')!.issues.map((i) => [i.path, i.line]), [['PublicKey', 2], ['[Interface]', null], ['PublicKey', null], ['AllowedIPs', null]]);
  // A .conf holding OpenVPN (as Linux OpenVPN files often are) is read as OpenVPN.
  assert.equal(inspectVpnText('wireguard', 'client\nremote vpn.example.test 1194\n', '/nonexistent')!.kind, 'openvpn');
  assert.equal(inspectVpnText('wireguard', 'user www;\nworker_processes 4;\n', '/nonexistent'), null);
});

test('profile text: every problem with the line it points at', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sandtray-validate-'));
  try {
    const text = ['apiVersion: sandtray/v1', 'network:', '  mode: wifi', 'mounts:', '  - source: /tmp', '    target: relative', 'colour: blue', 'nesting: "yes"'].join('\n');
    const v = validateProfileText(text, dir);
    assert.equal(v.valid, false);
    const byPath = Object.fromEntries(v.issues.map((i) => [i.path, i]));
    assert.equal(byPath['network.mode']?.line, 3);
    assert.equal(byPath['mounts[0].target']?.line, 6);
    assert.equal(byPath['(top level)']?.line, 7);
    assert.match(byPath['(top level)']!.message, /unknown key "colour"/);
    assert.equal(byPath['nesting']?.line, 8);

    const yamlError = validateProfileText('apiVersion: sandtray/v1\nnetwork: [\n', dir);
    assert.equal(yamlError.valid, false);
    assert.equal(yamlError.issues[0]?.path, '(yaml)');
    assert.ok(yamlError.issues[0]?.line);

    const missing = validateProfileText('description: no version\n', dir);
    assert.deepEqual(missing.issues.map((i) => [i.path, i.message]), [['apiVersion', 'is required (expected "sandtray/v1")']]);

    // The engine's host checks count too, on the line of the key.
    const host = validateProfileText('apiVersion: sandtray/v1\nmounts:\n  - source: ./not-here\n    target: /data\n', dir);
    assert.equal(host.valid, false);
    assert.equal(host.issues[0]?.path, 'mounts[0].source');
    assert.equal(host.issues[0]?.line, 3);
    assert.match(host.issues[0]!.message, /does not exist/);
    assert.ok(host.summary, 'a schema-valid profile still gets its summary');

    const good = validateProfileText('apiVersion: sandtray/v1\nnetwork:\n  mode: none\n', dir);
    assert.deepEqual(good, { valid: true, issues: [], summary: good.summary });
    assert.equal(validateProfileText('- a\n- b\n', dir).issues[0]?.path, '(top level)');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('profile summaries warn about what weakens the sandbox', () => {
  const home = '/home/u';
  const { profile } = expandLayers('x', [{ origin: 't', layer: { apiVersion: 'sandtray/v1', mounts: [{ source: '/home/u', target: '/h', readOnly: false }, { source: '/srv/data', target: '/data' }, { source: '/nope', target: '/n' }], network: { mode: 'host' }, nesting: true } }]);
  const s = summarizeProfile(profile, home);
  assert.equal(s.network.isolated, false);
  assert.deepEqual(s.mounts.map((m) => m.exists), [fs.existsSync('/home/u'), fs.existsSync('/srv/data'), false]);
  // The risks are the engine's own list, the one `profile validate` and `info` print, as sentences.
  assert.deepEqual(s.risks, profileRisks(profile, riskHost({ home })));
  const w = s.warnings.join('\n');
  assert.match(w, /^~ is mounted at \/h, writable: programs inside get your whole home folder/m);
  assert.match(w, /\/nope does not exist/);
  assert.match(w, /^Host mode shares your network: .*read and type into every window of your desktop\.$/m);
  assert.match(w, /sandboxes of their own/);
  const plain = summarizeProfile(expandLayers('y', []).profile, home);
  assert.deepEqual(plain.warnings, []);
  assert.equal(plain.network.isolated, true);
});

test('system terminal: the first emulator found, with its own way of taking a command', () => {
  const only = (tools: string[]) => (t: string): string | null => (tools.includes(t) ? `/usr/bin/${t}` : null);
  const cmd = ['/usr/bin/env', 'ELECTRON_RUN_AS_NODE=1', '/opt/Sandtray/sandtray-desktop', '/x/bin/sandtray.js', 'shell', 'dev'];
  assert.deepEqual(terminalArgv(cmd, only(['xterm', 'x-terminal-emulator'])), ['/usr/bin/x-terminal-emulator', '-e', ...cmd]);
  assert.deepEqual(terminalArgv(cmd, only(['gnome-terminal'])), ['/usr/bin/gnome-terminal', '--', ...cmd]);
  assert.deepEqual(terminalArgv(cmd, only(['kitty'])), ['/usr/bin/kitty', ...cmd]);
  assert.deepEqual(terminalArgv(cmd, only(['wezterm'])), ['/usr/bin/wezterm', 'start', '--', ...cmd]);
  assert.equal(terminalArgv(cmd, only([])), null);
  // The CLI runs on Electron's own Node inside the app, with the variable set for it alone.
  assert.deepEqual(cliArgv(['shell', 'dev'], '/opt/Sandtray/sandtray-desktop', true), ['/usr/bin/env', 'ELECTRON_RUN_AS_NODE=1', '/opt/Sandtray/sandtray-desktop', CLI_SCRIPT, 'shell', 'dev']);
  assert.deepEqual(cliArgv(['list'], '/usr/bin/node', false), ['/usr/bin/node', CLI_SCRIPT, 'list']);
  assert.ok(fs.existsSync(CLI_SCRIPT));
});

test('start: the session bus decides the tray; --hidden, --show and handed files decide the window', () => {
  const plan = (statusNotifierWatcher: boolean | null, argv: string[] = [], files: string[] = []) => startPlan({ statusNotifierWatcher, argv, files });
  // No watcher on the bus (GNOME without AppIndicator, whatever XDG_CURRENT_DESKTOP claims): the window is the app.
  assert.deepEqual(plan(false), { tray: false, showWindow: true });
  assert.deepEqual(plan(false, ['--hidden']), { tray: false, showWindow: true }, 'hidden without a tray would leave nothing to click');
  assert.deepEqual(plan(true), { tray: true, showWindow: false });
  assert.deepEqual(plan(true, ['--hidden']), { tray: true, showWindow: false });
  assert.deepEqual(plan(true, ['--show']), { tray: true, showWindow: true });
  assert.deepEqual(plan(true, ['--hidden'], ['/tmp/a.sandtray']), { tray: true, showWindow: true }, 'a double-clicked file is shown');
  // The bus cannot be asked: a tray is tried and the window opens too, unless autostarted hidden.
  assert.deepEqual(plan(null), { tray: true, showWindow: true });
  assert.deepEqual(plan(null, ['--hidden']), { tray: true, showWindow: false });
  // Electron's own data stays out of the folder of the user's profiles.
  assert.equal(desktopUserData('/home/u/.config'), '/home/u/.config/sandtray-desktop');
  assert.equal(panelIsDark('ubuntu:GNOME', false), true);
  assert.equal(panelIsDark('KDE', false), false);
  assert.equal(panelIsDark('KDE', true), true);
});

const rt = (phase: RuntimeState['phase']): RuntimeState => ({
  phase, actor: null, init: { pid: 1, start: 1 }, monitor: null, startedAt: null, namespaces: {}, idmap: null, mounts: [], network: 'none', env: {}, shell: '/bin/sh', command: [], workdir: '/', idmapNote: null, helpers: [], confine: null,
});

test('notices: a sandbox that ends on its own, and a VPN that drops', async () => {
  assert.equal(unexpectedStopNotice('dev', null, null), null, 'a stop removes the runtime record');
  assert.equal(unexpectedStopNotice('dev', rt('stopping'), 0), null, 'a stop in progress is deliberate');
  assert.match(unexpectedStopNotice('dev', rt('running'), 137)!.body, /killed by signal 9/);
  assert.match(unexpectedStopNotice('dev', rt('running'), 3)!.body, /exited with status 3/);
  assert.equal(unexpectedStopNotice('dev', rt('running'), null)!.title, 'dev stopped unexpectedly');

  // The exit file is read by the engine's api, from the sandbox's own runtime folder.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sandtray-exit-'));
  const paths = sandtrayPaths({ XDG_CONFIG_HOME: path.join(dir, 'c'), XDG_DATA_HOME: path.join(dir, 'd'), XDG_STATE_HOME: path.join(dir, 's'), XDG_RUNTIME_DIR: path.join(dir, 'r'), HOME: dir });
  const exitFile = sandboxDirs('dev', paths).exitFile;
  fs.mkdirSync(path.dirname(exitFile), { recursive: true });
  fs.writeFileSync(exitFile, '{ "child-pid": 12 }\n{ "exit-code": 143 }\n');
  assert.equal(recordedExitCode('dev', paths), 143);
  assert.equal(recordedExitCode('other', paths), null);
  fs.rmSync(dir, { recursive: true });

  // Summaries as main makes them from the engine: the network mode the engine records for a VPN
  // sandbox, and the tunnel state mapped from what the engine's VPN agent reports.
  const { vpnFromAgent } = await import('../../main/engine/vpn-status.js');
  const { vpnDriver } = await import('../../helpers/vpn/driver.js');
  const agent = (state: VpnState, message: string | null = null) => vpnFromAgent({ type: 'openvpn', state, message, addresses: ['198.19.50.2/24'] })!;
  const s = (state: SandboxSummary['state'], vpn: SandboxSummary['vpn']): SandboxSummary => ({ name: 'work', state, pid: 1, network: vpnDriver.mode, profiles: [], startedAt: null, problem: null, apps: [], vpn });
  assert.equal(vpnDriver.mode, 'vpn');
  assert.equal(vpnDropNotices([s('RUNNING', agent('connected'))], [s('RUNNING', agent('failed', 'ping timeout'))])[0]?.title, 'VPN down in work');
  assert.match(vpnDropNotices([s('RUNNING', agent('connected'))], [s('RUNNING', agent('failed', 'ping timeout'))])[0]!.body, /\(ping timeout\)/);
  assert.deepEqual(vpnDropNotices([s('RUNNING', agent('connected'))], [s('STOPPED', agent('down'))]), [], 'stopping is not a drop');
  assert.deepEqual(vpnDropNotices([s('RUNNING', agent('connecting'))], [s('RUNNING', agent('failed'))]), []);
});

test('VPN status from the engine agent maps onto up / connecting / down', async () => {
  const { vpnFromAgent } = await import('../../main/engine/vpn-status.js');
  assert.deepEqual(vpnFromAgent({ type: 'openvpn', state: 'connected', message: null, addresses: ['10.8.0.6/24'] }), { type: 'openvpn', state: 'up', address: '10.8.0.6', detail: null });
  assert.equal(vpnFromAgent({ type: 'wireguard', state: 'reconnecting', message: null, addresses: [] })?.state, 'connecting');
  assert.deepEqual(vpnFromAgent({ state: 'failed', message: 'AUTH_FAILED' }), { state: 'down', address: null, detail: 'AUTH_FAILED' });
  assert.equal(vpnFromAgent({ state: 'weird' }), null);
  assert.equal(vpnFromAgent('garbage'), null);
});

test("the engine's secret question is answered by the dialog's broker", async () => {
  const { connectEnginePrompt } = await import('../../main/secrets/engine-prompt.js');
  const { SecretBroker } = await import('../../main/secrets/broker.js');
  const { askSecret, setSecretPrompt } = await import('../../helpers/api/secrets.js');
  const { resolveSecrets } = await import('../../helpers/secrets/resolve.js');
  const prompts: unknown[] = [];
  const store = new Map<string, string>();
  const broker = new SecretBroker({ get: async (a) => store.get(a) ?? null, set: async (a, v) => void store.set(a, v), remove: async () => false }, (e) => prompts.push(e));
  // Connected where the engine asks (its own setSecretPrompt), and asked through the engine.
  connectEnginePrompt(broker);
  try {
    const answer = askSecret('VPN password for sandbox work: ', { sandbox: 'work', key: 'password', label: 'VPN password' });
    for (let i = 0; i < 50 && !prompts.length; i++) await new Promise((r) => setTimeout(r, 2));
    const p = prompts[0] as { promptId: string; sandbox: string; label: string; canRemember: boolean };
    assert.deepEqual([p.sandbox, p.label, p.canRemember], ['work', 'VPN password', true]);
    await broker.reply(p.promptId, 's3cret', true);
    assert.equal(await answer, 's3cret');
    assert.equal(store.get('work/password'), 's3cret', 'remembered under the key the engine reads');
    // A one-time code as the engine's start asks for it: never remembered; cancelled, the engine
    // gets null and reports the missing secret itself.
    const cancelled = resolveSecrets('work2', [{ key: 'one-time-code', label: 'Enter the code', oneTime: true }]);
    for (let i = 0; i < 50 && prompts.length < 2; i++) await new Promise((r) => setTimeout(r, 2));
    const q = prompts[1] as { promptId: string; sandbox: string; label: string; canRemember: boolean };
    assert.deepEqual([q.sandbox, q.label, q.canRemember], ['work2', 'Enter the code', false]);
    await broker.reply(q.promptId, null, false);
    await assert.rejects(cancelled, (err: Error & { code?: string }) => err.code === 'SECRET');
    // A question that does not say what it is for is not answered (no guessing from its words).
    assert.equal(await askSecret('Something for sandbox work: '), null);
  } finally {
    setSecretPrompt(null);
  }
});

test("the dialog gets the engine's own questions, from the engine's own path, and answers them", async () => {
  const { connectEnginePrompt } = await import('../../main/secrets/engine-prompt.js');
  const { SecretBroker } = await import('../../main/secrets/broker.js');
  const { resolveSecrets } = await import('../../helpers/secrets/resolve.js');
  const { setSecretPrompt } = await import('../../helpers/secrets/prompt.js');
  const { secretNeeds } = await import('../../helpers/vpn/driver.js');
  const { parseOvpn } = await import('../../helpers/vpn/openvpn-config.js');
  // Nothing stored anywhere (an empty data folder, no Secret Service): the engine asks for all.
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'sandtray-ask-'));
  const saved = { XDG_CONFIG_HOME: process.env['XDG_CONFIG_HOME'], XDG_DATA_HOME: process.env['XDG_DATA_HOME'], DBUS_SESSION_BUS_ADDRESS: process.env['DBUS_SESSION_BUS_ADDRESS'] };
  process.env['XDG_CONFIG_HOME'] = path.join(home, 'config');
  process.env['XDG_DATA_HOME'] = path.join(home, 'data');
  delete process.env['DBUS_SESSION_BUS_ADDRESS'];
  const prompts: { promptId: string; sandbox: string; label: string; canRemember: boolean }[] = [];
  const store = new Map<string, string>();
  const broker = new SecretBroker({ get: async (a) => store.get(a) ?? null, set: async (a, v) => void store.set(a, v), remove: async () => false }, (e) => {
    const p = e as (typeof prompts)[number];
    prompts.push(p);
    void broker.reply(p.promptId, `answer-${prompts.length}`, p.canRemember);
  });
  try {
    connectEnginePrompt(broker);
    const config = parseOvpn('client\nremote vpn.example.test 1194\nauth-user-pass\nstatic-challenge "Enter the code from your token" 1\n');
    const needs = secretNeeds({ type: 'openvpn', file: '/x.ovpn', config });
    const got = await resolveSecrets('work', needs);
    assert.deepEqual(prompts.map((p) => [p.sandbox, p.label, p.canRemember]), [
      ['work', 'VPN user name', true],
      ['work', 'VPN password', true],
      ['work', 'Enter the code from your token', false],
    ]);
    assert.deepEqual(Object.values(got), ['answer-1', 'answer-2', 'answer-3']);
    // Remembered under the keys the engine reads (username, password); the one-time code never.
    assert.deepEqual([...store.keys()].sort(), ['work/password', 'work/username']);
    assert.deepEqual(needs.filter((n) => !n.oneTime).map((n) => `work/${n.key}`).sort(), [...store.keys()].sort());
  } finally {
    setSecretPrompt(null);
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    fs.rmSync(home, { recursive: true, force: true });
  }
});

test('a VPN that never comes up is reported once per start, after the grace period; one that came up is not', () => {
  const start = '2026-01-01T12:00:00.000Z';
  const at = (sec: number): Date => new Date(Date.parse(start) + sec * 1000);
  const vpn = (state: 'up' | 'connecting' | 'down' | null, startedAt = start): SandboxSummary => ({ name: 'work', state: 'RUNNING', pid: 1, network: 'vpn', profiles: [], startedAt, problem: null, apps: [], vpn: state ? { state, detail: state === 'down' ? 'AUTH_FAILED' : null } : null });
  const told = new Set<string>();
  const up = new Set<string>();
  assert.deepEqual(vpnNeverUpNotices([vpn('connecting')], at(30), told, up, 60), [], 'within the grace period');
  const n = vpnNeverUpNotices([vpn('down')], at(61), told, up, 60);
  assert.equal(n.length, 1);
  assert.equal(n[0]!.title, 'VPN in work did not come up');
  assert.match(n[0]!.body, /AUTH_FAILED/);
  assert.deepEqual(vpnNeverUpNotices([vpn('down')], at(200), told, up, 60), [], 'once per start');
  assert.equal(vpnNeverUpNotices([vpn(null, '2026-01-01T13:00:00.000Z')], at(3700), told, up, 60).length, 1, 'again after a new start, also with no report at all');
  const t2 = new Set<string>();
  const u2 = new Set<string>();
  assert.deepEqual(vpnNeverUpNotices([vpn('up')], at(10), t2, u2, 60), []);
  assert.deepEqual(vpnNeverUpNotices([vpn('down')], at(100), t2, u2, 60), [], 'it came up once: a drop is vpnDropNotices\'s');
  const plain = { ...vpn(null), network: 'nat', vpn: null };
  assert.deepEqual(vpnNeverUpNotices([plain], at(1000), new Set(), new Set(), 60), []);
});

test('the tray check asks a real session bus: no StatusNotifierWatcher there is "no tray"; no bus is "cannot tell"', async () => {
  assert.equal(hasStatusNotifierWatcher({ PATH: process.env['PATH'] ?? '' }), null, 'no bus address');
  const daemon = spawn('dbus-daemon', ['--session', '--nofork', '--print-address=1'], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const address = await new Promise<string>((resolve, reject) => {
      let out = '';
      daemon.stdout.on('data', (c: Buffer) => {
        out += c.toString();
        if (out.includes('\n')) resolve(out.trim());
      });
      daemon.once('exit', (code) => reject(new Error(`dbus-daemon exited with ${code}`)));
    });
    assert.equal(hasStatusNotifierWatcher({ PATH: process.env['PATH'] ?? '', DBUS_SESSION_BUS_ADDRESS: address }), false);
    // Control: the same call on the same bus answers true for a name that has an owner (the bus's own).
    const own = execFileSync('gdbus', ['call', '--session', '--dest', 'org.freedesktop.DBus', '--object-path', '/org/freedesktop/DBus', '--method', 'org.freedesktop.DBus.NameHasOwner', 'org.freedesktop.DBus'], { env: { PATH: process.env['PATH'] ?? '', DBUS_SESSION_BUS_ADDRESS: address }, encoding: 'utf8' });
    assert.match(own, /true/);
  } finally {
    daemon.kill();
  }
});
