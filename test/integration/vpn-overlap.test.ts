// Two VPNs that push the same subnet and the same server address run at once; each sandbox
// reaches its own server's responder and resolves through its own server's DNS.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { sandtrayEnv, type Env } from '../lib/sandtray.js';
import { startKeyring, type Keyring } from '../lib/keyring.js';
import { startOvpnServer, startWgPeer, stopAllLab, type OvpnServer, type WgPeer } from '../lib/vpn-lab.js';
import { httpInside, resolveInside } from '../lib/vpn-probe.js';
import { waitVpn } from '../lib/vpn-wait.js';

describe('overlapping VPNs', { timeout: 300_000 }, () => {
  let e: Env;
  let keyring: Keyring;
  let a: OvpnServer;
  let b: OvpnServer;
  let w: WgPeer;

  before(async () => {
    keyring = await startKeyring();
    e = sandtrayEnv('vpn-overlap');
    e.env['DBUS_SESSION_BUS_ADDRESS'] = keyring.address;
    // All three use 198.19.8.0/24 with the server (and its responder and DNS) at 198.19.8.1.
    [a, b, w] = await Promise.all([
      startOvpnServer('overlap-a', '198.18.30.2', { proto: 'udp', subnet: '198.19.8', redirectGateway: false, token: 'server-a', dnsName: 'intranet.vpn.test' }),
      startOvpnServer('overlap-b', '198.18.31.2', { proto: 'tcp', subnet: '198.19.8', redirectGateway: true, token: 'server-b', dnsName: 'intranet.vpn.test' }),
      startWgPeer('overlap-w', '198.18.32.2', { subnet: '198.19.8', token: 'server-w', dnsName: 'intranet.vpn.test' }),
    ]);
  });
  after(async () => {
    await e?.cleanup();
    for (const s of [a, b, w]) await s?.stop();
    await stopAllLab();
    await keyring?.stop();
  });

  it('each sandbox reaches its own 198.19.8.1', async () => {
    fs.writeFileSync(path.join(e.dir, 'a.ovpn'), a.clientConfig());
    fs.writeFileSync(path.join(e.dir, 'b.ovpn'), b.clientConfig());
    fs.writeFileSync(path.join(e.dir, 'w.conf'), w.clientConfig, { mode: 0o600 });
    for (const n of ['a.ovpn', 'b.ovpn', 'w.conf']) await e.ok(['vpn', 'import', path.join(e.dir, n), '--name', `vpn-${n[0]}`]);
    await Promise.all(['vpn-a', 'vpn-b', 'vpn-w'].map((n) => e.ok(['start', n])));
    const sts = await Promise.all(['vpn-a', 'vpn-b', 'vpn-w'].map((n) => waitVpn(e, n, 'connected')));
    // Server a pushes only its subnet: the sandbox routes nothing else.
    assert.deepEqual(sts[0]!['routes'], ['198.19.8.0/24']);
    assert.deepEqual(sts[1]!['routes'], ['0.0.0.0/0']);
    for (const [n, token] of [['vpn-a', 'server-a'], ['vpn-b', 'server-b'], ['vpn-w', 'server-w']] as const) {
      assert.equal(await httpInside(e, n, '198.19.8.1'), token, `${n} reaches its own server`);
      assert.equal(await resolveInside(e, n, 'intranet.vpn.test'), '198.19.8.1');
    }
    const table = await e.ok(['vpn', 'status']);
    for (const n of ['vpn-a', 'vpn-b', 'vpn-w']) assert.match(table, new RegExp(`^${n} +(openvpn|wireguard) +RUNNING +connected +198\\.19\\.8\\.2/24`, 'm'));
    // Twice, interleaved: nothing changed by the others being up.
    const again = await Promise.all(['vpn-a', 'vpn-b', 'vpn-w'].map((n) => httpInside(e, n, '198.19.8.1')));
    assert.deepEqual(again, ['server-a', 'server-b', 'server-w']);
  });
});
