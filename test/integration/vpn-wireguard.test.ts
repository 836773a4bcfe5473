// A WireGuard sandbox against a real wireguard-go peer: the private key goes to the keyring on
// import, the tunnel comes up inside, the responder and the VPN's DNS answer, monitor reports it.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { execa } from 'execa';
import { BIN, sandtrayEnv, type Env } from '../lib/sandtray.js';
import { startKeyring, type Keyring } from '../lib/keyring.js';
import { startWgPeer, stopAllLab, until, type WgPeer } from '../lib/vpn-lab.js';
import { httpInside, resolveInside } from '../lib/vpn-probe.js';
import { vpnStatus, waitVpn } from '../lib/vpn-wait.js';
import { helpersOf, running } from '../lib/vpn-capture.js';

describe('WireGuard sandboxes', { timeout: 300_000 }, () => {
  let e: Env;
  let keyring: Keyring;
  let peer: WgPeer;

  before(async () => {
    keyring = await startKeyring();
    e = sandtrayEnv('vpn-wg');
    e.env['DBUS_SESSION_BUS_ADDRESS'] = keyring.address;
    peer = await startWgPeer('wg', '198.18.20.2', { subnet: '198.19.9', token: `wg-${Date.now()}`, dnsName: 'only-wg.vpn.test' });
  });
  after(async () => {
    await e?.cleanup();
    await peer?.stop();
    await stopAllLab();
    await keyring?.stop();
  });

  it('imports with the private key into the keyring, connects, reaches the peer, resolves through its DNS', async () => {
    const file = path.join(e.dir, 'home-wg.conf');
    fs.writeFileSync(file, peer.clientConfig, { mode: 0o600 });
    const out = await e.ok(['vpn', 'import', file, '--name', 'homewg']);
    assert.match(out, /stored in the keyring: private-key/);
    const privateKey = /PrivateKey = (\S+)/.exec(peer.clientConfig)![1]!;
    const stored = fs.readFileSync(path.join(e.env['XDG_CONFIG_HOME']!, 'sandtray', 'vpn', 'homewg.conf'), 'utf8');
    assert.ok(!stored.includes(privateKey), 'the stored config has no private key');

    // monitor reports the tunnel's state changes.
    const mon = execa(process.execPath, [BIN, 'monitor', '--json'], { env: e.env, extendEnv: false, reject: false, buffer: false });
    let monOut = '';
    mon.stdout!.on('data', (d: Buffer) => (monOut += d.toString()));
    try {
      // Ready when monitor reports a probe sandbox made after it started (it prints nothing at
      // start, and one made before its watches were set is not reported): only then is the
      // tunnel's first change below sure to be seen. Each try makes the probe anew (bounded).
      let ready = false;
      for (let i = 0; i < 10 && !ready; i++) {
        await e.ok(['create', 'monprobe']);
        ready = await until(() => /"name":"monprobe"/.test(monOut), 3_000, '').then(() => true, () => false);
        await e.ok(['delete', 'monprobe']);
      }
      assert.ok(ready, `monitor reported none of the probe sandboxes made after it started: ${monOut}`);
      await e.ok(['start', 'homewg']);
      const st = await waitVpn(e, 'homewg', 'connected');
      assert.deepEqual(st['addresses'], ['198.19.9.2/24']);
      assert.deepEqual(st['routes'], ['0.0.0.0/0']);
      assert.deepEqual(st['dns'], ['198.19.9.1']);
      assert.deepEqual(st['domains'], ['vpn.test']);
      assert.equal(st['endpoint'], `127.0.0.1:${peer.port}`);
      assert.match(await httpInside(e, 'homewg', '198.19.9.1'), /^wg-\d+$/);
      assert.equal(await resolveInside(e, 'homewg', 'only-wg.vpn.test'), '198.19.9.1');
      const links = await e.ok(['exec', 'homewg', '--', 'ip', '-o', 'link']);
      assert.deepEqual(links.trim().split('\n').map((l) => l.split(':')[1]!.trim()).sort(), ['lo', 'wg0']);
      const human = await e.ok(['vpn', 'status', 'homewg']);
      assert.match(human, /State: +connected/);
      assert.match(human, /Traffic: +in [1-9]/);
      await until(() => /"vpn":\{"state":"connected"/.test(monOut), 30_000, `monitor to report the tunnel: ${monOut}`);
      await e.ok(['stop', 'homewg']);
      await until(() => /"vpn":\{"state":"down"/.test(monOut), 30_000, `monitor to report the tunnel down: ${monOut}`);
      assert.equal((await vpnStatus(e, 'homewg')).state, 'down');
    } finally {
      mon.kill('SIGTERM');
      await mon;
    }
  });

  it('a sandbox killed from outside takes its uplink, pasta, client and agent with it', async () => {
    await e.ok(['start', 'homewg']);
    await waitVpn(e, 'homewg', 'connected');
    const helpers = helpersOf(e, 'homewg');
    assert.deepEqual(helpers.map((h) => h.what).sort(), ['pasta (uplink)', 'uplink', 'vpn agent', 'wireguard-go']);
    const init = (JSON.parse(await e.ok(['info', 'homewg', '--json'])) as { pid: number }).pid;
    process.kill(init, 'SIGKILL');
    const alive = () => helpers.filter(running);
    await until(() => alive().length === 0, 30_000, `helpers still running: ${JSON.stringify(alive())}`);
  });

  it('delete forgets the keys and the imported files; the same name imports again', async () => {
    await e.ok(['delete', 'homewg']);
    assert.ok(!fs.existsSync(path.join(e.env['XDG_CONFIG_HOME']!, 'sandtray', 'vpn', 'homewg.conf')));
    assert.ok(!fs.existsSync(path.join(e.env['XDG_CONFIG_HOME']!, 'sandtray', 'profiles', 'homewg.sandtray')));
    // The key is gone from the keyring: a copy of the file without it cannot start.
    const keyless = path.join(e.dir, 'keyless.conf');
    fs.writeFileSync(keyless, peer.clientConfig.replace(/^PrivateKey = .*$/m, ''), { mode: 0o600 });
    await e.ok(['vpn', 'import', keyless, '--name', 'homewg']);
    const r = await e.run(['start', 'homewg']);
    assert.notEqual(r.exitCode, 0);
    assert.match(r.stderr, /needs its WireGuard private key, and none is stored/);
  });
});
