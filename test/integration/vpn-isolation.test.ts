// Nothing outside a VPN sandbox reaches what is behind its VPN: not the host (no route, no
// device), not a second unprivileged user (no entering the namespaces, no management socket).
// The server pushes a 198.18.0.0/15 subnet so that trying it from outside is a harmless target.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { execa } from 'execa';
import { sandtrayEnv, type Env } from '../lib/sandtray.js';
import { startKeyring, type Keyring } from '../lib/keyring.js';
import { startOvpnServer, stopAllLab, type OvpnServer } from '../lib/vpn-lab.js';
import { httpInside } from '../lib/vpn-probe.js';
import { waitVpn } from '../lib/vpn-wait.js';
import { helper } from '../lib/vpn-capture.js';

/** The second unprivileged user: SANDTRAY_TEST_USER2, else this user's name with "2" (.ci/run makes it). */
const USER2 = process.env['SANDTRAY_TEST_USER2'] ?? `${os.userInfo().username}2`;

/** Runs argv as the second user through sudo (allowed for that user only, never root). */
async function asUser2(argv: string[]): Promise<{ exitCode: number; out: string; stdout: string }> {
  const r = await execa('sudo', ['-n', '-u', USER2, '--', ...argv], { reject: false, timeout: 20_000, stdin: 'ignore' });
  return { exitCode: r.exitCode ?? -1, out: `${String(r.stdout)}${String(r.stderr)}`, stdout: String(r.stdout) };
}


describe('isolation of a VPN sandbox', { timeout: 300_000 }, () => {
  let e: Env;
  let keyring: Keyring;
  let server: OvpnServer;
  const vpnHost = '198.18.200.1';

  before(async () => {
    keyring = await startKeyring();
    e = sandtrayEnv('vpn-iso');
    e.env['DBUS_SESSION_BUS_ADDRESS'] = keyring.address;
    server = await startOvpnServer('iso', '198.18.70.2', { proto: 'tcp', subnet: '198.18.200', redirectGateway: false, token: 'isolated-server', dnsName: 'x.vpn.test' });
    const file = path.join(e.dir, 'iso.ovpn');
    fs.writeFileSync(file, server.clientConfig());
    await e.ok(['vpn', 'import', file]);
    await e.ok(['start', 'iso']);
    await waitVpn(e, 'iso', 'connected');
    // The second user must exist and be usable: a missing setup is a failure, never a skip.
    const who = await asUser2(['id', '-un']);
    assert.equal(who.stdout.trim(), USER2, `cannot run commands as ${USER2} (sudo -n -u ${USER2}); .ci/run sets this up: ${who.out}`);
  });
  after(async () => {
    await e?.cleanup();
    await server?.stop();
    await stopAllLab();
    await keyring?.stop();
  });

  it('inside reaches the VPN address (the positive control)', async () => {
    assert.equal(await httpInside(e, 'iso', vpnHost), 'isolated-server');
  });

  it('the host has no tunnel device and no route into the VPN', async () => {
    const links = String((await execa('ip', ['-o', 'link'])).stdout);
    const initPid = (JSON.parse(await e.ok(['info', 'iso', '--json'])) as { pid: number }).pid;
    const inside = await e.ok(['exec', 'iso', '--', 'ip', '-o', 'link', 'show', 'tun0']);
    const ifindex = inside.split(':')[0];
    assert.ok(ifindex && !new RegExp(`^${ifindex}: tun0`, 'm').test(links), 'the sandbox tun0 is not a host device');
    const route = String((await execa('ip', ['route', 'get', vpnHost])).stdout);
    assert.doesNotMatch(route, /tun/);
    assert.ok(initPid > 0);
    // No packet is sent from the host: without a device or route into the VPN, one would only
    // leave this machine by its default route, and tests send nothing beyond this machine.
    const addrs = String((await execa('ip', ['-o', 'addr'])).stdout);
    assert.doesNotMatch(addrs, /198\.18\.200\./, 'no VPN address on a host interface');
  });

  it('a second user can neither reach the VPN nor enter the sandbox or its uplink', async () => {
    const route = await asUser2(['ip', 'route', 'get', vpnHost]);
    assert.doesNotMatch(route.out, /tun/, 'no route into the VPN for the second user either');
    const initPid = (JSON.parse(await e.ok(['info', 'iso', '--json'])) as { pid: number }).pid;
    const uplink = helper(e, 'iso', 'uplink').pid;
    for (const pid of [initPid, uplink]) {
      for (const ns of ['--net', '--user', '--mount']) {
        const r = await asUser2(['nsenter', `--target=${pid}`, ns, '--', 'true']);
        assert.notEqual(r.exitCode, 0, `${USER2} entered ${ns} of ${pid}: ${r.out}`);
      }
      const nsLink = await asUser2(['readlink', `/proc/${pid}/ns/net`]);
      assert.notEqual(nsLink.exitCode, 0, `${USER2} can see the namespace of ${pid}`);
    }
    const sock = path.join(e.env['XDG_RUNTIME_DIR']!, 'sandtray', 'iso', 'vpn-client', 'openvpn.sock');
    assert.ok(fs.existsSync(sock));
    const mgmt = await asUser2([process.execPath, '-e', `require('net').connect('${sock}').on('connect',()=>{console.log('connected');process.exit(0)}).on('error',e=>console.log(e.code))`]);
    assert.notEqual(mgmt.stdout.trim(), 'connected', 'the management socket is private');
  });
});
