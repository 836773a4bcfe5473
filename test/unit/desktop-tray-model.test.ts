// The tray menu is a pure function of engine state: every case is plain data, no Electron.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { SandboxSummary } from '../../main/ipc/contract.js';
import { MAX_LABEL, TOP_LEVEL_SANDBOXES, findItem, formatUptime, quitLabel, trayModel, type MenuItem } from '../../main/tray/model.js';

const NOW = new Date('2026-01-01T12:00:00Z');

function sb(name: string, over: Partial<SandboxSummary> = {}): SandboxSummary {
  return { name, state: 'STOPPED', pid: null, network: 'none', profiles: ['shell'], startedAt: null, problem: null, apps: [], ...over };
}
const running = (name: string, over: Partial<SandboxSummary> = {}): SandboxSummary =>
  sb(name, { state: 'RUNNING', pid: 4242, startedAt: '2026-01-01T11:55:00Z', ...over });

function action(items: MenuItem[], id: string): Extract<MenuItem, { kind: 'action' }> {
  const it = findItem(items, id);
  assert.ok(it && it.kind === 'action', `no action ${id}`);
  return it;
}
function label(items: MenuItem[], id: string): string {
  const it = findItem(items, id);
  assert.ok(it && it.kind !== 'separator', `no item ${id}`);
  return it.label;
}

test('no sandboxes: idle icon, an empty note, and the app actions', () => {
  const m = trayModel({ sandboxes: [], now: NOW });
  assert.equal(m.icon, 'idle');
  assert.equal(m.tooltip, 'Sandtray: nothing running');
  assert.equal(label(m.items, 'empty'), 'No sandboxes yet');
  assert.deepEqual(m.items.filter((i) => i.kind === 'action').map((i) => i.id), ['new-sandbox', 'import-vpn', 'open-window', 'quit']);
  assert.equal(label(m.items, 'new-sandbox'), 'New sandbox…');
  assert.equal(label(m.items, 'import-vpn'), 'Import VPN…');
});

test('quitting says that sandboxes keep running', () => {
  assert.equal(quitLabel(0), 'Quit Sandtray');
  assert.equal(quitLabel(1), 'Quit Sandtray (1 keeps running)');
  assert.equal(quitLabel(3), 'Quit Sandtray (3 keep running)');
  const m = trayModel({ sandboxes: [running('a'), running('b'), sb('c'), sb('d', { state: 'STARTING' })], now: NOW });
  assert.deepEqual(action(m.items, 'quit').action, { type: 'quit' });
  // The tooltip and Quit count the same sandboxes.
  assert.equal(label(m.items, 'quit'), 'Quit Sandtray (3 keep running)');
  assert.equal(m.tooltip, 'Sandtray: 3 running');
});

test('a stopped sandbox: Start enabled, everything that needs it running disabled', () => {
  const m = trayModel({ sandboxes: [sb('dev')], now: NOW });
  assert.equal(label(m.items, 'sandbox:dev'), 'dev — ○ Stopped');
  assert.equal(action(m.items, 'sandbox:dev:start').enabled, true);
  assert.deepEqual(action(m.items, 'sandbox:dev:start').action, { type: 'start', name: 'dev' });
  for (const a of ['stop', 'restart', 'open-shell', 'open-system-terminal']) assert.equal(action(m.items, `sandbox:dev:${a}`).enabled, false, a);
  for (const a of ['show-details', 'show-logs']) assert.equal(action(m.items, `sandbox:dev:${a}`).enabled, true, a);
  assert.equal(label(m.items, 'sandbox:dev:status'), 'Stopped');
  assert.equal(label(m.items, 'sandbox:dev:network'), 'Network: none');
});

test('a running sandbox: running icon, uptime and pid, Stop/Restart/shells enabled', () => {
  const m = trayModel({ sandboxes: [running('dev')], now: NOW });
  assert.equal(m.icon, 'running');
  assert.equal(m.tooltip, 'Sandtray: 1 running');
  assert.equal(label(m.items, 'sandbox:dev'), 'dev — ● Running');
  assert.equal(label(m.items, 'sandbox:dev:status'), 'Running for 5 min · pid 4242');
  assert.equal(action(m.items, 'sandbox:dev:start').enabled, false);
  for (const a of ['stop', 'restart', 'open-shell', 'open-system-terminal']) assert.equal(action(m.items, `sandbox:dev:${a}`).enabled, true, a);
  assert.deepEqual(action(m.items, 'sandbox:dev:open-system-terminal').action, { type: 'open-system-terminal', name: 'dev' });
});

