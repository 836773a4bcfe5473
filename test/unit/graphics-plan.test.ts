// Graphical grants in the profile, the plan and the launch options (plan/graphics.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildPlan, mountArgs } from '../../helpers/plan/build.js';
import { planInputs } from '../../helpers/lifecycle/plan-inputs.js';
import { graphicsPlan, parseXauthority, readGraphicsHost, xauthorityFor, type GraphicsHost } from '../../helpers/plan/graphics.js';
import { expandLayers } from '../../helpers/profile/expand.js';
import { parseLayer } from '../../helpers/profile/load.js';
import { profileRisks, riskHost } from '../../helpers/profile/risks.js';
import { bindByDescriptor } from '../../helpers/runtime/mount-safety.js';
import type { HostFacts } from '../../helpers/host/facts.js';
import { buildIdMap } from '../../helpers/idmap/map.js';
import { desktopNotes } from '../../helpers/inspect/info.js';
import type { RuntimeState } from '../../helpers/runtime/state.js';

const facts: HostFacts = { uid: 1000, gid: 1000, user: 'alice', mergedUsr: { bin: true }, exists: { '/bin': true, '/bin/bash': true } };
const map = buildIdMap({ hostUid: 1000, hostGid: 1000, size: 65536, uidRanges: [{ start: 100000, size: 65536 }], gidRanges: [{ start: 100000, size: 65536 }] });
const dirs = { etcDir: '/data/box/etc', homeDir: '/data/box/home' };
const session: GraphicsHost = {
  wayland: '/run/user/1000/wayland-1', x11: { display: 3, socket: '/tmp/.X11-unix/X3' }, xauthority: '/home/alice/.Xauthority',
  pulse: '/run/user/1000/pulse/native', pipewire: '/run/user/1000/pipewire-0', dri: true,
};

function expand(yaml: string) {
  return expandLayers('box', [{ origin: 'p', layer: parseLayer(`apiVersion: sandtray/v1\n${yaml}`, 'p') }]);
}
function plan(yaml: string, graphics: GraphicsHost = session) {
  return buildPlan('box', expand(yaml).profile, planInputs(expand(yaml).profile, map), facts, dirs, { runtime: null, graphics });
}

test('the keys are strict, have defaults, and remember their origin', () => {
  const d = expand('').profile;
  assert.deepEqual([d.display, d.audio, d.gpu, d.dbus, d.apps, d.stopWhenIdle], [{ wayland: false, x11: false }, false, false, { mode: 'none', talk: [] }, [], false]);
  const { profile, origins } = expand('display: {wayland: true}\naudio: true\ndbus: {mode: filtered, talk: [org.freedesktop.Notifications]}\napps:\n  - {name: firefox, command: [firefox], title: Firefox, icon: firefox}\nstopWhenIdle: true\n');
  assert.deepEqual(profile.display, { wayland: true, x11: false });
  assert.deepEqual(profile.dbus, { mode: 'filtered', talk: ['org.freedesktop.Notifications'] });
  assert.deepEqual(profile.apps, [{ name: 'firefox', command: ['firefox'], title: 'Firefox', icon: 'firefox' }]);
  assert.equal(origins['display.wayland'], 'p');
  assert.equal(origins['display.x11'], 'default');
  assert.equal(origins['apps[firefox]'], 'p');
  assert.throws(() => expand('display: {wayland: true, vnc: true}'), /vnc/);
  assert.throws(() => expand('dbus: all'), /dbus/);
  assert.throws(() => expand('apps: [{name: Fire Fox, command: [firefox]}]'), /apps\[0\]\.name/);
  assert.throws(() => expand('apps: [{name: ff, command: []}]'), /apps\[0\]\.command/);
  assert.throws(() => expand('apps: [{name: ff, command: [x], title: "a\\nb"}]'), /one line/);
  assert.throws(() => expand('dbus: {mode: filtered, talk: ["not a name"]}'), /D-Bus name/);
  // Later layers replace an app of the same name.
  const two = expandLayers('box', [
    { origin: 'a', layer: parseLayer('apiVersion: sandtray/v1\napps: [{name: ed, command: [vi]}, {name: sh, command: [sh]}]', 'a') },
    { origin: 'b', layer: parseLayer('apiVersion: sandtray/v1\napps: [{name: ed, command: [nano]}]', 'b') },
  ]);
  assert.deepEqual(two.profile.apps.map((a) => [a.name, a.command[0]]), [['ed', 'nano'], ['sh', 'sh']]);
  assert.equal(two.origins['apps[ed]'], 'b');
});

