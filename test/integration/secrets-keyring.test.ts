// The keyring against a real Secret Service (gnome-keyring in its own D-Bus session): secrets are
// stored, read and deleted there in the current shape (service + username), an item stored the way
// earlier versions stored it through keytar (libsecret's generic schema: service + account) is
// still read and moved, and where no Secret Service answers, storing fails loudly instead of
// falling back to the kernel keyring or a file.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { execa, type ResultPromise } from 'execa';
import { sandtrayPaths, type Paths } from '../../helpers/core/paths.js';
import { deleteSecret, getSecret, keyringGet } from '../../helpers/secrets/keyring.js';
import { sandtrayEnv, type Env } from '../lib/sandtray.js';
import { startKeyring, type Keyring } from '../lib/keyring.js';

interface Entry {
  getPassword(): Promise<string | null>;
  setPassword(p: string): Promise<void>;
  deletePassword(): Promise<boolean>;
}
const { AsyncEntry } = createRequire(import.meta.url)('@napi-rs/keyring') as {
  AsyncEntry: new (service: string, account: string, options?: { linux?: { store?: string } }) => Entry;
};

/** secret-tool with the test keyring's bus; its own stdout/stderr and exit code. */
async function secretTool(bus: string, args: string[], input?: string): Promise<{ stdout: string; stderr: string; exitCode: number }> {
  const r = await execa('secret-tool', args, { env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', DBUS_SESSION_BUS_ADDRESS: bus }, extendEnv: false, reject: false, timeout: 30_000, ...(input === undefined ? { stdin: 'ignore' as const } : { input }) });
  return { stdout: String(r.stdout), stderr: String(r.stderr), exitCode: r.exitCode ?? -1 };
}

/** The attributes of every item of a service, as secret-tool shows them. */
async function itemsOf(bus: string, service: string): Promise<Record<string, string>[]> {
  const r = await secretTool(bus, ['search', '--all', '--unlock', 'service', service]);
  const items: Record<string, string>[] = [];
  for (const line of `${r.stdout}\n${r.stderr}`.split('\n')) {
    if (/^\[/.test(line)) items.push({});
    const m = /^attribute\.(\S+) = (.*)$/.exec(line.trim());
    if (m && items.length) items[items.length - 1]![m[1]!] = m[2]!;
  }
  return items;
}

/** A session bus on which no Secret Service answers: dbus-daemon with no service folders to activate from. */
async function emptyBus(dir: string): Promise<{ address: string; stop(): Promise<void> }> {
  const conf = path.join(dir, 'bus.conf');
  fs.writeFileSync(conf, `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN" "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig><type>session</type><listen>unix:dir=${dir}</listen><auth>EXTERNAL</auth>
<policy context="default"><allow send_destination="*" eavesdrop="true"/><allow eavesdrop="true"/><allow own="*"/></policy></busconfig>
`);
  const child: ResultPromise = execa('dbus-daemon', [`--config-file=${conf}`, '--nofork', '--print-address'], { reject: false, buffer: false, stdin: 'ignore', stderr: 'ignore' });
  const address = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error('dbus-daemon did not start within 15 s')), 15_000);
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (d: string) => {
      out += d;
      if (out.includes('\n')) {
        clearTimeout(timer);
        resolve(out.split('\n')[0]!);
      }
    });
    void child.then(() => reject(new Error(`dbus-daemon exited: ${out}`)));
  });
  return {
    address,
    async stop() {
      child.kill('SIGTERM');
      await child;
    },
  };
}

