// The IPC contract: every operation has schemas; the dispatcher accepts good payloads, rejects bad
// ones and foreign senders before any handler runs, and holds replies to the contract too.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SandtrayError } from '../../helpers/core/errors.js';
import { CHANNELS, CONTRACT, EVENT_CHANNEL, OPERATIONS, eventSchema, isOperation } from '../../main/ipc/contract.js';
import { createDispatcher, frameSenderPolicy, isTrustedSender, type Handlers, type SenderInfo } from '../../main/ipc/dispatch.js';

const RENDERER = 'file:///opt/Sandtray/resources/app/dist/renderer/index.html';
const trusted = { webContentsIds: new Set([7]), rendererUrl: RENDERER };
const ours: SenderInfo = { webContentsId: 7, frameUrl: RENDERER, isMainFrame: true };

const summary = { name: 'dev', state: 'RUNNING', pid: 10, network: 'none', profiles: ['shell'], startedAt: '2026-01-01T00:00:00Z', problem: null };

/** Handlers that record calls and return contract-shaped replies. */
function recording(): { calls: [string, unknown, unknown][]; handlers: Handlers } {
  const calls: [string, unknown, unknown][] = [];
  const ok = { ok: true as const };
  const replies: Record<string, unknown> = {
    list: [summary], start: summary, restart: summary, 'create-from-profile': summary, stop: { how: 'clean' }, delete: ok,
    'terminal-open': { id: 'abcdefghijkl', title: 'dev · shell' }, 'terminal-input': ok, 'terminal-resize': ok, 'terminal-close': ok,
    'validate-profile-text': { valid: true, issues: [], summary: null }, 'secret-reply': ok, 'file-pending': [],
  };
  const handlers = Object.fromEntries(OPERATIONS.map((op) => [op, (req: unknown, ctx: unknown) => {
    calls.push([op, req, ctx]);
    if (!(op in replies)) throw new SandtrayError('INTERNAL', `no reply for ${op} in this test`);
    return replies[op];
  }])) as unknown as Handlers;
  return { calls, handlers };
}

test('every operation has a channel and request and reply schemas', () => {
  // Exactly these cross the bridge: a new operation is a new way into main, added here on purpose.
  assert.deepEqual([...OPERATIONS], [
    'list', 'info', 'start', 'stop', 'restart', 'delete', 'create-from-profile', 'list-profiles', 'read-profile',
    'validate-profile-text', 'save-profile', 'log-read', 'log-follow', 'log-unfollow', 'terminal-open', 'terminal-input',
    'terminal-resize', 'terminal-close', 'open-system-terminal', 'secret-reply', 'file-pending', 'file-accept', 'file-dismiss',
    'host-check', 'pick-vpn-file', 'vpn-verify', 'open-app', 'preview-sandbox',
  ]);
  for (const op of OPERATIONS) {
    assert.equal(CHANNELS[op], `sandtray:${op}`);
    assert.ok(CONTRACT[op].request && CONTRACT[op].reply, op);
  }
  assert.equal(new Set(Object.values(CHANNELS)).size, OPERATIONS.length, 'channels are distinct');
  assert.ok(!Object.values(CHANNELS).includes(EVENT_CHANNEL as never));
  for (const required of ['list', 'info', 'start', 'stop', 'restart', 'delete', 'create-from-profile', 'validate-profile-text', 'save-profile', 'log-read', 'log-follow', 'terminal-open', 'terminal-input', 'terminal-resize', 'terminal-close', 'secret-reply']) {
    assert.ok(isOperation(required), required);
  }
  // There is no way to name an arbitrary command or path.
  assert.ok(!isOperation('exec') && !isOperation('read-file') && !isOperation('__proto__') && !isOperation(42));
});