test('a profile that asks for nothing gets nothing of the session', () => {
  const p = plan('');
  assert.deepEqual(p.desktop, []);
  for (const k of ['DISPLAY', 'WAYLAND_DISPLAY', 'PULSE_SERVER', 'XDG_RUNTIME_DIR', 'XAUTHORITY']) assert.equal(p.env[k], undefined, k);
  assert.ok(!p.mounts.some((m) => m.target.startsWith('/run/user') || m.target.startsWith('/tmp/.X11-unix') || m.target === '/dev/dri'));
  assert.ok(!p.argv.includes('--dev-bind'));
});

test('each grant binds its one socket or device into the sandbox\'s own runtime folder', () => {
  const p = plan('display: {wayland: true, x11: true}\naudio: true\ngpu: true\n');
  const m = (t: string) => p.mounts.find((x) => x.target === t);
  assert.deepEqual(m('/run/user/0'), { op: 'dir', target: '/run/user/0', perms: '0700', why: "the sandbox's own runtime folder" });
  assert.equal(m('/run/user/0/wayland-0')?.op, 'ro-bind');
  assert.equal((m('/run/user/0/wayland-0') as { source: string }).source, '/run/user/1000/wayland-1');
  assert.equal((m('/tmp/.X11-unix/X3') as { source: string }).source, '/tmp/.X11-unix/X3');
  assert.deepEqual(m('/run/user/0/Xauthority'), { op: 'x11-cookie', source: '/home/alice/.Xauthority', display: 3, target: '/run/user/0/Xauthority', why: "the X server's cookie for this display only, in a private file" });
  assert.equal((m('/run/user/0/pulse/native') as { source: string }).source, '/run/user/1000/pulse/native');
  assert.equal((m('/run/user/0/pipewire-0') as { source: string }).source, '/run/user/1000/pipewire-0');
  assert.deepEqual(m('/dev/dri'), { op: 'dev-bind', source: '/dev/dri', target: '/dev/dri', why: 'the GPU, with device access' });
  assert.equal(p.env['XDG_RUNTIME_DIR'], '/run/user/0');
  assert.equal(p.env['WAYLAND_DISPLAY'], 'wayland-0');
  assert.equal(p.env['DISPLAY'], ':3');
  assert.equal(p.env['XAUTHORITY'], '/run/user/0/Xauthority');
  assert.equal(p.env['PULSE_SERVER'], 'unix:/run/user/0/pulse/native');
  // The mode comes before the folder it applies to; the cookie is a stand-in the launch replaces.
  const args = mountArgs(p.mounts);
  assert.deepEqual(args.slice(args.indexOf('/run/user/0') - 3, args.indexOf('/run/user/0') + 1), ['--perms', '0700', '--dir', '/run/user/0']);
  assert.ok(args.join(' ').includes('--x11-cookie 3 /home/alice/.Xauthority /run/user/0/Xauthority'));
  assert.match(p.desktop.join('\n'), /wayland: .*wp_security_context_v1 .* not used yet/);
  // The profile's own env still wins.
  assert.equal(plan('display: {x11: true}\nenv: {DISPLAY: ":9"}').env['DISPLAY'], ':9');
});

test('a grant the session cannot serve binds nothing and says why', () => {
  const none: GraphicsHost = { wayland: null, x11: null, xauthority: null, pulse: null, pipewire: null, dri: false };
  const p = plan('display: {wayland: true, x11: true}\naudio: true\ngpu: true\ndbus: filtered\n', none);
  assert.equal(p.env['DISPLAY'], undefined);
  assert.ok(!p.mounts.some((m) => m.op === 'dev-bind' || m.op === 'x11-cookie'));
  assert.equal(p.desktop.length, 5);
  assert.match(p.desktop.join('\n'), /dbus: filtered, but no session bus here/);
  assert.equal(p.busProxy, null);
  assert.equal(p.env['DBUS_SESSION_BUS_ADDRESS'], undefined);
});

