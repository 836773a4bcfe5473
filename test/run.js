#!/usr/bin/env node
// The test command: checks the system tools the suite needs (failing loudly, never skipping),
// refuses to run as root (Sandtray's users are not root; a test must not pass only because we are),
// then runs every compiled test file with node's test runner.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const REQUIRED = {
  bwrap: 'bubblewrap', unshare: 'util-linux', nsenter: 'util-linux', newuidmap: 'uidmap', newgidmap: 'uidmap',
  getsubids: 'uidmap', script: 'bsdutils', pasta: 'passt', ip: 'iproute2', perl: 'perl-base',
  openvpn: 'openvpn', wg: 'wireguard-tools', 'wireguard-go': 'wireguard-go', tcpdump: 'tcpdump', openssl: 'openssl',
  'dbus-run-session': 'dbus-daemon', 'dbus-daemon': 'dbus-daemon', 'gnome-keyring-daemon': 'gnome-keyring', 'secret-tool': 'libsecret-tools', sudo: 'sudo',
  // Graphical apps and sound (test/integration/graphics.test.ts): real servers, real clients.
  Xvfb: 'xvfb', xauth: 'xauth', mcookie: 'util-linux', xdpyinfo: 'x11-utils', xmessage: 'x11-utils', xwininfo: 'x11-utils',
  xwd: 'x11-apps', weston: 'weston', 'wayland-info': 'wayland-utils', pulseaudio: 'pulseaudio', pactl: 'pulseaudio-utils',
  pacat: 'pulseaudio-utils', parec: 'pulseaudio-utils', 'desktop-file-validate': 'desktop-file-utils',
  // The session bus (test/integration/graphics-dbus.test.ts): the proxy, a bus, python3-dbus services, gdbus.
  'xdg-dbus-proxy': 'xdg-dbus-proxy', 'dbus-daemon': 'dbus-daemon', gdbus: 'libglib2.0-bin', python3: 'python3',
};

function which(tool) {
  for (const d of [...(process.env.PATH ?? '').split(':'), '/usr/sbin', '/sbin']) {
    if (d && fs.existsSync(path.join(d, tool))) return true;
  }
  return false;
}

const missing = Object.entries(REQUIRED).filter(([t]) => !which(t));
if (missing.length) {
  console.error(`The test suite needs these tools: ${missing.map(([t, p]) => `${t} (Debian package ${p})`).join(', ')}`);
  console.error(`Install them: sudo apt-get install ${[...new Set(missing.map(([, p]) => p))].join(' ')}  (.ci/run does this)`);
  process.exit(1);
}
if (process.getuid && process.getuid() === 0) {
  console.error('Refusing to run the tests as root: Sandtray is for unprivileged users and the tests must prove it.');
  console.error('Run them as an ordinary user with /etc/subuid and /etc/subgid ranges (.ci/run creates one).');
  process.exit(1);
}

const only = process.argv.slice(2);
const files = [];
for (const dir of ['unit', 'integration']) {
  const d = path.join(root, 'dist', 'test', dir);
  if (!fs.existsSync(d)) continue;
  for (const f of fs.readdirSync(d).sort()) {
    if (!f.endsWith('.test.js')) continue;
    if (only.length && !only.some((o) => f.includes(o))) continue;
    files.push(path.join(d, f));
  }
}
if (!files.length) {
  console.error('No test files found under dist/test; run `npm run build` first.');
  process.exit(1);
}
// --test-force-exit: a test file whose tests have all ended exits even if something it started
// still holds its event loop (that would hang the whole run, not fail one test). The whole run is
// bounded too, so that a hang is reported as one rather than as silence.
const LIMIT_MS = 70 * 60_000;
// Code under test that falls back to the engine's default folders (sandtrayPaths() with no
// argument) lands in a throwaway folder, never in the developer's own profiles, sandboxes or
// leases. Tests that need folders make their own (test/lib/sandtray.ts); test/unit/paths.test.ts
// checks this is in place.
const xdg = fs.mkdtempSync(path.join(os.tmpdir(), 'sandtray-test-xdg-'));
const env = {
  ...process.env,
  XDG_CONFIG_HOME: path.join(xdg, 'config'),
  XDG_DATA_HOME: path.join(xdg, 'data'),
  XDG_STATE_HOME: path.join(xdg, 'state'),
  SANDTRAY_TEST_XDG: xdg,
};
// Every test is bounded too (a test's own `timeout` option takes precedence): one that hangs fails
// alone, named, instead of stopping the whole run.
const TEST_LIMIT_MS = 10 * 60_000;
const res = spawnSync(process.execPath, ['--test', '--test-force-exit', `--test-timeout=${TEST_LIMIT_MS}`, '--test-reporter=spec', ...files], {
  stdio: 'inherit', cwd: root, timeout: LIMIT_MS, killSignal: 'SIGKILL', env,
});
fs.rmSync(xdg, { recursive: true, force: true });
if (res.error) console.error(`The test run did not end within ${LIMIT_MS / 60_000} minutes and was stopped: ${res.error.message}`);
process.exit(res.status ?? 1);
