// The tray follows state changes made anywhere, driven by events: a start and a stop from the CLI in
// another process, and a sandbox's pid 1 killed from outside (which is also reported). The feed's
// safety-net listing is set to an hour, so only an event can bring a change within a test, and the
// update that shows it carries the engine's state event. How quickly is measured in the benchmark
// (`npm run bench`: monitor latency), never here.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { createServices, type Services } from '../../main/app/services.js';
import type { Notice } from '../../main/engine/notices.js';
import { trayModel, findItem, type TrayModel } from '../../main/tray/model.js';
import type { StateEvent } from '../../helpers/api/index.js';
import { sandtrayEnv, type Env } from '../lib/sandtray.js';

/** Longer than any test here: a change the tray shows came from an event. */
const POLL_MS = 3_600_000;

let e: Env;
let services: Services;
let model: TrayModel;
const notices: Notice[] = [];
const changes: { model: TrayModel; events: StateEvent[]; notices: number }[] = [];

/** Resolves with the first update whose tray model satisfied pred. */
async function when(pred: (m: TrayModel) => boolean, timeoutMs = 30_000): Promise<{ model: TrayModel; events: StateEvent[]; notices: number }> {
  const start = Date.now();
  for (;;) {
    const hit = changes.find((c) => pred(c.model));
    if (hit) return hit;
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
    // Called after the update's notices were sent: notices.length is what this update added to.
    onSandboxes: (u) => {
      model = trayModel({ sandboxes: u.sandboxes });
      changes.push({ model, events: u.events, notices: notices.length });
    },
    feedPollMs: POLL_MS,
  });
  services.feed.start();
  model = trayModel({ sandboxes: services.feed.sandboxes });
  assert.equal(model.icon, 'idle');
});

after(async () => {
  services?.close();
  await e?.cleanup();
});

/**
 * The update that carried the engine's event for name reaching state. It can come with the update
 * that first shows the change or just after it (the listing may be read before the watcher has
 * derived the event from the same files); notices for the event are sent in that same update.
 */
async function eventUpdate(name: string, state: string, timeoutMs = 30_000): Promise<{ model: TrayModel; events: StateEvent[]; notices: number }> {
  const start = Date.now();
  for (;;) {
    const hit = changes.find((c) => c.events.some((ev) => ev.name === name && ev.state === state));
    if (hit) return hit;
    if (Date.now() - start > timeoutMs) assert.fail(`no update carried the event ${name} ${state}: ${JSON.stringify(changes.map((c) => c.events))}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

test('a start from the CLI shows in the tray, brought by its event', async () => {
  changes.length = 0;
  await e.ok(['start', 'live']);
  await when((m) => statusOf(m, 'live') === 'live — ● Running');
  await eventUpdate('live', 'RUNNING');
  assert.equal(changes.at(-1)!.model.icon, 'running');
});

test('pid 1 killed from outside: the tray shows it stopped and a notice says so', async () => {
  changes.length = 0;
  notices.length = 0;
  const info = JSON.parse(await e.ok(['info', 'live', '--json'])) as { pid: number };
  process.kill(info.pid, 'SIGKILL');
  await when((m) => statusOf(m, 'live') === 'live — ○ Stopped');
  const stopped = await eventUpdate('live', 'STOPPED');
  // The notice is sent with the update that carries the event, before the tray hears of it.
  assert.equal(stopped.notices, 1);
  assert.equal(notices.length, 1);
  assert.equal(notices[0]!.title, 'live stopped unexpectedly');
  assert.match(notices[0]!.body, /killed by signal 9|pid 1 is gone/);
});

test('a stop from the CLI shows, and is not reported as unexpected', async () => {
  await e.ok(['stop', 'live']).catch(() => undefined); // clears the leftovers of the kill
  await e.ok(['start', 'live']);
  await when((m) => statusOf(m, 'live') === 'live — ● Running');
  await eventUpdate('live', 'RUNNING');
  changes.length = 0;
  notices.length = 0;
  await e.ok(['stop', 'live']);
  await when((m) => statusOf(m, 'live') === 'live — ○ Stopped' && m.icon === 'idle');
  const stopped = await eventUpdate('live', 'STOPPED');
  // A notice for this stop could only have been sent with the update that carried its event.
  assert.equal(stopped.notices, 0);
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
