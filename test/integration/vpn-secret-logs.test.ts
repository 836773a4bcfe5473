// No secret in any log (issue 9, item 4): OpenVPN echoes management commands at verb 3, the
// user name among them. After a connect and a reconnect (which asks for the credentials again)
// with a distinctive user name and password, neither is in any file under the test's XDG folders
// (lifecycle log, sandbox output log, runtime files, records), in `vpn status`, `log`, `monitor`
// events, or the argv or environment of any process. The scanners are first shown to find a
// planted copy, so an empty result cannot pass by accident.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { execa } from 'execa';
import { BIN, sandtrayEnv, type Env } from '../lib/sandtray.js';
import { startKeyring, type Keyring } from '../lib/keyring.js';
import { startOvpnServer, startWgPeer, stopAllLab, until, type OvpnServer, type WgPeer } from '../lib/vpn-lab.js';
import { httpInside } from '../lib/vpn-probe.js';
import { filesContaining, processesContaining } from '../lib/vpn-scan.js';
import { waitVpn } from '../lib/vpn-wait.js';

/** The test's XDG folders: everything Sandtray writes (the files imported from lie beside them). */
function xdgDirs(e: Env): string[] {
  return ['XDG_CONFIG_HOME', 'XDG_DATA_HOME', 'XDG_STATE_HOME', 'XDG_RUNTIME_DIR'].map((k) => e.env[k]!);
}

function filesUnder(dirs: string[], needles: string[]): string[] {
  return dirs.flatMap((d) => filesContaining(d, needles));
}