test('dbus: filtered binds the socket of a proxy of its own, none binds no bus', () => {
  const bus: GraphicsHost = { ...session, dbus: 'unix:path=/run/user/1000/bus' };
  const withSocket = (yaml: string) => buildPlan('box', expand(yaml).profile, planInputs(expand(yaml).profile, map), facts, { ...dirs, busSocket: '/run/user/1000/sandtray/box/bus' }, { runtime: null, graphics: bus });
  const p = withSocket('dbus: {mode: filtered, talk: [org.example.Editor]}');
  assert.deepEqual(p.busProxy, {
    address: 'unix:path=/run/user/1000/bus',
    socket: '/run/user/1000/sandtray/box/bus',
    args: [
      '--filter',
      '--call=org.freedesktop.Notifications=org.freedesktop.Notifications.*@/org/freedesktop/Notifications',
      '--broadcast=org.freedesktop.Notifications=org.freedesktop.Notifications.*@/org/freedesktop/Notifications',
      '--call=org.freedesktop.portal.Desktop=*@/org/freedesktop/portal/*',
      '--broadcast=org.freedesktop.portal.Desktop=@/org/freedesktop/portal/*',
      '--talk=org.example.Editor',
    ],
  });
  assert.ok(p.mounts.some((m) => m.op === 'ro-bind' && m.source === '/run/user/1000/sandtray/box/bus' && m.target === '/run/user/0/bus'));
  assert.equal(p.env['DBUS_SESSION_BUS_ADDRESS'], 'unix:path=/run/user/0/bus');
  assert.equal(p.env['XDG_RUNTIME_DIR'], '/run/user/0');
  assert.match(p.desktop.join('\n'), /dbus: filtered, through an xdg-dbus-proxy of its own .* may call org\.freedesktop\.Notifications, org\.freedesktop\.portal\.Desktop, org\.example\.Editor/);
  // none: no proxy, no bus socket, no address, whatever the session has.
  const n = withSocket('dbus: none\ndisplay: {wayland: true}');
  assert.equal(n.busProxy, null);
  assert.equal(n.env['DBUS_SESSION_BUS_ADDRESS'], undefined);
  assert.ok(!n.mounts.some((m) => m.target.endsWith('/bus') || ('source' in m && /bus/.test(m.source))));
  // The bus address read from the session: only a unix socket.
  assert.equal(readGraphicsHost({ DBUS_SESSION_BUS_ADDRESS: 'unix:path=/run/user/1000/bus' }).dbus, 'unix:path=/run/user/1000/bus');
  assert.equal(readGraphicsHost({ DBUS_SESSION_BUS_ADDRESS: 'unix:abstract=/tmp/dbus-x,guid=0123abcd' }).dbus, 'unix:abstract=/tmp/dbus-x,guid=0123abcd');
  assert.equal(readGraphicsHost({ DBUS_SESSION_BUS_ADDRESS: 'tcp:host=example.org,port=1' }).dbus, null);
  assert.equal(readGraphicsHost({ DBUS_SESSION_BUS_ADDRESS: 'autolaunch:' }).dbus, null);
});

test('the session is read from the environment: only local displays and existing sockets', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sandtray-gfx-unit-'));
  assert.deepEqual(readGraphicsHost({ XDG_RUNTIME_DIR: tmp, WAYLAND_DISPLAY: 'wayland-9', DISPLAY: 'localhost:10.0' }), { wayland: null, x11: null, xauthority: null, pulse: null, pipewire: null, dri: fs.existsSync('/dev/dri'), dbus: null });
  assert.equal(readGraphicsHost({ XDG_RUNTIME_DIR: tmp, WAYLAND_DISPLAY: '../x' }).wayland, null);
  fs.rmSync(tmp, { recursive: true });
  assert.equal(graphicsPlan(expand('display: {x11: true}').profile, { ...session, xauthority: null }).env['XAUTHORITY'], undefined);
});

