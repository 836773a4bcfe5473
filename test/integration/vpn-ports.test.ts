// network.ports in a WireGuard sandbox: the host reaches a server inside at 127.0.0.1:PORT through
// the port relay, while the sandbox keeps only lo and its tunnel: no interface, address or route is
// added, and nothing inside reaches the host's side except through the tunnel.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { sandtrayEnv, type Env } from '../lib/sandtray.js';
import { freePort, startWgPeer, stopAllLab, until, type WgPeer } from '../lib/vpn-lab.js';
import { httpInside, leakProbes } from '../lib/vpn-probe.js';
import { waitVpn } from '../lib/vpn-wait.js';

/** Connects from the host, says hello, and returns the first line of the answer, or the error code. */
function connectFromHost(host: string, port: number): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port, timeout: 5000 });
    let d = '';
    s.write('hello\n');
    s.on('data', (x) => {
      d += x;
      if (d.includes('\n')) {
        s.destroy();
        resolve(`connected: ${d.trim()}`);
      }
    });
    s.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
    s.on('timeout', () => {
      s.destroy();
      resolve('timeout');
    });
    s.on('end', () => resolve(`closed: ${d.trim()}`));
  });
}

describe('network.ports in a VPN sandbox', { timeout: 300_000 }, () => {
  let e: Env;
  let peer: WgPeer;
  let hostPort = 0;

  before(async () => {
    e = sandtrayEnv('vpn-ports');
    peer = await startWgPeer('wgports', '198.18.22.2', { subnet: '198.19.22', token: `ports-${Date.now()}`, dnsName: 'only-ports.vpn.test' });
    const conf = path.join(e.dir, 'tunnel.conf');
    fs.writeFileSync(conf, peer.clientConfig, { mode: 0o600 });
    hostPort = await freePort();
    const profile = path.join(e.dir, 'vpnports.sandtray');
    fs.writeFileSync(profile, `apiVersion: sandtray/v1\nnetwork:\n  mode: vpn\n  vpn: {type: wireguard, config: ${conf}}\n  ports: [{host: ${hostPort}, sandbox: 8080}]\n`);
    await e.ok(['launch', 'vp', '--profile', profile]);
    await waitVpn(e, 'vp', 'connected');
    const server = `require('net').createServer(s=>s.once('data',()=>s.write('inside vpn\\\\n'))).listen(8080,'127.0.0.1',()=>require('fs').writeFileSync('/tmp/ready','1'))`;
    await e.ok(['exec', 'vp', '--', 'sh', '-c', `nohup node -e "${server}" >/tmp/server.log 2>&1 </dev/null &`]);
    await until(async () => (await e.run(['exec', 'vp', '--', 'test', '-e', '/tmp/ready'])).exitCode === 0, 30_000, 'the server inside listens');
  });
  after(async () => {
    await e?.cleanup();
    await peer?.stop();
    await stopAllLab();
  });

  it("the host reaches the server inside on its loopback, and only there", async () => {
    assert.equal(await connectFromHost('127.0.0.1', hostPort), 'connected: inside vpn');
    // The relay listens on the loopback only.
    const tcp = fs.readFileSync('/proc/net/tcp', 'utf8').split('\n').filter((l) => l.includes(`:${hostPort.toString(16).toUpperCase().padStart(4, '0')} `) && / 0A /.test(l));
    assert.deepEqual(tcp.map((l) => l.trim().split(/\s+/)[1]), [`0100007F:${hostPort.toString(16).toUpperCase().padStart(4, '0')}`]);
    assert.match(await e.ok(['plan', 'vp']), new RegExp(`relay .*host 127\\.0\\.0\\.1:${hostPort} -> 8080/tcp`));
  });

  it('the sandbox keeps only lo and its tunnel, and reaches the host side through nothing', async () => {
    const links = (await e.ok(['exec', 'vp', '--', 'ip', '-o', 'link'])).split('\n').filter(Boolean).map((l) => l.split(':')[1]!.trim().split('@')[0]);
    assert.deepEqual(links.sort(), ['lo', 'wg0'].sort());
    const routes = await e.ok(['exec', 'vp', '--', 'ip', '-4', 'route']);
    for (const r of routes.split('\n').filter(Boolean)) assert.match(r, /dev wg0/, r);
    // The forwarded port is not the sandbox's: its own 127.0.0.1 has nothing there, and the
    // pasta gateway of the uplink (the host's loopback) is not reachable from inside.
    const probes = await leakProbes(e, 'vp', [{ host: '127.0.0.1', port: hostPort }, { host: '198.19.255.1', port: hostPort }]);
    assert.match(probes, new RegExp('tcp 127\\.0\\.0\\.1 ECONNREFUSED'));
    assert.doesNotMatch(probes, /tcp 198\.19\.255\.1 connected/);
    // And the tunnel still works.
    assert.match(await httpInside(e, 'vp', '198.19.22.1'), /^ports-\d+$/);
  });

  it('stop ends the relay: the port is free again', async () => {
    await e.ok(['stop', 'vp']);
    assert.equal(await connectFromHost('127.0.0.1', hostPort), 'ECONNREFUSED');
  });

  it('UDP forwards into a VPN sandbox are refused with a message', async () => {
    const conf = path.join(e.dir, 'tunnel.conf');
    const profile = path.join(e.dir, 'udp.sandtray');
    fs.writeFileSync(profile, `apiVersion: sandtray/v1\nnetwork:\n  mode: vpn\n  vpn: {type: wireguard, config: ${conf}}\n  ports: [{host: ${hostPort}, proto: udp}]\n`);
    const r = await e.run(['create', 'vu', '--profile', profile]);
    assert.equal(r.exitCode, 1);
    assert.match(r.stderr, /UDP is not forwarded into VPN sandboxes yet/);
  });
});
