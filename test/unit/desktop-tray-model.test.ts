// The tray menu is a pure function of engine state: every case is plain data, no Electron.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { SandboxSummary } from '../../main/ipc/contract.js';
import { findItem, formatUptime, quitLabel, trayModel, type MenuItem } from '../../main/tray/model.js';

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
  assert.equal(label(m.items, 'import-vpn'), 'Import VPN config…');
});

test('quitting says that sandboxes keep running', () => {
  assert.equal(quitLabel(0), 'Quit Sandtray (sandboxes keep running)');
  assert.equal(quitLabel(1), 'Quit Sandtray (1 running sandbox keeps running)');
  assert.equal(quitLabel(3), 'Quit Sandtray (3 running sandboxes keep running)');
  const m = trayModel({ sandboxes: [running('a'), running('b'), sb('c')], now: NOW });
  assert.deepEqual(action(m.items, 'quit').action, { type: 'quit' });
  assert.match(label(m.items, 'quit'), /2 running sandboxes keep running/);
});

test('a stopped sandbox: Start enabled, everything that needs it running disabled', () => {
  const m = trayModel({ sandboxes: [sb('dev')], now: NOW });
  assert.equal(label(m.items, 'sandbox:dev'), 'dev — Stopped');
  assert.equal(action(m.items, 'sandbox:dev:start').enabled, true);
  assert.deepEqual(action(m.items, 'sandbox:dev:start').action, { type: 'start', name: 'dev' });
  for (const a of ['stop', 'restart', 'open-shell', 'open-system-terminal']) assert.equal(action(m.items, `sandbox:dev:${a}`).enabled, false, a);
  for (const a of ['show-details', 'show-logs']) assert.equal(action(m.items, `sandbox:dev:${a}`).enabled, true, a);
  assert.equal(label(m.items, 'sandbox:dev:status'), 'Stopped');
  assert.equal(label(m.items, 'sandbox:dev:network'), 'Network: none (loopback only)');
});

test('a running sandbox: running icon, uptime and pid, Stop/Restart/shells enabled', () => {
  const m = trayModel({ sandboxes: [running('dev')], now: NOW });
  assert.equal(m.icon, 'running');
  assert.equal(m.tooltip, 'Sandtray: 1 running');
  assert.equal(label(m.items, 'sandbox:dev'), 'dev — Running');
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
    sandboxes: [running('work', { network: 'openvpn', vpn: { type: 'openvpn', state: 'down', detail: 'server unreachable' } }), running('dev')],
    now: NOW,
  });
  assert.equal(m.icon, 'vpn-down');
  assert.equal(m.tooltip, 'Sandtray: 2 running; VPN down in work');
  assert.equal(label(m.items, 'sandbox:work'), 'work — Running · VPN down');
  assert.equal(label(m.items, 'sandbox:work:tunnel'), 'OpenVPN: down (server unreachable) · no traffic leaves the sandbox');
});

test('a VPN that is up shows its address; connecting and unknown are said plainly', () => {
  const up = trayModel({ sandboxes: [running('wg', { network: 'wireguard', vpn: { type: 'wireguard', state: 'up', address: '10.8.0.6' } })], now: NOW });
  assert.equal(up.icon, 'running');
  assert.equal(label(up.items, 'sandbox:wg'), 'wg — Running · 10.8.0.6');
  assert.equal(label(up.items, 'sandbox:wg:tunnel'), 'WireGuard: up · 10.8.0.6');
  const connecting = trayModel({ sandboxes: [running('wg', { network: 'wireguard', vpn: { state: 'connecting' } })], now: NOW });
  assert.equal(label(connecting.items, 'sandbox:wg:tunnel'), 'Tunnel: connecting…');
  const unknown = trayModel({ sandboxes: [running('ovpn', { network: 'openvpn' })], now: NOW });
  assert.equal(label(unknown.items, 'sandbox:ovpn:tunnel'), 'Tunnel: status unknown');
  assert.equal(unknown.icon, 'running', 'no report is not "down"');
  const stopped = trayModel({ sandboxes: [sb('ovpn', { network: 'openvpn', vpn: { state: 'down' } })], now: NOW });
  assert.equal(stopped.icon, 'idle', 'a stopped VPN sandbox is not a dropped tunnel');
});

test('plain sandboxes have no tunnel line', () => {
  const m = trayModel({ sandboxes: [running('dev', { network: 'host' })], now: NOW });
  assert.equal(findItem(m.items, 'sandbox:dev:tunnel'), undefined);
  assert.equal(label(m.items, 'sandbox:dev:network'), 'Network: host (not isolated: can reach your desktop and local services)');
});

test('a sandbox whose profile broke cannot be started and shows the problem', () => {
  const m = trayModel({ sandboxes: [sb('dev', { problem: 'Profile "gone" not found (looked in /a and /b)\nmore' })], now: NOW });
  assert.equal(label(m.items, 'sandbox:dev'), 'dev — Stopped · needs attention');
  assert.equal(label(m.items, 'sandbox:dev:problem'), 'Problem: Profile "gone" not found (looked in /a and /b)');
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
  const m = trayModel({ sandboxes: [running('a', { network: 'openvpn', vpn: { state: 'up', address: '10.0.0.2' } }), sb('b')], now: NOW });
  assert.deepEqual(JSON.parse(JSON.stringify(m)), m);
});