test('every submenu has the same actions in the same order', () => {
  const m = trayModel({ sandboxes: [running('a'), sb('b')], now: NOW });
  const sub = findItem(m.items, 'sandbox:a');
  assert.ok(sub && sub.kind === 'submenu');
  assert.deepEqual(sub.items.filter((i) => i.kind === 'action').map((i) => i.label), ['Start', 'Stop', 'Restart', 'Open shell', 'Open in system terminal', 'Show details', 'Logs']);
});

test('transitional states count as active and disable the actions', () => {
  for (const state of ['STARTING', 'STOPPING', 'ABORTING'] as const) {
    const m = trayModel({ sandboxes: [sb('x', { state })], now: NOW });
    assert.equal(m.icon, 'running', state);
    assert.match(label(m.items, 'sandbox:x'), /…$/);
    for (const a of ['start', 'stop', 'restart', 'open-shell']) assert.equal(action(m.items, `sandbox:x:${a}`).enabled, false, `${state} ${a}`);
  }
});

test('an action in flight from the app disables that sandbox only', () => {
  const m = trayModel({ sandboxes: [running('a'), running('b')], busy: new Set(['a']), now: NOW });
  assert.equal(action(m.items, 'sandbox:a:stop').enabled, false);
  assert.equal(action(m.items, 'sandbox:b:stop').enabled, true);
});

test('sandboxes are listed by name whatever order the engine gives', () => {
  const m = trayModel({ sandboxes: [sb('zeta'), sb('alpha'), sb('mid')], now: NOW });
  assert.deepEqual(m.items.filter((i) => i.kind === 'submenu').map((i) => i.id), ['sandbox:alpha', 'sandbox:mid', 'sandbox:zeta']);
});

test('a VPN that is down wins the icon, and says so in label, tooltip and tunnel line', () => {
  const m = trayModel({
    sandboxes: [running('work', { network: 'vpn', vpn: { type: 'openvpn', state: 'down', detail: 'server unreachable' } }), running('dev')],
    now: NOW,
  });
  assert.equal(m.icon, 'vpn-down');
  assert.equal(m.tooltip, 'Sandtray: 2 running; VPN down in work');
  assert.equal(label(m.items, 'sandbox:work'), 'work — ⚠ VPN down');
  assert.equal(label(m.items, 'sandbox:work:tunnel'), 'OpenVPN down: server unreachable');
});

test('a VPN that is up shows its address; connecting and unknown are said plainly', () => {
  const up = trayModel({ sandboxes: [running('wg', { network: 'wireguard', vpn: { type: 'wireguard', state: 'up', address: '198.18.8.6' } })], now: NOW });
  assert.equal(up.icon, 'running');
  assert.equal(label(up.items, 'sandbox:wg'), 'wg — ● Connected · 198.18.8.6');
  assert.equal(label(up.items, 'sandbox:wg:tunnel'), 'WireGuard: up · 198.18.8.6');
  const connecting = trayModel({ sandboxes: [running('wg', { network: 'wireguard', vpn: { state: 'connecting' } })], now: NOW });
  assert.equal(label(connecting.items, 'sandbox:wg:tunnel'), 'Tunnel: connecting…');
  assert.equal(label(connecting.items, 'sandbox:wg'), 'wg — ◐ Connecting…', 'connecting does not look like connected');
  const unknown = trayModel({ sandboxes: [running('ovpn', { network: 'vpn' })], now: NOW });
  assert.equal(label(unknown.items, 'sandbox:ovpn:tunnel'), 'Tunnel: status unknown');
  assert.equal(label(unknown.items, 'sandbox:ovpn'), 'ovpn — ◐ Connecting…');
  assert.equal(unknown.icon, 'running', 'no report is not "down"');
  const stopped = trayModel({ sandboxes: [sb('ovpn', { network: 'vpn', vpn: { state: 'down' } })], now: NOW });
  assert.equal(stopped.icon, 'idle', 'a stopped VPN sandbox is not a dropped tunnel');
});

test('plain sandboxes have no tunnel line', () => {
  const m = trayModel({ sandboxes: [running('dev', { network: 'host' })], now: NOW });
  assert.equal(findItem(m.items, 'sandbox:dev:tunnel'), undefined);
  assert.equal(label(m.items, 'sandbox:dev:network'), 'Network: your own (not isolated)');
});

test('a sandbox whose profile broke cannot be started and shows the problem', () => {
  const m = trayModel({ sandboxes: [sb('dev', { problem: 'Profile "gone" not found (looked in /a and /b)\nmore' })], now: NOW });
  assert.equal(label(m.items, 'sandbox:dev'), 'dev — ⚠ Needs attention');
  assert.equal(label(m.items, 'sandbox:dev:problem'), 'Problem: Profile "gone" not found (looked in /a…');
  assert.equal(action(m.items, 'sandbox:dev:start').enabled, false);
});