test('good payloads reach the handler, parsed, with the sender as context', async () => {
  const { calls, handlers } = recording();
  const dispatch = createDispatcher(handlers, frameSenderPolicy(trusted));
  const cases: [string, unknown][] = [
    ['list', {}],
    ['start', { name: 'dev' }],
    ['stop', { name: 'dev', force: true, timeoutSec: 3 }],
    ['create-from-profile', { name: 'new-one', profiles: ['shell', 'dev'], start: false }],
    ['terminal-open', { name: 'dev', cols: 120, rows: 40 }],
    ['terminal-input', { id: 'abcdefghijkl', data: 'ls -la\r' }],
    ['terminal-resize', { id: 'abcdefghijkl', cols: 80, rows: 24 }],
    ['validate-profile-text', { text: 'apiVersion: sandtray/v1\n' }],
    ['secret-reply', { promptId: 'abcdefghijkl', secret: 'pw', remember: true }],
    ['secret-reply', { promptId: 'abcdefghijkl', secret: null, remember: false }],
  ];
  for (const [op, payload] of cases) {
    const env = await dispatch(op, payload, ours);
    assert.equal(env.ok, true, `${op}: ${JSON.stringify(env)}`);
  }
  assert.equal(calls.length, cases.length);
  assert.deepEqual(calls[1], ['start', { name: 'dev' }, { senderId: 7 }]);
});

test('bad payloads are refused before any handler runs', async () => {
  const { calls, handlers } = recording();
  const dispatch = createDispatcher(handlers, frameSenderPolicy(trusted));
  const bad: [unknown, unknown][] = [
    ['start', { name: '--privileged' }], // would become an option
    ['start', { name: '../../etc' }],
    ['start', { name: 'Dev' }],
    ['start', {}],
    ['start', null],
    ['start', 'dev'],
    ['start', { name: 'dev', extra: 1 }], // strict: no smuggled keys
    ['list', { all: true }],
    ['stop', { name: 'dev', timeoutSec: -1 }],
    ['create-from-profile', { name: 'x', profiles: ['/etc/passwd'], start: false }], // names only, never paths
    ['create-from-profile', { name: 'x', profiles: ['shell'] }],
    ['terminal-open', { name: 'dev', cols: 0, rows: 24 }],
    ['terminal-open', { name: 'dev', cols: 80.5, rows: 24 }],
    ['terminal-input', { id: 'x', data: 'ls' }],
    ['terminal-input', { id: 'abcdefghijkl', data: 'x'.repeat(70_000) }],
    ['validate-profile-text', { text: 42 }],
    ['secret-reply', { promptId: 'abcdefghijkl', secret: 'pw' }],
    ['log-read', { name: 'dev', maxBytes: 1e12 }],
    ['file-accept', { token: '../../x', name: 'a', start: true }],
    ['exec', { cmd: ['rm', '-rf', '/'] }],
    ['constructor', {}],
    [undefined, {}],
  ];
  for (const [op, payload] of bad) {
    const env = await dispatch(op, payload, ours);
    assert.equal(env.ok, false, `${String(op)} ${JSON.stringify(payload)} was accepted`);
    if (!env.ok) assert.equal(env.error.code, 'INVALID_ARGUMENT');
  }
  assert.equal(calls.length, 0);
});

test('foreign senders are refused whatever they ask', async () => {
  const { calls, handlers } = recording();
  const dispatch = createDispatcher(handlers, frameSenderPolicy(trusted));
  const foreign: SenderInfo[] = [
    { ...ours, webContentsId: 8 }, // another window
    { ...ours, isMainFrame: false }, // an iframe in our window
    { ...ours, frameUrl: 'https://evil.example/index.html' }, // navigated away
    { ...ours, frameUrl: 'file:///tmp/index.html' }, // another local file
    { ...ours, frameUrl: 'file:///opt/Sandtray/resources/app/dist/renderer/other.html' },
    { ...ours, frameUrl: `${RENDERER}?x=1` },
    { ...ours, frameUrl: 'file://remote-host/opt/Sandtray/resources/app/dist/renderer/index.html' },
    { ...ours, frameUrl: 'not a url' },
    { ...ours, frameUrl: '' },
  ];
  for (const s of foreign) {
    const env = await dispatch('list', {}, s);
    assert.equal(env.ok, false, JSON.stringify(s));
    if (!env.ok) assert.equal(env.error.code, 'FORBIDDEN');
    // Even an unknown operation gets the same answer: a foreign frame learns nothing.
    const unknown = await dispatch('nope', {}, s);
    assert.ok(!unknown.ok && unknown.error.code === 'FORBIDDEN');
  }
  assert.equal(calls.length, 0);
  assert.equal(isTrustedSender({ ...ours, frameUrl: `${RENDERER}#/sandbox/dev` }, trusted), true, 'the hash is view state');
});

