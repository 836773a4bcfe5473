// OpenVPN sandboxes against real servers over TCP and UDP: connect, reach the responder behind the
// tunnel, resolve a name through the VPN's DNS, and report it all in `vpn status`.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { sandtrayEnv, type Env } from '../lib/sandtray.js';
import { startKeyring, type Keyring } from '../lib/keyring.js';
import { startOvpnServer, stopAllLab, type OvpnServer } from '../lib/vpn-lab.js';
import { httpInside, resolveInside } from '../lib/vpn-probe.js';
import { vpnStatus, waitVpn } from '../lib/vpn-wait.js';
import { helpersOf, running } from '../lib/vpn-capture.js';

describe('OpenVPN sandboxes', { timeout: 300_000 }, () => {
  let e: Env;
  let keyring: Keyring;
  const servers: OvpnServer[] = [];

  before(async () => {
    keyring = await startKeyring();
    e = sandtrayEnv('vpn-ovpn');
    e.env['DBUS_SESSION_BUS_ADDRESS'] = keyring.address;
  });
  after(async () => {
    await e?.cleanup();
    for (const s of servers) await s.stop();
    await stopAllLab();
    await keyring?.stop();
  });

  for (const proto of ['tcp', 'udp'] as const) {
    it(`connects over ${proto}, reaches the responder, resolves through the VPN's DNS`, async () => {
      const token = `ovpn-${proto}-${Date.now()}`;
      const s = await startOvpnServer(`ovpn-${proto}`, proto === 'tcp' ? '198.18.10.2' : '198.18.11.2', { proto, subnet: '198.19.8', redirectGateway: true, token, dnsName: `only-${proto}.vpn.test` });
      servers.push(s);
      const file = path.join(e.dir, `office-${proto}.ovpn`);
      fs.writeFileSync(file, s.clientConfig());
      const imported = await e.ok(['vpn', 'import', file]);
      assert.match(imported, new RegExp(`sandbox office-${proto}`));
      await e.ok(['start', `office-${proto}`]);
      const st = await waitVpn(e, `office-${proto}`, 'connected');
      assert.deepEqual(st['addresses'], ['198.19.8.2/24']);
      assert.ok((st['routes'] as string[]).includes('0.0.0.0/0'));
      assert.deepEqual(st['dns'], ['198.19.8.1']);
      assert.equal(st['endpoint'], `127.0.0.1:${s.port}`);
      assert.equal(await httpInside(e, `office-${proto}`, '198.19.8.1'), token);
      assert.equal(await resolveInside(e, `office-${proto}`, `only-${proto}.vpn.test`), '198.19.8.1');
      // The VPN's DNS only, and no lookups handed to the host's systemd-resolved.
      const resolv = await e.ok(['exec', `office-${proto}`, '--', 'cat', '/etc/resolv.conf']);
      assert.deepEqual(resolv.split('\n').filter((l) => /^(nameserver|search)/.test(l)), ['nameserver 198.19.8.1', 'search vpn.test']);
      assert.match(await e.ok(['exec', `office-${proto}`, '--', 'cat', '/etc/nsswitch.conf']), /^hosts: +files dns$/m);
      const after = await vpnStatus(e, `office-${proto}`);
      assert.ok((after['bytesIn'] as number) > 0 && (after['bytesOut'] as number) > 0, 'bytes counted');
      // The sandbox's network namespace holds lo and the tunnel only.
      const links = await e.ok(['exec', `office-${proto}`, '--', 'ip', '-o', 'link']);
      assert.deepEqual(links.trim().split('\n').map((l) => l.split(':')[1]!.trim().replace(/@.*/, '')).sort(), ['lo', 'tun0']);
      if (proto === 'tcp') {
        // The server goes away and comes back: the client reconnects, the same tun stays inside
        // (persist-tun) and the agent applies the pushed settings again.
        await s.stopDaemon();
        await waitVpn(e, `office-${proto}`, 'reconnecting');
        assert.notEqual(await httpInside(e, `office-${proto}`, '198.19.8.1', 1000), token);
        await s.startDaemon();
        await waitVpn(e, `office-${proto}`, 'connected', 60_000);
        assert.equal(await httpInside(e, `office-${proto}`, '198.19.8.1'), token);
      }
      const helpers = helpersOf(e, `office-${proto}`);
      assert.deepEqual(helpers.map((h) => h.what).sort(), ['openvpn', 'pasta (uplink)', 'uplink', 'vpn agent']);
      await e.ok(['stop', `office-${proto}`]);
      assert.equal((await vpnStatus(e, `office-${proto}`))['state'], 'down');
      // Nothing is left: not the client, the agent, pasta or the uplink, nor the runtime files.
      const alive = helpers.filter(running);
      assert.deepEqual(alive, []);
      assert.ok(!fs.existsSync(path.join(e.env['XDG_RUNTIME_DIR']!, 'sandtray', `office-${proto}`)));
    });
  }
});