test('the private Xauthority holds the one cookie for the display, as a wildcard entry', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sandtray-xauth-'));
  const entry = (family: number, addr: string, num: string, data: Buffer) => {
    const c = (b: Buffer) => Buffer.concat([Buffer.from([b.length >> 8, b.length & 255]), b]);
    return Buffer.concat([Buffer.from([family >> 8, family & 255]), c(Buffer.from(addr)), c(Buffer.from(num)), c(Buffer.from('MIT-MAGIC-COOKIE-1')), c(data)]);
  };
  const mine = Buffer.alloc(16, 0xab);
  const file = path.join(tmp, 'auth');
  fs.writeFileSync(file, Buffer.concat([entry(256, os.hostname(), '0', Buffer.alloc(16, 1)), entry(256, 'other-host', '3', Buffer.alloc(16, 2)), entry(256, os.hostname(), '3', mine), entry(0, '\x7f\0\0\x01', '3', Buffer.alloc(16, 3))]));
  const out = parseXauthority(xauthorityFor(3, file)!);
  assert.equal(out.length, 1);
  assert.deepEqual([out[0]!.family, out[0]!.address.length, out[0]!.number, out[0]!.name], [65535, 0, '3', 'MIT-MAGIC-COOKIE-1']);
  assert.deepEqual(out[0]!.data, mine);
  assert.equal(xauthorityFor(7, file), null);
  // At launch it becomes a descriptor bwrap copies from; a missing cookie refuses the start.
  const { opts, fds } = bindByDescriptor(['--x11-cookie', '3', file, '/run/user/0/Xauthority'], 9);
  assert.deepEqual(opts, ['--perms', '0600', '--ro-bind-data', '9', '/run/user/0/Xauthority']);
  fs.closeSync(fds[0]!);
  assert.throws(() => bindByDescriptor(['--x11-cookie', '8', file, '/x'], 9), /holds no cookie for the X display :8/);
  fs.rmSync(tmp, { recursive: true });
});

test('device access is granted for /dev/dri only', () => {
  assert.throws(() => bindByDescriptor(['--dev-bind', '/dev', '/dev'], 9), /allowed for \/dev\/dri only/);
  assert.throws(() => bindByDescriptor(['--dev-bind-try', '/dev/dri', '/dri'], 9), /allowed for \/dev\/dri only/);
  const r = bindByDescriptor(['--dev-bind-try', '/dev/dri', '/dev/dri'], 9);
  assert.deepEqual(r.opts, fs.existsSync('/dev/dri') ? ['--dev-bind-try', '/dev/dri', '/dev/dri'] : []);
});

test('each grant is a risk line', () => {
  const host = riskHost();
  const risks = (y: string) => profileRisks(expand(y).profile, host).map((r) => `${r.key}: ${r.message}`).join('\n');
  assert.equal(risks(''), '');
  const all = risks('display: {wayland: true, x11: true}\naudio: true\ngpu: true\n');
  assert.match(all, /display\.x11: X11 programs can read and type into every window/);
  assert.doesNotMatch(all, /abstract socket/);
  assert.match(all, /display\.wayland: .*no per-sandbox security context/);
  assert.match(all, /audio: .*microphone/);
  assert.match(all, /gpu: .*\/dev\/dri/);
  assert.match(risks('display: {x11: true}\nnetwork: {mode: host}'), /display\.x11: .*network\.mode: host they also reach its abstract socket/);
});

test('stopWhenIdle picks the init that exits once the sandbox is idle', () => {
  assert.equal(plan('stopWhenIdle: true').stopWhenIdle, true);
  assert.equal(plan('').stopWhenIdle, false);
});

test("info's Desktop lines: a running sandbox's from its record, a stopped one's from the profile now", () => {
  const rt = { desktop: ['wayland: /run/user/1000/wayland-1 as /run/user/0/wayland-0', 'dbus: filtered, through an xdg-dbus-proxy of its own'] } as unknown as RuntimeState;
  let asked = 0;
  const now = () => {
    asked++;
    return ['audio: PulseAudio /run/user/1000/pulse/native'];
  };
  // Running: what the start recorded, whatever the session offers now.
  assert.deepEqual(desktopNotes(rt, expand('audio: true').profile, now), { granted: true, notes: rt.desktop });
  assert.equal(asked, 0);
  // A record from before the field existed has no lines.
  assert.deepEqual(desktopNotes({} as RuntimeState, null, now), { granted: true, notes: [] });
  // Stopped: what a start would bind now; nothing without a profile.
  assert.deepEqual(desktopNotes(null, expand('audio: true').profile, now), { granted: false, notes: ['audio: PulseAudio /run/user/1000/pulse/native'] });
  assert.deepEqual(desktopNotes(null, null, now), { granted: false, notes: [] });
});
