// `sandtray vpn verify NAME`: the leak check from inside a VPN sandbox connected to a real server.
// It passes on a healthy tunnel (default route, DNS and IPv6 through the tunnel or blocked; the
// uplink's pasta gateway out of reach) and names the leak when a device outside the tunnel appears
// in the sandbox's namespace. It sends no packet; the test adds only a spare tun device inside the
// sandbox, with an address from the lab's range.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { execa } from 'execa';
import { sandtrayEnv, type Env } from '../lib/sandtray.js';
import { startOvpnServer, stopAllLab, type OvpnServer } from '../lib/vpn-lab.js';
import { waitVpn } from '../lib/vpn-wait.js';

interface Report { verdict: string; checks: { check: string; ok: boolean; detail: string }[]; name: string; version: string }

describe('vpn verify', { timeout: 240_000 }, () => {
  let e: Env;
  let server: OvpnServer;

  before(async () => {
    e = sandtrayEnv('vpn-verify');
    server = await startOvpnServer('verify', '198.18.72.2', { proto: 'udp', subnet: '198.19.10', redirectGateway: true, token: 'verify-server', dnsName: 'v.vpn.test' });
  });
  after(async () => {
    await e?.cleanup();
    await server?.stop();
    await stopAllLab();
  });

  it('a connected tunnel passes, and the report can be pasted', async () => {
    const file = path.join(e.dir, 'check.ovpn');
    fs.writeFileSync(file, server.clientConfig());
    await e.ok(['vpn', 'import', file]);
    await e.ok(['start', 'check']);
    await waitVpn(e, 'check', 'connected');
    const text = await e.ok(['vpn', 'verify', 'check']);
    assert.match(text, /VPN leak check of check \(openvpn, tunnel connected on tun0\)/);
    assert.match(text, /^Verdict: no leak found \(0 of \d+ checks failed\)$/m);
    const r = JSON.parse(await e.ok(['vpn', 'verify', 'check', '--json'])) as Report;
    assert.equal(r.verdict, 'no leak found', JSON.stringify(r.checks));
    const by = (c: string) => r.checks.find((x) => x.check === c);
    assert.equal(by('devices')?.detail, 'lo and tun0 only');
    assert.equal(by('IPv4 routes')?.detail, 'default route through tun0');
    assert.equal(by('DNS 198.19.10.1')?.detail, 'through tun0');
    // The pasta gateway is the host's loopback in the uplink: inside, only the tunnel's default
    // route could lead to that address, and it would reach the VPN's network, not the uplink.
    assert.ok(by('uplink gateway 198.19.255.1')?.ok);
    assert.ok(by('IPv6 routes')?.ok);
    assert.ok(r.version);
  });

  it('a device outside the tunnel in the sandbox is reported as a leak', async () => {
    const pid = (JSON.parse(await e.ok(['info', 'check', '--json'])) as { pid: number }).pid;
    const ns = ['nsenter', `--target=${pid}`, '--user', '--net', '--'];
    const ip = async (args: string[]) => execa(ns[0]!, [...ns.slice(1), 'ip', ...args]);
    // A tun device (the kind the sandbox's own tunnel is, so the kernel has it): with an address
    // and up, it is a way out that does not go through the tunnel.
    await ip(['tuntap', 'add', 'dev', 'leak0', 'mode', 'tun']);
    await ip(['address', 'add', '198.18.73.2/24', 'dev', 'leak0']);
    await ip(['link', 'set', 'leak0', 'up']);
    const r = await e.run(['vpn', 'verify', 'check', '--json']);
    assert.equal(r.exitCode, 1, r.stdout + r.stderr);
    const rep = JSON.parse(r.stdout) as Report;
    assert.equal(rep.verdict, 'leak found');
    const failed = rep.checks.filter((c) => !c.ok).map((c) => `${c.check}: ${c.detail}`).join('\n');
    assert.match(failed, /devices: devices besides lo and the tunnel: leak0/);
    assert.match(failed, /addresses: addresses outside the tunnel: 198\.18\.73\.2 on leak0/);
    assert.match(failed, /IPv4 routes: routes outside the tunnel: .*dev leak0/);
    const text = await e.run(['vpn', 'verify', 'check']);
    assert.match(text.stdout, /LEAK {2}devices/);
    await e.ok(['stop', 'check']);
  });
});
