// The D-Bus proxy's checks before it is started (network/bus-proxy.ts); its runs against a real bus
// are in test/integration/graphics-dbus.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { busSocketPath, startBusProxy } from '../../helpers/network/bus-proxy.js';
import { sandboxDirs } from '../../helpers/runtime/store.js';

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
