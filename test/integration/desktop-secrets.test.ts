// The desktop asks for a VPN sandbox's secrets in its dialog before anything is launched, the way
// the CLI asks on its terminal: Start, Open app and Create-and-start ask while nothing runs, and
// Restart asks while the sandbox still runs; a cancelled dialog leaves the sandbox as it was.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { createServices, type Services } from '../../main/app/services.js';
import { connectEnginePrompt } from '../../main/secrets/engine-prompt.js';
import type { Keyring } from '../../main/secrets/keyring.js';
import type { SandtrayEvent } from '../../main/ipc/contract.js';
import { sandboxState, sandboxDirs, setSecretPrompt } from '../../helpers/api/index.js';
import { sandtrayEnv, type Env } from '../lib/sandtray.js';

let e: Env;
let services: Services;
/** What the sandbox was when each prompt showed, and how the test answers it. */
const asked: { label: string; state: string; pid: number | null; runtimeDir: boolean }[] = [];
let answer: (label: string) => string | null = () => null;
const keyring: Keyring = { get: async () => null, set: async () => undefined, remove: async () => false };

before(async () => {
  e = sandtrayEnv('desktop-secrets');
  // The in-process engine reads the XDG variables on every call.
  Object.assign(process.env, e.env);
  // A server that wants a user name and a password; the tunnel never needs to come up here (a
  // loopback port nothing listens on).
  const file = path.join(e.dir, 'office.ovpn');
  fs.writeFileSync(file, ['client', 'dev tun', 'proto udp', 'remote 127.0.0.1 9', 'auth-user-pass', '<ca>', '-----BEGIN CERTIFICATE-----', 'MIIB', '-----END CERTIFICATE-----', '</ca>', ''].join('\n'));
  await e.ok(['vpn', 'import', file]);
  const prof = path.join(e.dir, 'apps.sandtray');
  fs.writeFileSync(prof, ['apiVersion: sandtray/v1', 'apps:', '  - {name: idle, command: [sleep, "300"]}', ''].join('\n'));
  await e.ok(['create', 'office-apps', '--profile', 'office', '--profile', prof]);
  services = createServices({
    emit: (ev: SandtrayEvent) => {
      if (ev.type !== 'secret-prompt') return;
      const st = sandboxState(ev.sandbox);
      asked.push({ label: ev.label, state: st.state, pid: st.runtime?.init?.pid ?? null, runtimeDir: fs.existsSync(sandboxDirs(ev.sandbox).runtime) });
      const a = answer(ev.label);
      void services.handlers['secret-reply']!({ promptId: ev.promptId, secret: a, remember: false, ...(a !== null ? { password: 'pw' } : {}) }, { senderId: 1 } as never);
    },
    notify: () => undefined,
    keyring,
    openSystemTerminal: () => '/usr/bin/true',
  });
  connectEnginePrompt(services.secrets);
});

after(async () => {
  setSecretPrompt(null);
  services?.close();
  await e?.cleanup();
});

const call = (op: string, args: unknown): Promise<unknown> => Promise.resolve((services.handlers as Record<string, (a: unknown, ctx: unknown) => unknown>)[op]!(args, { senderId: 1 }));

test('Start asks in the dialog before anything is launched; Cancel leaves it stopped with nothing left', { timeout: 60_000 }, async () => {
  asked.length = 0;
  answer = () => null;
  await assert.rejects(call('start', { name: 'office', acceptProfileChanges: true }), (err: Error & { code?: string }) => err.code === 'SECRET');
  assert.equal(asked.length, 1, 'the dialog asked once');
  assert.deepEqual(asked[0], { label: 'VPN user name', state: 'STOPPED', pid: null, runtimeDir: false }, 'asked while nothing ran');
  assert.equal(sandboxState('office').state, 'STOPPED');
  assert.equal(fs.existsSync(sandboxDirs('office').runtime), false, 'no runtime folder left');
  assert.match(await e.ok(['list']), /office\s+STOPPED/);
});

test('Open app asks in the same dialog (not a terminal nobody sees); Cancel starts nothing', { timeout: 60_000 }, async () => {
  asked.length = 0;
  answer = () => null;
  await assert.rejects(call('open-app', { name: 'office-apps', app: 'idle' }), (err: Error & { code?: string }) => err.code === 'SECRET');
  assert.equal(asked.length, 1, 'the dialog asked');
  assert.equal(asked[0]!.state, 'STOPPED');
  assert.equal(asked[0]!.runtimeDir, false);
  assert.equal(sandboxState('office-apps').state, 'STOPPED');
});

test('Create and start asks before launching; Cancel removes the sandbox it created', { timeout: 60_000 }, async () => {
  asked.length = 0;
  answer = () => null;
  await assert.rejects(call('create-from-profile', { name: 'office-new', profiles: ['office'], start: true }), (err: Error & { code?: string }) => err.code === 'SECRET');
  assert.equal(asked.length, 1);
  assert.equal(asked[0]!.pid, null);
  assert.doesNotMatch(await e.ok(['list']), /office-new/, 'nothing half-made stays');
});

test('Restart asks while the sandbox still runs; Cancel leaves it running as it was', { timeout: 90_000 }, async () => {
  asked.length = 0;
  // Answered: the sandbox starts (its tunnel keeps trying a port nothing listens on).
  answer = () => 'alice';
  await call('start', { name: 'office', acceptProfileChanges: true });
  const before = sandboxState('office');
  assert.equal(before.state, 'RUNNING');
  const pid = before.runtime!.init!.pid;
  asked.length = 0;
  answer = () => null;
  await assert.rejects(call('restart', { name: 'office', acceptProfileChanges: true }), (err: Error & { code?: string }) => err.code === 'SECRET');
  assert.equal(asked.length, 1, 'the dialog asked');
  assert.equal(asked[0]!.state, 'RUNNING', 'asked before anything was stopped');
  assert.equal(asked[0]!.pid, pid);
  const now = sandboxState('office');
  assert.equal(now.state, 'RUNNING', 'a cancelled restart stops nothing');
  assert.equal(now.runtime!.init!.pid, pid);
  await e.ok(['stop', 'office']);
});
