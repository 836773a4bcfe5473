// The VPN client (openvpn, wireguard-go) runs in a jail of its own: no home, no host files beyond
// the system's, the files its configuration names (read-only) and its runtime folder; its own pid
// namespace; CAP_NET_ADMIN only. Each check looks at the running client from the host, through
// /proc/PID/root, with positive controls: the probe file exists on the host, and a helper that
// runs with the host's files (the uplink holder, where the client used to run) does see it.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { sandtrayEnv, type Env } from '../lib/sandtray.js';
import { startKeyring, type Keyring } from '../lib/keyring.js';
import { startOvpnServer, startWgPeer, stopAllLab, type OvpnServer, type WgPeer } from '../lib/vpn-lab.js';
import { httpInside } from '../lib/vpn-probe.js';
import { waitVpn } from '../lib/vpn-wait.js';
import { helper } from '../lib/vpn-capture.js';

const HOME = process.env['HOME'] ?? os.homedir();
/** What bwrap gives the jail at its top level; anything else would be a host folder. */
const JAIL_TOP = new Set(['bin', 'sbin', 'lib', 'lib32', 'lib64', 'libx32', 'usr', 'etc', 'dev', 'tmp', 'run', 'var']);
/** Descriptors a jailed client may hold: none is a file of the host. */
const ALLOWED_FD = /^(\/dev\/null|\/dev\/net\/tun|pipe:\[\d+\]|socket:\[\d+\]|anon_inode:.*)$/;
const CAP_NET_ADMIN = 1n << 12n;

function fdTargets(pid: number): string[] {
  return fs.readdirSync(`/proc/${pid}/fd`).map((fd) => {
    try {
      return fs.readlinkSync(`/proc/${pid}/fd/${fd}`);
    } catch {
      return '(gone)';
    }
  });
}

function status(pid: number): Record<string, string> {
  const out: Record<string, string> = {};
  for (const l of fs.readFileSync(`/proc/${pid}/status`, 'utf8').split('\n')) {
    const i = l.indexOf(':');
    if (i > 0) out[l.slice(0, i)] = l.slice(i + 1).trim();
  }
  return out;
}

