// The tray follows state changes made anywhere within 200 ms, driven by events: a start and a stop
// from the CLI in another process, and a sandbox's pid 1 killed from outside (which is also reported).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { createServices, type Services } from '../../main/app/services.js';
import type { Notice } from '../../main/engine/notices.js';
import { trayModel, findItem, type TrayModel } from '../../main/tray/model.js';
import { sandtrayEnv, type Env } from '../lib/sandtray.js';

const LIMIT_MS = 200;

let e: Env;
let services: Services;
let model: TrayModel;
const notices: Notice[] = [];
const changes: { at: number; model: TrayModel }[] = [];

/** Resolves with the time the tray model first satisfied pred. */
async function when(pred: (m: TrayModel) => boolean, timeoutMs = 15_000): Promise<number> {
  const start = Date.now();
  for (;;) {
    const hit = changes.find((c) => pred(c.model));
    if (hit) return hit.at;
    if (Date.now() - start > timeoutMs) assert.fail(`the tray never reached the expected state; last: ${JSON.stringify(model.items.map((i) => i.kind !== 'separator' && i.label))}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const statusOf = (m: TrayModel, name: string): string => {
  const it = findItem(m.items, `sandbox:${name}`);
  return it && it.kind === 'submenu' ? it.label : 'absent';
};

before(async () => {
  e = sandtrayEnv('desktop-tray');
  Object.assign(process.env, e.env);
  await e.ok(['create', 'live', '--profile', 'shell']);
  services = createServices({
    emit: () => undefined,
    notify: (n) => notices.push(n),
    keyring: { get: async () => null, set: async () => undefined, remove: async () => false },
    onSandboxes: (u) => {
      model = trayModel({ sandboxes: u.sandboxes });
      changes.push({ at: Date.now(), model });
    },
  });
  services.feed.start();
  model = trayModel({ sandboxes: services.feed.sandboxes });
  assert.equal(model.icon, 'idle');
});

after(async () => {
  services?.close();
  await e?.cleanup();
});

test('a start from the CLI shows in the tray within 200 ms', async () => {
  changes.length = 0;
  await e.ok(['start', 'live']);
  const exited = Date.now();
  const seen = await when((m) => statusOf(m, 'live') === 'live — ● Running');
  assert.ok(seen - exited <= LIMIT_MS, `seen ${seen - exited} ms after the CLI returned`);
  assert.equal(changes.at(-1)!.model.icon, 'running');
});

test('pid 1 killed from outside: the tray shows it stopped within 200 ms and a notice says so', async () => {
  changes.length = 0;
  const info = JSON.parse(await e.ok(['info', 'live', '--json'])) as { pid: number };
  const killed = Date.now();
  process.kill(info.pid, 'SIGKILL');
  const seen = await when((m) => statusOf(m, 'live') === 'live — ○ Stopped');
  assert.ok(seen - killed <= LIMIT_MS, `seen ${seen - killed} ms after the kill`);
  for (let i = 0; i < 20 && !notices.length; i++) await new Promise((r) => setTimeout(r, 10));
  assert.equal(notices.length, 1);
  assert.equal(notices[0]!.title, 'live stopped unexpectedly');
  assert.match(notices[0]!.body, /killed by signal 9|pid 1 is gone/);
});

test('a stop from the CLI shows within 200 ms and is not reported as unexpected', async () => {
  await e.ok(['stop', 'live']).catch(() => undefined); // clears the leftovers of the kill
  await e.ok(['start', 'live']);
  await when((m) => statusOf(m, 'live') === 'live — ● Running');
  changes.length = 0;
  notices.length = 0;
  await e.ok(['stop', 'live']);
  const exited = Date.now();
  const seen = await when((m) => statusOf(m, 'live') === 'live — ○ Stopped' && m.icon === 'idle');
  assert.ok(seen - exited <= LIMIT_MS, `seen ${seen - exited} ms after the CLI returned`);
  await new Promise((r) => setTimeout(r, 100));
  assert.deepEqual(notices, []);
});

test('create and delete elsewhere add and remove the menu entry', async () => {
  changes.length = 0;
  await e.ok(['create', 'other']);
  await when((m) => statusOf(m, 'other') === 'other — ○ Stopped');
  await e.ok(['delete', 'other']);
  await when((m) => statusOf(m, 'other') === 'absent');
  assert.ok(fs.existsSync(e.dir));
});