describe('the Secret Service keyring', { timeout: 180_000 }, () => {
  let e: Env;
  let keyring: Keyring;
  let paths: Paths;
  const busBefore = process.env['DBUS_SESSION_BUS_ADDRESS'];

  before(async () => {
    for (const [tool, pkg] of [['/usr/bin/secret-tool', 'libsecret-tools'], ['/usr/bin/dbus-daemon', 'dbus-daemon'], ['/usr/bin/gnome-keyring-daemon', 'gnome-keyring']] as const) {
      assert.ok(fs.existsSync(tool), `${tool} is needed (apt install ${pkg})`);
    }
    keyring = await startKeyring();
    e = sandtrayEnv('secrets-keyring');
    e.env['DBUS_SESSION_BUS_ADDRESS'] = keyring.address;
    // The engine, called in this process, uses the same bus and config folders as the CLI.
    process.env['DBUS_SESSION_BUS_ADDRESS'] = keyring.address;
    paths = sandtrayPaths(e.env);
    for (const name of ['office', 'legacy', 'nobus']) await e.ok(['create', name]);
  });
  after(async () => {
    if (busBefore === undefined) delete process.env['DBUS_SESSION_BUS_ADDRESS'];
    else process.env['DBUS_SESSION_BUS_ADDRESS'] = busBefore;
    await e?.cleanup();
    await keyring?.stop();
  });

  it('stores, reads and deletes a secret in the Secret Service, in the current shape', async () => {
    const value = `pw-${Math.random().toString(36).slice(2)}`;
    const out = await e.ok(['secret', 'set', 'office', 'password'], { input: value });
    assert.match(out, /keyring/);
    const items = await itemsOf(keyring.address, 'sandtray');
    assert.deepEqual(items.map((i) => [i['service'], i['username'], i['account']]), [['sandtray', 'office/password', undefined]]);
    assert.ok(!fs.existsSync(path.join(paths.config, 'secrets')), 'nothing in the file store');
    assert.equal(await getSecret('office', 'password', paths), value);
    assert.match(await e.ok(['secret', 'delete', 'office', 'password']), /Deleted password of office/);
    assert.deepEqual(await itemsOf(keyring.address, 'sandtray'), []);
    assert.equal(await getSecret('office', 'password', paths), null);
    assert.match(await e.ok(['secret', 'delete', 'office', 'password']), /No password was stored/);
  });

  it('reads an item stored by earlier versions (keytar: service + account) and moves it to the current shape', async () => {
    const value = `old-${Math.random().toString(36).slice(2)}`;
    // Exactly what keytar's setPassword('sandtray', 'legacy/username', value) stored.
    const st = await secretTool(keyring.address, ['store', '--label=sandtray', 'xdg:schema', 'org.freedesktop.Secret.Generic', 'service', 'sandtray', 'account', 'legacy/username'], value);
    assert.equal(st.exitCode, 0, st.stderr);
    // Control: the keyring library alone does not see it (it looks items up by username).
    assert.equal(await new AsyncEntry('sandtray', 'legacy/username', { linux: { store: 'secret-service' } }).getPassword(), null);

    assert.equal(await getSecret('legacy', 'username', paths), value);
    const items = await itemsOf(keyring.address, 'sandtray');
    assert.deepEqual(items.map((i) => [i['username'], i['account']]), [['legacy/username', undefined]], 'one item, in the current shape');
    // Read again, now without the old item, and found by the library itself.
    assert.equal(await new AsyncEntry('sandtray', 'legacy/username', { linux: { store: 'secret-service' } }).getPassword(), value);
    assert.equal(await getSecret('legacy', 'username', paths), value);
    assert.equal(await deleteSecret('legacy', 'username', paths), true);
    assert.deepEqual(await itemsOf(keyring.address, 'sandtray'), []);
  });

  it('deletes an old-shaped item too, so a deleted secret does not come back', async () => {
    const st = await secretTool(keyring.address, ['store', '--label=sandtray', 'xdg:schema', 'org.freedesktop.Secret.Generic', 'service', 'sandtray', 'account', 'legacy/password'], 'stale');
    assert.equal(st.exitCode, 0, st.stderr);
    assert.equal((await itemsOf(keyring.address, 'sandtray')).length, 1);
    assert.match(await e.ok(['secret', 'delete', 'legacy', 'password']), /Deleted password of legacy/);
    assert.deepEqual(await itemsOf(keyring.address, 'sandtray'), []);
    assert.equal(await keyringGet('legacy/password'), null);
  });

  it('fails loudly, saying what to do, when a session bus has no Secret Service; nothing lands in the kernel keyring or a file', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sandtray-nobus-'));
    const bus = await emptyBus(dir);
    const marker = `sandtray-probe-${process.pid}`;
    try {
      // Control: the library, not pinned to the Secret Service, falls back without a word to the
      // kernel keyring on this very bus (the store Sandtray must never use by itself).
      const probe = `const { AsyncEntry } = require(${JSON.stringify(createRequire(import.meta.url).resolve('@napi-rs/keyring'))});
        const e = new AsyncEntry(${JSON.stringify(marker)}, 'x/password');
        e.setPassword('v').then(() => e.getPassword()).then((v) => {
          const inKernel = require('node:fs').readFileSync('/proc/keys', 'utf8').includes(${JSON.stringify(marker)});
          console.log(v + ' ' + (inKernel ? 'kernel' : 'elsewhere'));
          return e.deletePassword();
        }).catch((err) => { console.log('error: ' + err.message); });`;
      const ctl = await execa(process.execPath, ['-e', probe], { env: { ...process.env, DBUS_SESSION_BUS_ADDRESS: bus.address }, reject: false, timeout: 60_000 });
      assert.equal(String(ctl.stdout).trim(), 'v kernel', `the unpinned library stores in the kernel keyring: ${ctl.stdout} ${ctl.stderr}`);

      for (const address of [bus.address, 'unix:path=/nonexistent/bus']) {
        const r = await e.run(['secret', 'set', 'nobus', 'password'], { input: 'x', env: { ...e.env, DBUS_SESSION_BUS_ADDRESS: address } });
        assert.notEqual(r.exitCode, 0, r.stdout);
        assert.match(r.stderr, /No Secret Service keyring is available/);
        assert.match(r.stderr, /start a Secret Service/);
        assert.match(r.stderr, /gnome-keyring/);
        assert.match(r.stderr, /--store file/);
      }
      assert.ok(!fs.existsSync(path.join(paths.config, 'secrets')), 'no file store without consent');
      const keys = fs.readFileSync('/proc/keys', 'utf8');
      assert.ok(!/nobus/.test(keys), 'nothing in the kernel keyring');
      // The test keyring, on its own bus, holds nothing either.
      assert.deepEqual(await itemsOf(keyring.address, 'sandtray'), []);
    } finally {
      await bus.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
