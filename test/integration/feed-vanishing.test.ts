// No watch throws when folders vanish: the desktop's feed (main/engine/feed.ts, on the engine's
// watchStates) keeps running while another process makes runtime and data folders appear and
// vanish as fast as it can, the runtime root included, and it still sees a sandbox made afterwards.
// An uncaught error from a watch is a crash of the app's main process.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { execa } from 'execa';
import { sandtrayPaths } from '../../helpers/api/base.js';
import { SandboxFeed } from '../../main/engine/feed.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sandtray-feed-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));
const paths = sandtrayPaths({ HOME: dir, XDG_CONFIG_HOME: path.join(dir, 'c'), XDG_DATA_HOME: path.join(dir, 'd'), XDG_STATE_HOME: path.join(dir, 's'), XDG_RUNTIME_DIR: path.join(dir, 'r') });
const sandboxes = path.join(paths.data, 'sandboxes');
for (const d of [path.join(dir, 'r'), paths.runtime, paths.data, sandboxes]) fs.mkdirSync(d, { recursive: true, mode: 0o700 });

function writeRecord(name: string): void {
  fs.mkdirSync(path.join(sandboxes, name), { mode: 0o700 });
  fs.writeFileSync(path.join(sandboxes, name, 'sandbox.json'), JSON.stringify({ apiVersion: 'sandtray/v1', name, profiles: [], overrides: null, createdAt: new Date().toISOString() }), { mode: 0o600 });
}

test('the feed survives folders that appear and vanish, and still sees what comes after', { timeout: 180_000 }, async () => {
  const uncaught: unknown[] = [];
  const onUncaught = (err: unknown): void => void uncaught.push(err);
  process.on('uncaughtException', onUncaught);
  const seen = new Set<string>();
  const feed = new SandboxFeed((u) => {
    for (const s of u.sandboxes) seen.add(s.name);
  }, paths);
  // A bound for a positive condition (met as soon as the feed reports it): generous, for a loaded machine.
  const waitSeen = async (name: string): Promise<boolean> => {
    const deadline = Date.now() + 30_000;
    while (!seen.has(name) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
    return seen.has(name);
  };
  try {
    feed.start();
    writeRecord('before');
    assert.ok(await waitSeen('before'), 'the feed reports a new sandbox (its watches are armed)');
    // Another process, so the folders change while this one is busy: 2000 rounds of a sandbox's
    // runtime and data folders made and removed, and the runtime root itself every 100 rounds.
    const flash = `
      const fs = require('node:fs'), path = require('node:path');
      const [rt, sb] = process.argv.slice(1);
      for (let i = 0; i < 2000; i++) {
        const name = 'flash-' + (i % 7);
        const r = path.join(rt, name), d = path.join(sb, name);
        try {
          fs.mkdirSync(r, { recursive: true, mode: 0o700 }); fs.writeFileSync(path.join(r, 'state.json'), '{}');
          fs.mkdirSync(d, { mode: 0o700 }); fs.writeFileSync(path.join(d, 'sandbox.json'), '{}');
          fs.rmSync(r, { recursive: true, force: true }); fs.rmSync(d, { recursive: true, force: true });
          if (i % 100 === 99) { fs.rmSync(rt, { recursive: true, force: true }); fs.mkdirSync(rt, { mode: 0o700 }); }
        } catch (err) { if (err.code !== 'ENOENT' && err.code !== 'EEXIST') throw err; }
      }`;
    const r = await execa(process.execPath, ['-e', flash, paths.runtime, sandboxes], { reject: false, timeout: 90_000 });
    assert.equal(r.exitCode, 0, r.stderr);
    writeRecord('after');
    assert.ok(await waitSeen('after'), 'the feed still reports a sandbox made after the churn');
    assert.deepEqual(uncaught, [], 'no watch threw');
  } finally {
    feed.close();
    process.off('uncaughtException', onUncaught);
  }
});
