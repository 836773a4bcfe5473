// Where no Secret Service answers (no DBUS_SESSION_BUS_ADDRESS, as on i3, sway or over ssh), a
// WireGuard import fails with both ways out unless the user consents to the file store; with
// --store file the key lives in a 0600 file in 0700 folders, never in argv or the environment,
// the tunnel connects with it, and delete removes it.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { sandtrayEnv, type Env } from '../lib/sandtray.js';
import { startWgPeer, stopAllLab, type WgPeer } from '../lib/vpn-lab.js';
import { httpInside } from '../lib/vpn-probe.js';
import { vpnStatus, waitVpn } from '../lib/vpn-wait.js';
import { filesContaining, processesContaining } from '../lib/vpn-scan.js';

const mode = (p: string): number => fs.lstatSync(p).mode & 0o7777;

describe('VPN secrets in the file store, without a Secret Service', { timeout: 300_000 }, () => {
  let e: Env;
  let peer: WgPeer;
  let cfg: string;
  let file: string;
  let privateKey: string;
  const token = `wgfile-${Date.now()}`;

  before(async () => {
    e = sandtrayEnv('vpn-secret-file');
    // No session bus at all: nothing can answer for a Secret Service.
    assert.equal(e.env['DBUS_SESSION_BUS_ADDRESS'], undefined);
    cfg = path.join(e.env['XDG_CONFIG_HOME']!, 'sandtray');
    peer = await startWgPeer('wgfile', '198.18.120.2', { subnet: '198.19.12', token, dnsName: 'file.vpn.test' });
    file = path.join(e.dir, 'home-wg.conf');
    fs.writeFileSync(file, peer.clientConfig, { mode: 0o600 });
    privateKey = /PrivateKey = (\S+)/.exec(peer.clientConfig)![1]!;
  });
  after(async () => {
    await e?.cleanup();
    await peer?.stop();
    await stopAllLab();
  });

  it('without consent the import fails, names both ways out and leaves nothing behind', async () => {
    const r = await e.run(['vpn', 'import', file, '--name', 'homewg']);
    assert.notEqual(r.exitCode, 0, r.stdout);
    assert.match(r.stderr, /No Secret Service keyring is available/);
    assert.match(r.stderr, /start a Secret Service/);
    assert.match(r.stderr, /--store file/);
    assert.deepEqual(JSON.parse((await e.ok(['list', '--json'])).trim() || '[]'), []);
    for (const p of ['secrets', path.join('vpn', 'homewg.conf'), path.join('profiles', 'homewg.sandtray')]) {
      assert.ok(!fs.existsSync(path.join(cfg, p)), `${p} is not left behind`);
    }
    assert.deepEqual(filesContaining(path.join(e.dir, 'config'), [privateKey]), []);
    assert.deepEqual(filesContaining(path.join(e.dir, 'data'), [privateKey]), []);
  });

  it('a link planted as the sandbox folder is refused, and what it points to is untouched', async () => {
    const elsewhere = path.join(e.dir, 'elsewhere');
    fs.mkdirSync(elsewhere, { mode: 0o700 });
    fs.mkdirSync(path.join(cfg, 'secrets'), { recursive: true, mode: 0o700 });
    fs.symlinkSync(elsewhere, path.join(cfg, 'secrets', 'linked'));
    const r = await e.run(['vpn', 'import', file, '--name', 'linked', '--store', 'file']);
    assert.notEqual(r.exitCode, 0, r.stdout);
    assert.match(r.stderr, /symbolic link/);
    assert.deepEqual(fs.readdirSync(elsewhere), []);
    assert.ok(!fs.existsSync(path.join(cfg, 'vpn', 'linked.conf')));
    fs.rmSync(path.join(cfg, 'secrets'), { recursive: true });
  });

  it('with --store file the key is a 0600 file in 0700 folders, said out loud', async () => {
    // A link planted where the key file goes is replaced by the rename, never written through.
    const outside = path.join(e.dir, 'outside');
    fs.writeFileSync(outside, 'untouched\n', { mode: 0o600 });
    fs.mkdirSync(path.join(cfg, 'secrets', 'homewg'), { recursive: true, mode: 0o700 });
    fs.symlinkSync(outside, path.join(cfg, 'secrets', 'homewg', 'private-key'));

    const out = await e.ok(['vpn', 'import', file, '--name', 'homewg', '--store', 'file']);
    assert.match(out, /secrets are kept in files, not in a keyring \(you chose --store file\)/);
    assert.match(out, /stored there: private-key/);
    const dir = path.join(cfg, 'secrets', 'homewg');
    const key = path.join(dir, 'private-key');
    assert.equal(mode(path.join(cfg, 'secrets')), 0o700);
    assert.equal(mode(dir), 0o700);
    assert.ok(fs.lstatSync(key).isFile(), 'a regular file, not the planted link');
    assert.equal(mode(key), 0o600);
    assert.equal(fs.readFileSync(key, 'utf8'), `${privateKey}\n`);
    assert.equal(fs.readFileSync(outside, 'utf8'), 'untouched\n');
    assert.deepEqual(fs.readdirSync(dir), ['private-key'], 'no temporary file is left');
    // The key is in its file and nowhere else under Sandtray's folders.
    assert.deepEqual(filesContaining(path.join(e.dir, 'config'), [privateKey]), [`${key}: ${privateKey}`]);

    const info = await e.ok(['info', 'homewg']);
    assert.match(info, /secrets: its VPN secrets are kept in files, not in a keyring/);
    const infoJson = JSON.parse(await e.ok(['info', 'homewg', '--json'])) as { risks: { key: string; level: string }[] };
    assert.ok(infoJson.risks.some((r) => r.key === 'secrets' && r.level === 'info'));
    assert.match(await e.ok(['vpn', 'status', 'homewg']), /Secrets: +in files, not a keyring/);
    assert.equal((await vpnStatus(e, 'homewg'))['secretStore'], 'file');
  });

  it('start reads the key from its file and connects; the key is in no argv or environment', async () => {
    await e.ok(['start', 'homewg']);
    await waitVpn(e, 'homewg', 'connected');
    assert.equal(await httpInside(e, 'homewg', '198.19.12.1'), token);
    await e.ok(['exec', 'homewg', '--', 'true']);
    assert.deepEqual(processesContaining([privateKey]), [], 'argv and environment');
    const key = path.join(cfg, 'secrets', 'homewg', 'private-key');
    assert.deepEqual(filesContaining(e.dir, [privateKey]).filter((h) => !h.startsWith(`${key}:`) && !h.startsWith(`${file}:`)), [], 'data, logs and runtime files');
    const log = await e.ok(['log', 'homewg']);
    assert.ok(!log.includes(privateKey), 'the sandbox log');
    await e.ok(['stop', 'homewg']);
  });

  it('secret set without --store keeps using the sandbox\'s file store; delete removes the files', async () => {
    const out = await e.ok(['secret', 'set', 'homewg', 'preshared-key'], { input: 'not-a-real-psk' });
    assert.match(out, /in a file, not a keyring/);
    assert.equal(mode(path.join(cfg, 'secrets', 'homewg', 'preshared-key')), 0o600);
    await e.ok(['secret', 'delete', 'homewg', 'preshared-key']);
    assert.ok(!fs.existsSync(path.join(cfg, 'secrets', 'homewg', 'preshared-key')));
    await e.ok(['delete', 'homewg']);
    assert.ok(!fs.existsSync(path.join(cfg, 'secrets', 'homewg')));
    assert.deepEqual(filesContaining(e.dir, [privateKey]).filter((h) => !h.startsWith(`${file}:`)), []);
  });
});
