// The "stopped unexpectedly" notice is read from the runtime folder. A sandbox already up again
// (its stop seen only as a new pid 1) has a record of the new run there: it gives no notice.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { procStart } from '../../helpers/host/proc.js';
import { stopNoticeFromDisk } from '../../main/engine/notices.js';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sandtray-notice-'));
process.env['XDG_RUNTIME_DIR'] = root;
after(() => fs.rmSync(root, { recursive: true, force: true }));

/** Writes the runtime record of sandbox `name` with `init` as its pid 1, phase running. */
function record(name: string, init: { pid: number; start: number }): void {
  const dir = path.join(root, 'sandtray', name);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  fs.chmodSync(path.join(root, 'sandtray'), 0o700);
  const rt = {
    phase: 'running', actor: null, init, monitor: null, startedAt: new Date().toISOString(), namespaces: {}, idmap: null,
    mounts: [], network: 'none', env: {}, shell: '/bin/sh', command: [], workdir: '/', idmapNote: null, confine: null, helpers: [],
  };
  fs.writeFileSync(path.join(dir, 'state.json'), JSON.stringify(rt), { mode: 0o600 });
}

test('a running record whose pid 1 is gone gives the notice (the positive control)', () => {
  record('gone', { pid: process.pid, start: procStart(process.pid)! - 1 });
  assert.equal(stopNoticeFromDisk('gone')?.title, 'gone stopped unexpectedly');
});

test('a record whose pid 1 is alive is a new run: no notice', () => {
  record('again', { pid: process.pid, start: procStart(process.pid)! });
  assert.equal(stopNoticeFromDisk('again'), null);
});