describe('the VPN client runs jailed', { timeout: 300_000 }, () => {
  let e: Env;
  let keyring: Keyring;
  let server: OvpnServer;
  let peer: WgPeer;
  const token = `jail-probe-${crypto.randomBytes(8).toString('hex')}`;
  const probe = path.join(HOME, `.sandtray-jail-probe-${process.pid}`);

  before(async () => {
    keyring = await startKeyring();
    e = sandtrayEnv('vpn-jail');
    e.env['DBUS_SESSION_BUS_ADDRESS'] = keyring.address;
    fs.writeFileSync(probe, token, { mode: 0o600 });
    [server, peer] = await Promise.all([
      startOvpnServer('jail', '198.18.70.2', { proto: 'udp', subnet: '198.19.8', redirectGateway: true, token: 'jail-ovpn', dnsName: 'x.vpn.test' }),
      startWgPeer('jail-wg', '198.18.71.2', { subnet: '198.19.9', token: 'jail-wg', dnsName: 'y.vpn.test' }),
    ]);
  });
  after(async () => {
    fs.rmSync(probe, { force: true });
    await e?.cleanup();
    await server?.stop();
    await peer?.stop();
    await stopAllLab();
    await keyring?.stop();
  });

  /** Every check of the jail on a running client; returns its descriptors for the message. */
  function checkJail(name: string, what: string): void {
    const client = helper(e, name, what).pid;
    const uplink = helper(e, name, 'uplink').pid;
    // Positive controls: the probe is in the home, and a process with the host's files reads it
    // through /proc/PID/root (the uplink holder: the client's namespaces before the jail).
    assert.equal(fs.readFileSync(probe, 'utf8'), token);
    assert.equal(fs.readFileSync(`/proc/${uplink}/root${probe}`, 'utf8'), token, 'the uplink holder sees the host files');
    // The client does not: neither the file nor the home folder exist in its root.
    assert.ok(!fs.existsSync(`/proc/${client}/root${probe}`), `${what} sees ${probe}`);
    assert.ok(!fs.existsSync(`/proc/${client}/root${HOME}`), `${what} sees ${HOME}`);
    const top = fs.readdirSync(`/proc/${client}/root`);
    assert.deepEqual(top.filter((x) => !JAIL_TOP.has(x)), [], `top level of the jail: ${top.join(' ')}`);
    assert.ok(!fs.existsSync(`/proc/${client}/root/proc/self`), 'no /proc in the jail');
    assert.ok(fs.existsSync(`/proc/${client}/root/usr/bin`), 'the jail has /usr (control)');
    assert.equal(fs.readFileSync(`/proc/${client}/root/etc/resolv.conf`, 'utf8'), 'nameserver 198.19.255.3\n', "the uplink's DNS");
    // It holds no descriptor of a host file: not of the home, not of the lifecycle log.
    // Its stdout and stderr are the jail's output pipe, which the agent relays to the log.
    const pipe = path.join(e.env['XDG_RUNTIME_DIR']!, 'sandtray', name, 'vpn-jail', 'client.out');
    assert.ok(fs.lstatSync(pipe).isFIFO());
    const fds = fdTargets(client);
    assert.deepEqual(fds.filter((t) => !ALLOWED_FD.test(t) && t !== pipe), [], `descriptors of ${what}: ${fds.join(', ')}`);
    assert.ok(!fds.some((t) => t.startsWith(HOME) || (t.startsWith(e.dir) && t !== pipe)), `descriptors of ${what}: ${fds.join(', ')}`);
    // Its own pid namespace (pid 1 there), CAP_NET_ADMIN only, no_new_privs (so no exec can add
    // to its permitted set), a seccomp filter (no new user namespace to regain the others in).
    const st = status(client);
    assert.equal(st['NSpid']!.split(/\s+/).at(-1), '1', `NSpid ${st['NSpid']}`);
    for (const set of ['CapEff', 'CapPrm', 'CapInh', 'CapAmb']) {
      assert.equal(BigInt(`0x${st[set]}`) & ~CAP_NET_ADMIN, 0n, `${set} ${st[set]}`);
    }
    assert.equal(BigInt(`0x${st['CapEff']}`), CAP_NET_ADMIN, `CapEff ${st['CapEff']}`);
    assert.equal(st['NoNewPrivs'], '1');
    assert.equal(st['Seccomp'], '2');
    for (const ns of ['pid', 'mnt', 'ipc']) {
      assert.notEqual(fs.readlinkSync(`/proc/${client}/ns/${ns}`), fs.readlinkSync(`/proc/${uplink}/ns/${ns}`), `own ${ns} namespace`);
    }
    // The uplink's network namespace: the client's socket and device are born there.
    assert.equal(fs.readlinkSync(`/proc/${client}/ns/net`), fs.readlinkSync(`/proc/${uplink}/ns/net`));
  }

  it('openvpn: no home, no host files, no descriptor of one, CAP_NET_ADMIN only', async () => {
    const file = path.join(e.dir, 'jail.ovpn');
    fs.writeFileSync(file, server.clientConfig());
    await e.ok(['vpn', 'import', file]);
    await e.ok(['start', 'jail']);
    await waitVpn(e, 'jail', 'connected');
    assert.equal(await httpInside(e, 'jail', '198.19.8.1'), 'jail-ovpn');
    checkJail('jail', 'openvpn');
    await e.ok(['stop', 'jail']);
  });

  it('wireguard-go: the same jail', async () => {
    const file = path.join(e.dir, 'jailwg.conf');
    fs.writeFileSync(file, peer.clientConfig, { mode: 0o600 });
    await e.ok(['vpn', 'import', file]);
    await e.ok(['start', 'jailwg']);
    await waitVpn(e, 'jailwg', 'connected');
    assert.equal(await httpInside(e, 'jailwg', '198.19.9.1'), 'jail-wg');
    checkJail('jailwg', 'wireguard-go');
    await e.ok(['stop', 'jailwg']);
  });

  it('nothing of the folder a configuration came from, nor of the stored configurations, is in the jail', async () => {
    const dir = path.join(e.dir, 'office');
    fs.mkdirSync(dir);
    const write = (f: string, text: string) => fs.writeFileSync(path.join(dir, f), text, { mode: 0o600 });
    write('ca.crt', server.pki.ca);
    write('client.crt', server.pki.clientCert);
    write('client.key', server.pki.clientKey);
    write('ta.key', server.pki.ta);
    write('notes.txt', token);
    const inline = server.clientConfig();
    write('office.ovpn', inline.slice(0, inline.indexOf('<ca>')) + 'ca ca.crt\ncert client.crt\nkey client.key\ntls-auth ta.key 1\n');
    await e.ok(['vpn', 'import', path.join(dir, 'office.ovpn')]);
    await e.ok(['start', 'office']);
    await waitVpn(e, 'office', 'connected');
    const client = helper(e, 'office', 'openvpn').pid;
    const root = `/proc/${client}/root`;
    const stored = path.join(e.env['XDG_CONFIG_HOME']!, 'sandtray', 'vpn');
    // Controls: both folders exist on the host, and the uplink holder sees them.
    const uplink = `/proc/${helper(e, 'office', 'uplink').pid}/root`;
    for (const p of [path.join(dir, 'notes.txt'), path.join(stored, 'office.ovpn')]) {
      assert.ok(fs.existsSync(`${uplink}${p}`), `control: ${p} is there outside the jail`);
      assert.ok(!fs.existsSync(`${root}${p}`), `${p} is in the jail`);
    }
    assert.ok(!fs.existsSync(`${root}${dir}`) && !fs.existsSync(`${root}${stored}`));
    // What it runs is its own copy, in its one writable folder; the rest is read-only.
    const shared = path.join(e.env['XDG_RUNTIME_DIR']!, 'sandtray', 'office', 'vpn-client');
    assert.deepEqual(fs.readdirSync(`${root}${shared}`).sort(), ['openvpn.conf', 'openvpn.sock']);
    assert.throws(() => fs.writeFileSync(`${root}/usr/sandtray-probe`, 'x'), /EROFS/, '/usr is read-only');
    assert.throws(() => fs.writeFileSync(`${root}/etc/sandtray-probe`, 'x'), /EROFS/, 'the root is read-only');
    await e.ok(['stop', 'office']);
  });
});
