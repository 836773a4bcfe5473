// The kill switch, by construction: in every tunnel state, what a sandbox sends to addresses
// outside the VPN (TCP, UDP, DNS on UDP 53) never leaves except encrypted to the endpoint. Seen
// from the uplink side with tcpdump, each capture proven live by a control packet.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { sandtrayEnv, type Env } from '../lib/sandtray.js';
import { startKeyring, type Keyring } from '../lib/keyring.js';
import { freePort, startOvpnServer, startWgPeer, stopAllLab, type OvpnServer, type WgPeer } from '../lib/vpn-lab.js';
import { leakProbes } from '../lib/vpn-probe.js';
import { waitVpn } from '../lib/vpn-wait.js';
import { captureUplink, controlPacket, helper, leaks } from '../lib/vpn-capture.js';

const UPLINK_GW = '198.19.255.1';

describe('no leaks in any tunnel state', { timeout: 600_000 }, () => {
  let e: Env;
  let keyring: Keyring;
  let ovpn: OvpnServer;
  let wg: WgPeer;
  let closedPort: number;
  const user = { name: 'alice', password: 'correct horse battery staple' };

  before(async () => {
    keyring = await startKeyring();
    e = sandtrayEnv('vpn-leaks');
    e.env['DBUS_SESSION_BUS_ADDRESS'] = keyring.address;
    [ovpn, wg, closedPort] = await Promise.all([
      startOvpnServer('leaks-ovpn', '198.18.40.2', { proto: 'tcp', subnet: '198.19.8', redirectGateway: true, user, token: 'leak-ovpn', dnsName: 'x.vpn.test' }),
      startWgPeer('leaks-wg', '198.18.41.2', { subnet: '198.19.9', token: 'leak-wg', dnsName: 'x.vpn.test' }),
      freePort(),
    ]);
  });
  after(async () => {
    await e?.cleanup();
    await ovpn?.stop();
    await wg?.stop();
    await stopAllLab();
    await keyring?.stop();
  });

  /** Captures on the uplink while the sandbox probes; asserts nothing but the VPN's own packets left. */
  async function assertNoLeak(name: string, endpointPort: number, label: string): Promise<string> {
    const uplink = helper(e, name, 'uplink');
    const cap = await captureUplink(uplink.pid);
    const controlPort = 40000 + Math.floor(Math.random() * 20000);
    await controlPacket(uplink.pid, UPLINK_GW, controlPort);
    // An IPv4 address outside the VPN, the uplink's gateway (the host's loopback), and an IPv6
    // documentation address: none may appear in the capture.
    const probes = await leakProbes(e, name, [{ host: '198.18.99.1', port: 9 }, { host: UPLINK_GW, port: 7 }, { host: '2001:db8::99', port: 9 }]);
    const lines = await cap.stop();
    assert.ok(lines.some((l) => l.includes(`> ${UPLINK_GW}.${controlPort}:`)), `${label}: the capture saw the control packet (${lines.length} lines)`);
    const bad = leaks(lines, { host: UPLINK_GW, port: endpointPort }, controlPort);
    assert.deepEqual(bad, [], `${label}: packets outside the tunnel left the sandbox\nprobes:\n${probes}`);
    assert.ok(!lines.some((l) => l.includes('198.18.99.1') || l.includes('2001:db8::99')), `${label}: a probe address appears in the capture`);
    assert.match(probes, /tcp 2001:db8::99 (ENETUNREACH|EADDRNOTAVAIL)/, `${label}: no IPv6 route out`);
    return probes;
  }

  async function importOvpn(name: string, cfg: string): Promise<void> {
    const f = path.join(e.dir, `${name}.ovpn`);
    fs.writeFileSync(f, cfg);
    await e.ok(['vpn', 'import', f, '--name', name]);
  }

  it('OpenVPN: connecting, connected, failed (wrong password), reconnecting, client killed', async () => {
    await importOvpn('ov-good', ovpn.clientConfig());
    await e.ok(['secret', 'set', 'ov-good', 'username'], { input: user.name });
    await e.ok(['secret', 'set', 'ov-good', 'password'], { input: user.password });
    await importOvpn('ov-bad', ovpn.clientConfig());
    await e.ok(['secret', 'set', 'ov-bad', 'username'], { input: user.name });
    await e.ok(['secret', 'set', 'ov-bad', 'password'], { input: 'not the password' });
    await importOvpn('ov-closed', ovpn.clientConfig().replace(`remote 127.0.0.1 ${ovpn.port}`, `remote 127.0.0.1 ${closedPort}`));
    await e.ok(['secret', 'set', 'ov-closed', 'username'], { input: user.name });
    await e.ok(['secret', 'set', 'ov-closed', 'password'], { input: user.password });

    await e.ok(['start', 'ov-closed']);
    await waitVpn(e, 'ov-closed', 'connecting');
    const connecting = await assertNoLeak('ov-closed', closedPort, 'connecting');
    assert.match(connecting, /tcp 198\.18\.99\.1 ENETUNREACH/, 'no route at all while connecting');
    await e.ok(['stop', 'ov-closed']);

    await e.ok(['start', 'ov-good']);
    await waitVpn(e, 'ov-good', 'connected');
    await assertNoLeak('ov-good', ovpn.port, 'connected');

    await e.run(['start', 'ov-bad']);
    await waitVpn(e, 'ov-bad', 'failed');
    const failed = await assertNoLeak('ov-bad', ovpn.port, 'failed');
    assert.match(failed, /udp 198\.18\.99\.1 ENETUNREACH/);
    await e.ok(['stop', 'ov-bad']);

    // The server goes away: the client reconnects, the tun stays inside with its routes, and
    // what enters it waits in the client, which only ever talks to the endpoint.
    await ovpn.stopDaemon();
    await waitVpn(e, 'ov-good', 'reconnecting', 30_000);
    await assertNoLeak('ov-good', ovpn.port, 'reconnecting');

    const client = helper(e, 'ov-good', 'openvpn');
    process.kill(client.pid, 'SIGKILL');
    await waitVpn(e, 'ov-good', 'failed', 15_000);
    const killed = await assertNoLeak('ov-good', ovpn.port, 'client killed');
    assert.match(killed, /tcp 198\.18\.99\.1 ENETUNREACH/, 'with the client gone the tunnel is gone, and no route is left');
    await e.ok(['stop', 'ov-good']);
  });

  it('WireGuard: connecting, connected, client killed', async () => {
    const good = path.join(e.dir, 'wg-good.conf');
    fs.writeFileSync(good, wg.clientConfig, { mode: 0o600 });
    await e.ok(['vpn', 'import', good]);
    const closed = path.join(e.dir, 'wg-closed.conf');
    fs.writeFileSync(closed, wg.clientConfig.replace(`127.0.0.1:${wg.port}`, `127.0.0.1:${closedPort}`), { mode: 0o600 });
    await e.ok(['vpn', 'import', closed]);

    await e.ok(['start', 'wg-closed']);
    await waitVpn(e, 'wg-closed', 'connecting');
    await assertNoLeak('wg-closed', closedPort, 'connecting');
    await e.ok(['stop', 'wg-closed']);

    await e.ok(['start', 'wg-good']);
    await waitVpn(e, 'wg-good', 'connected');
    await assertNoLeak('wg-good', wg.port, 'connected');

    process.kill(helper(e, 'wg-good', 'wireguard-go').pid, 'SIGKILL');
    await waitVpn(e, 'wg-good', 'failed', 15_000);
    const killed = await assertNoLeak('wg-good', wg.port, 'client killed');
    assert.match(killed, /tcp 198\.18\.99\.1 ENETUNREACH/);
    await e.ok(['stop', 'wg-good']);
  });
});