test('engine errors cross as code, message and hint', async () => {
  const handlers = { ...recording().handlers, start: () => { throw new SandtrayError('WRONG_STATE', 'Sandbox "dev" is already RUNNING', 'Use restart.'); } } as Handlers;
  const env = await createDispatcher(handlers, frameSenderPolicy(trusted))('start', { name: 'dev' }, ours);
  assert.deepEqual(env, { ok: false, error: { code: 'WRONG_STATE', message: 'Sandbox "dev" is already RUNNING', hint: 'Use restart.' } });
  const crash = { ...handlers, list: () => { throw new TypeError('boom'); } } as Handlers;
  const e2 = await createDispatcher(crash, frameSenderPolicy(trusted))('list', {}, ours);
  assert.ok(!e2.ok && e2.error.code === 'INTERNAL' && /boom/.test(e2.error.message));
});

test('replies that break the contract never reach the window', async () => {
  const handlers = { ...recording().handlers, list: () => [{ name: 'dev', state: 'EXPLODED' }] } as unknown as Handlers;
  const env = await createDispatcher(handlers, frameSenderPolicy(trusted))('list', {}, ours);
  assert.ok(!env.ok && env.error.code === 'INTERNAL' && /does not match the contract/.test(env.error.message));
});

test('the summary schema keeps a VPN status when the engine reports one, and drops unknown fields', () => {
  const s = CONTRACT.list.reply.parse([{ ...summary, vpn: { type: 'openvpn', state: 'up', address: '10.8.0.2' }, secretThing: 'x' }]);
  assert.deepEqual(s[0]?.vpn, { type: 'openvpn', state: 'up', address: '10.8.0.2' });
  assert.equal((s[0] as Record<string, unknown>)['secretThing'], undefined);
});

test('events are checked against the contract too', () => {
  assert.ok(eventSchema.safeParse({ type: 'terminal-data', id: 'abcdefghijkl', data: 'hi' }).success);
  assert.ok(eventSchema.safeParse({ type: 'secret-prompt', promptId: 'abcdefghijkl', sandbox: 'w', label: 'Password', detail: null, canRemember: true }).success);
  // A prompt carries no secret: an extra field is stripped before anything is sent.
  const prompt = eventSchema.parse({ type: 'secret-prompt', promptId: 'abcdefghijkl', sandbox: 'w', label: 'Password', detail: null, canRemember: true, secret: 'leak' });
  assert.equal((prompt as Record<string, unknown>)['secret'], undefined);
  assert.ok(!eventSchema.safeParse({ type: 'run-command', cmd: 'x' }).success);
});

test('the VPN types are the engine\'s one list, not restated in main/ or renderer/', async () => {
  const { VPN_TYPES } = await import('../../main/ipc/contract.js');
  const { vpnTypes } = await import('../../helpers/profile/schema.js');
  assert.equal(VPN_TYPES, vpnTypes, 'the contract re-exports the engine\'s list itself');
  const { vpnStatusSchema } = await import('../../main/ipc/contract.js');
  for (const t of vpnTypes) assert.equal(vpnStatusSchema.parse({ type: t, state: 'up' }).type, t);
  assert.throws(() => vpnStatusSchema.parse({ type: 'ipsec', state: 'up' }));
  // A union or list of the type names written out by hand, in the sources of main/ and renderer/.
  const fs = await import('node:fs');
  const path = await import('node:path');
  const { ROOT } = await import('../lib/sandtray.js');
  const restated: string[] = [];
  const walk = (dir: string): void => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.ts') && /'openvpn'\s*[|,]\s*'wireguard'|'wireguard'\s*[|,]\s*'openvpn'/.test(fs.readFileSync(p, 'utf8'))) restated.push(path.relative(ROOT, p));
    }
  };
  for (const top of ['main', 'renderer']) walk(path.join(ROOT, top));
  assert.deepEqual(restated, []);
});
