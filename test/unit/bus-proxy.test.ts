// The D-Bus proxy's checks before it is started (network/bus-proxy.ts); its runs against a real bus
// are in test/integration/graphics-dbus.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { busSocketPath, startBusProxy } from '../../helpers/network/bus-proxy.js';
import { sandboxDirs } from '../../helpers/runtime/store.js';
import { talkReachesHostCommands, talkRefusal } from '../../helpers/profile/dbus-talk.js';

test('a talk entry that reaches a service running commands on the host is named, by name or family', () => {
  for (const [talk, reaches] of [
    ['org.freedesktop.portal.Flatpak', 'org.freedesktop.portal.Flatpak'],
    ['org.freedesktop.portal.*', 'org.freedesktop.portal.Flatpak'],
    ['org.freedesktop.*', 'org.freedesktop.portal.Flatpak'],
    ['org.freedesktop.Flatpak.*', 'org.freedesktop.Flatpak'],
    ['org.gnome.*', 'org.gnome.Shell'],
    ['ca.desrt.dconf', 'ca.desrt.dconf'],
    ['ca.*', 'ca.desrt.dconf'],
  ] as const) assert.equal(talkReachesHostCommands(talk), reaches, talk);
  for (const talk of ['org.freedesktop.Notifications', 'org.freedesktop.portal.Desktop', 'org.freedesktop.FlatpakX', 'org.gnome.ShellX', 'org.example.*', 'org.freedesktop.portal.Flatpak2']) {
    assert.equal(talkReachesHostCommands(talk), undefined, talk);
  }
});

test('the proxy listens in the sandbox runtime folder', () => {
  const dirs = sandboxDirs('office', { config: '/c', data: '/d', state: '/s', runtime: '/run/user/1000/sandtray' });
  assert.equal(busSocketPath(dirs), '/run/user/1000/sandtray/office/bus');
});

test('a socket path longer than a unix socket can hold is refused with what to do, and nothing is started', async () => {
  const socket = `/tmp/${'x'.repeat(120)}/bus`;
  await assert.rejects(startBusProxy({ address: 'unix:path=/nonexistent/bus', socket, args: ['--filter'] }, '/dev/null'), (err: Error & { hint?: string }) => {
    assert.match(err.message, /socket path is too long for a unix socket/);
    assert.match(err.hint ?? '', /XDG_RUNTIME_DIR to a shorter folder, or use dbus: none/);
    return true;
  });
  assert.ok(!fs.existsSync(socket));
});

test("a talk entry that reaches the portal's backends is refused; the portal itself is not", () => {
  for (const talk of ['org.freedesktop.impl.portal.PermissionStore', 'org.freedesktop.impl.portal.*', 'org.freedesktop.impl.*', 'org.freedesktop.impl.portal.desktop.gnome']) {
    assert.match(talkRefusal(talk) ?? '', /backends/, talk);
  }
  assert.match(talkRefusal('org.freedesktop.*') ?? '', /runs commands on the host/);
  for (const talk of ['org.freedesktop.portal.Desktop', 'org.freedesktop.implx', 'org.example.*']) assert.equal(talkRefusal(talk), undefined, talk);
});

test('a talk family of one element, which xdg-dbus-proxy would refuse at start, is refused by the schema', async () => {
  const { dbusSchema } = await import('../../helpers/profile/schema.js');
  const one = dbusSchema.safeParse({ mode: 'filtered', talk: ['org.*'] });
  assert.equal(one.success, false);
  assert.match(JSON.stringify(one.error?.issues), /at least two elements/);
  assert.equal(dbusSchema.safeParse({ mode: 'filtered', talk: ['org.example.*', 'org.example.Editor'] }).success, true);
});
