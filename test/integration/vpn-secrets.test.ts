// Secrets (VPN password, key passphrase) come from the keyring or the terminal and go to OpenVPN
// over its management socket: after a start, no argv, environment, log or file holds them.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { execa } from 'execa';
import { BIN, sandtrayEnv, type Env } from '../lib/sandtray.js';
import { startKeyring, type Keyring } from '../lib/keyring.js';
import { startOvpnServer, stopAllLab, type OvpnServer } from '../lib/vpn-lab.js';
import { httpInside } from '../lib/vpn-probe.js';
import { waitVpn } from '../lib/vpn-wait.js';
import { filesContaining, processesContaining } from '../lib/vpn-scan.js';


describe('VPN secrets', { timeout: 300_000 }, () => {
  let e: Env;
  let keyring: Keyring;
  let server: OvpnServer;
  const password = `pw-${Math.random().toString(36).slice(2)}-Zq9`;
  const passphrase = `kp-${Math.random().toString(36).slice(2)}-Xw7`;

  before(async () => {
    keyring = await startKeyring();
    e = sandtrayEnv('vpn-secrets');
    e.env['DBUS_SESSION_BUS_ADDRESS'] = keyring.address;
    server = await startOvpnServer('secrets', '198.18.50.2', { proto: 'udp', subnet: '198.19.8', redirectGateway: true, user: { name: 'bob', password }, token: 'secret-server', dnsName: 'x.vpn.test' }, passphrase);
  });
  after(async () => {
    await e?.cleanup();
    await server?.stop();
    await stopAllLab();
    await keyring?.stop();
  });

  it('stored secrets reach the server and appear nowhere', async () => {
    const file = path.join(e.dir, 'corp.ovpn');
    fs.writeFileSync(file, server.clientConfig());
    const out = await e.ok(['vpn', 'import', file]);
    assert.match(out, /needs a user name and password/);
    assert.match(out, /private key is encrypted/);
    await e.ok(['secret', 'set', 'corp', 'username'], { input: 'bob' });
    await e.ok(['secret', 'set', 'corp', 'password'], { input: `${password}\n` });
    await e.ok(['secret', 'set', 'corp', 'key-passphrase'], { input: passphrase });
    await e.ok(['start', 'corp']);
    await waitVpn(e, 'corp', 'connected');
    assert.equal(await httpInside(e, 'corp', '198.19.8.1'), 'secret-server');
    // Open a shell's worth of processes inside too, then look everywhere.
    await e.ok(['exec', 'corp', '--', 'true']);
    assert.deepEqual(processesContaining([password, passphrase]), [], 'argv and environment');
    assert.deepEqual(filesContaining(e.dir, [password, passphrase]), [], 'config, data, logs and runtime files');
    const log = await e.ok(['log', 'corp']);
    assert.ok(!log.includes(password) && !log.includes(passphrase), 'the sandbox log');
    assert.match(log, /Initialization Sequence Completed/, 'the client log is the sandbox log');
    await e.ok(['stop', 'corp']);
  });

  it('start asks on the terminal for a missing secret, without echo, and keeps it nowhere', async () => {
    await e.ok(['secret', 'delete', 'corp', 'password']);
    // Without a terminal, the missing secret is a clear error that says how to store it.
    const noTty = await e.run(['start', 'corp']);
    assert.notEqual(noTty.exitCode, 0);
    assert.match(noTty.stderr, /needs its VPN password, and none is stored/);
    assert.match(noTty.stderr, /sandtray secret set corp password/);
    // script(1) gives the start a terminal; the password is typed once the prompt is up.
    const p = execa('script', ['-qec', `${process.execPath} ${BIN} start corp`, '/dev/null'], { env: e.env, extendEnv: false, reject: false, stdin: 'pipe', timeout: 60_000 });
    let screen = '';
    p.stdout!.on('data', (d: Buffer) => {
      screen += d.toString();
      if (/VPN password for sandbox corp: $/.test(screen)) p.stdin!.write(`${password}\r`);
    });
    const r = await p;
    assert.equal(r.exitCode, 0, screen);
    assert.ok(!screen.includes(password), 'the password is not echoed');
    await waitVpn(e, 'corp', 'connected');
    assert.deepEqual(processesContaining([password, passphrase]), []);
    assert.deepEqual(filesContaining(e.dir, [password, passphrase]), []);
    await e.ok(['stop', 'corp']);
  });

  it('without a Secret Service, storing is refused with both ways out, and nothing goes to a file', async () => {
    const r = await e.run(['secret', 'set', 'corp', 'password'], { input: 'x', env: { ...e.env, DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent/bus' } });
    assert.notEqual(r.exitCode, 0);
    assert.match(r.stderr, /No Secret Service keyring is available/);
    assert.match(r.stderr, /start a Secret Service/);
    assert.match(r.stderr, /--store file/);
    assert.ok(!fs.existsSync(path.join(e.env['XDG_CONFIG_HOME']!, 'sandtray', 'secrets')), 'no file store without consent');
  });
});
