// "Remember in keyring" against a real Secret Service: a private D-Bus session with GNOME Keyring,
// the engine's keyring module in between, exactly as the app stores a VPN password.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';

const worker = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'lib', 'desktop-keyring-worker.js');

test('a remembered password goes to the keyring and is answered from it, never back to the window', { timeout: 60_000 }, async () => {
  for (const [tool, pkg] of [['/usr/bin/dbus-run-session', 'dbus-daemon'], ['/usr/bin/gnome-keyring-daemon', 'gnome-keyring']] as const) {
    assert.ok(fs.existsSync(tool), `${tool} is missing: apt-get install ${pkg} (.ci/run installs it)`);
  }
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'sandtray-keyring-'));
  try {
    // A throw-away keyring in a throw-away home, unlocked with a throw-away password.
    const script = 'printf test | gnome-keyring-daemon --unlock --components=secrets >/dev/null 2>&1 && exec "$0" "$1"';
    const r = await execa('/usr/bin/dbus-run-session', ['--', '/bin/sh', '-c', script, process.execPath, worker], {
      env: { HOME: home, PATH: process.env['PATH'] ?? '/usr/bin:/bin', XDG_DATA_HOME: path.join(home, 'data'), XDG_RUNTIME_DIR: home, LANG: 'C.UTF-8' },
      extendEnv: false,
      reject: false,
      timeout: 45_000,
    });
    assert.equal(r.exitCode, 0, `${r.stdout}\n${r.stderr}`);
    const out = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;
    assert.deepEqual(out, { answered: 'hunter2', stored: 'hunter2', engineRead: 'hunter2', second: 'hunter2', asked: 0, removed: true, engineAfter: null, leaked: false });
  } finally {
    fs.rmSync(home, { recursive: true, force: true });
  }
});