describe('no VPN secret in any log', { timeout: 300_000 }, () => {
  let e: Env;
  let keyring: Keyring;
  let server: OvpnServer;
  let peer: WgPeer;
  const user = `acct${crypto.randomBytes(6).toString('hex')}`;
  const password = `pw-${crypto.randomBytes(9).toString('base64url')}`;
  const needles = [user, password];

  before(async () => {
    keyring = await startKeyring();
    e = sandtrayEnv('vpn-secret-logs');
    e.env['DBUS_SESSION_BUS_ADDRESS'] = keyring.address;
    [server, peer] = await Promise.all([
      startOvpnServer('secret-logs', '198.18.80.2', { proto: 'tcp', subnet: '198.19.8', redirectGateway: true, user: { name: user, password }, token: 'secret-logs', dnsName: 'x.vpn.test' }),
      startWgPeer('secret-logs-wg', '198.18.81.2', { subnet: '198.19.9', token: 'secret-logs-wg', dnsName: 'y.vpn.test' }),
    ]);
  });
  after(async () => {
    await e?.cleanup();
    await server?.stop();
    await peer?.stop();
    await stopAllLab();
    await keyring?.stop();
  });

  it('the scanners find a planted copy (positive control)', async () => {
    const planted = path.join(e.env['XDG_STATE_HOME']!, 'planted.log');
    fs.mkdirSync(path.dirname(planted), { recursive: true });
    fs.writeFileSync(planted, `x ${user} y\n`);
    const p = execa(process.execPath, ['-e', 'setTimeout(() => undefined, 60_000)', user], { env: { PLANTED: password }, reject: false, stdio: 'ignore' });
    try {
      await until(() => processesContaining(needles).length >= 2, 5000, 'the planted process to show');
      assert.deepEqual(filesUnder(xdgDirs(e), needles), [`${planted}: ${user}`]);
      const procs = processesContaining(needles);
      assert.ok(procs.some((x) => x.startsWith(`${p.pid}/cmdline (${user})`)), procs.join('\n'));
      assert.ok(procs.some((x) => x.startsWith(`${p.pid}/environ (${password})`)), procs.join('\n'));
    } finally {
      p.kill('SIGKILL');
      await p;
      fs.rmSync(planted);
    }
    assert.deepEqual(filesUnder(xdgDirs(e), needles), []);
  });

  it('a connect and a reconnect leave the user name and password nowhere', async () => {
    const file = path.join(e.dir, 'acct.ovpn');
    fs.writeFileSync(file, server.clientConfig());
    await e.ok(['vpn', 'import', file]);
    await e.ok(['secret', 'set', 'acct', 'username'], { input: user });
    await e.ok(['secret', 'set', 'acct', 'password'], { input: `${password}\n` });
    const mon = execa(process.execPath, [BIN, 'monitor', '--json'], { env: e.env, extendEnv: false, reject: false, buffer: false });
    let monOut = '';
    mon.stdout!.on('data', (d: Buffer) => (monOut += d.toString()));
    try {
      await e.ok(['start', 'acct']);
      await waitVpn(e, 'acct', 'connected');
      assert.equal(await httpInside(e, 'acct', '198.19.8.1'), 'secret-logs');
      // The server goes away and comes back: OpenVPN asks for the credentials again.
      await server.stopDaemon();
      await waitVpn(e, 'acct', 'reconnecting');
      await server.startDaemon();
      await waitVpn(e, 'acct', 'connected', 60_000);
      assert.equal(await httpInside(e, 'acct', '198.19.8.1'), 'secret-logs');
      await until(() => /"vpn":\{"state":"connected"/.test(monOut), 10_000, `monitor to report the tunnel: ${monOut}`);
      const outputs = {
        'vpn status --json': await e.ok(['vpn', 'status', 'acct', '--json']),
        'vpn status': await e.ok(['vpn', 'status', 'acct']),
        'vpn status (all)': await e.ok(['vpn', 'status']),
        log: await e.ok(['log', 'acct']),
        'log --json': await e.ok(['log', 'acct', '--json']),
        'info --json': await e.ok(['info', 'acct', '--json']),
        monitor: monOut,
      };
      for (const [what, text] of Object.entries(outputs)) {
        for (const n of needles) assert.ok(!text.includes(n), `${what} holds ${n === user ? 'the user name' : 'the password'}:\n${text}`);
      }
      // The client's output does reach the log (it is relayed, not dropped), and asked twice.
      assert.match(outputs.log, /openvpn: .*Initialization Sequence Completed/);
      assert.doesNotMatch(outputs.log, /MANAGEMENT: CMD/);
      await e.ok(['exec', 'acct', '--', 'true']);
      assert.deepEqual(processesContaining(needles), [], 'argv and environment');
      assert.deepEqual(filesUnder(xdgDirs(e), needles), [], 'config, data, state (logs) and runtime files');
      await e.ok(['stop', 'acct']);
      assert.deepEqual(filesUnder(xdgDirs(e), needles), [], 'after stop');
    } finally {
      mon.kill('SIGTERM');
      await mon;
    }
  });

  it('a WireGuard private key is nowhere either', async () => {
    const key = /PrivateKey = (\S+)/.exec(peer.clientConfig)![1]!;
    const file = path.join(e.dir, 'keyed.conf');
    fs.writeFileSync(file, peer.clientConfig, { mode: 0o600 });
    // Control: the key is in the file imported from, which lies outside the XDG folders.
    assert.deepEqual(filesContaining(e.dir, [key]), [`${file}: ${key}`]);
    await e.ok(['vpn', 'import', file]);
    await e.ok(['start', 'keyed']);
    await waitVpn(e, 'keyed', 'connected');
    assert.equal(await httpInside(e, 'keyed', '198.19.9.1'), 'secret-logs-wg');
    for (const args of [['vpn', 'status', 'keyed', '--json'], ['log', 'keyed', '--json'], ['info', 'keyed', '--json']]) {
      assert.ok(!(await e.ok(args)).includes(key), args.join(' '));
    }
    assert.deepEqual(processesContaining([key]), [], 'argv and environment');
    assert.deepEqual(filesUnder(xdgDirs(e), [key]), [], 'config, data, state (logs) and runtime files');
    await e.ok(['stop', 'keyed']);
  });
});