test('uptimes read naturally', () => {
  assert.equal(formatUptime(5), '5 s');
  assert.equal(formatUptime(125), '2 min');
  assert.equal(formatUptime(3 * 3600 + 7 * 60), '3 h 7 min');
  assert.equal(formatUptime(2 * 86400 + 5 * 3600), '2 d 5 h');
  assert.equal(formatUptime(-3), '0 s');
});

test('the model is plain data (serializable, no functions)', () => {
  const m = trayModel({ sandboxes: [running('a', { network: 'vpn', vpn: { state: 'up', address: '198.18.0.2' } }), sb('b')], now: NOW });
  assert.deepEqual(JSON.parse(JSON.stringify(m)), m);
});

test('a failed tunnel makes a short label with no command line in it', () => {
  const detail = 'AUTH_FAILED: the server refused the user name and password; store them again with `sandtray secret set work password` and restart';
  const m = trayModel({ sandboxes: [running('work', { network: 'vpn', vpn: { type: 'openvpn', state: 'down', detail } })], now: NOW });
  const all = JSON.stringify(m);
  assert.doesNotMatch(all, /sandtray secret/);
  const walk = (items: MenuItem[]): string[] => items.flatMap((i) => (i.kind === 'separator' ? [] : [i.label, ...(i.kind === 'submenu' ? walk(i.items) : [])]));
  for (const l of walk(m.items)) assert.ok(l.length <= MAX_LABEL, `${l.length}: ${l}`);
  assert.match(label(m.items, 'sandbox:work:tunnel'), /^OpenVPN down: AUTH_FAILED/);
});

test('past eight sandboxes the menu stays short: the active ones on top, all of them in a submenu', () => {
  const many = Array.from({ length: 20 }, (_, i) => (i % 5 === 0 ? running(`s${String(i).padStart(2, '0')}`) : sb(`s${String(i).padStart(2, '0')}`)));
  const m = trayModel({ sandboxes: many, now: NOW });
  assert.ok(m.items.length <= 14, `${m.items.length} top-level rows`);
  assert.deepEqual(m.items.filter((i) => i.kind === 'submenu' && i.id.startsWith('sandbox:')).map((i) => i.id), ['sandbox:s00', 'sandbox:s05', 'sandbox:s10', 'sandbox:s15']);
  const all = findItem(m.items, 'all-sandboxes');
  assert.ok(all && all.kind === 'submenu');
  assert.equal(all.items.length, 20);
  const few = trayModel({ sandboxes: many.slice(0, TOP_LEVEL_SANDBOXES), now: NOW });
  assert.equal(findItem(few.items, 'all-sandboxes'), undefined);
});

test('the top-level actions and each sandbox\'s actions have mnemonics, each letter in its label', () => {
  const m = trayModel({ sandboxes: [running('a', { network: 'vpn', vpn: { state: 'up' } })], now: NOW });
  const check = (items: MenuItem[]): void => {
    const letters = items.flatMap((i) => (i.kind === 'action' || i.kind === 'submenu') && i.mnemonic ? [i.mnemonic.toLowerCase()] : []);
    assert.equal(new Set(letters).size, letters.length, `a letter used twice: ${letters.join('')}`);
    for (const i of items) if ((i.kind === 'action' || i.kind === 'submenu') && i.mnemonic) assert.ok(i.label.includes(i.mnemonic), `${i.label} / ${i.mnemonic}`);
  };
  check(m.items);
  for (const id of ['new-sandbox', 'import-vpn', 'open-window', 'quit']) assert.ok(action(m.items, id).mnemonic, id);
  const sub = findItem(m.items, 'sandbox:a');
  assert.ok(sub && sub.kind === 'submenu');
  check(sub.items);
  assert.equal(action(m.items, 'sandbox:a:check-leaks').enabled, true);
});

test('a sandbox\'s apps: "Clock in office" at the top, "Open Clock" in its submenu', () => {
  const m = trayModel({ sandboxes: [sb('office', { apps: [{ name: 'clock', title: 'Clock' }] }), sb('dev')], now: NOW });
  assert.equal(label(m.items, 'app:office:clock'), 'Clock in office');
  assert.deepEqual(action(m.items, 'app:office:clock').action, { type: 'open-app', name: 'office', app: 'clock' });
  assert.equal(action(m.items, 'app:office:clock').enabled, true, 'a stopped sandbox starts for its app');
  assert.equal(label(m.items, 'sandbox:office:app:clock'), 'Open Clock');
  assert.equal(findItem(trayModel({ sandboxes: [sb('dev')], now: NOW }).items, 'apps'), undefined);
});
