// The session bus, with a dbus-daemon of the test's own: `dbus: filtered` reaches it through an
// xdg-dbus-proxy of the sandbox's own (notifications yes, other names no), `none` reaches no bus
// at all, and a single-instance program inside never hands its URL to the one on the host.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sandtrayEnv, writeProfile, type Env } from '../lib/sandtray.js';
import { notifyArgs, secretArgs, spawnArgs, SINGLE_PY, startBusLab, type BusLab } from '../lib/bus-lab.js';

let dir = '';
let lab: BusLab;
let e: Env;
let envBus: Record<string, string> = {};

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sandtray-bus-'));
  fs.chmodSync(dir, 0o700);
  lab = await startBusLab(dir);
  e = sandtrayEnv('dbus');
  // The session the sandbox's owner runs in: what `sandtray` finds in its environment.
  envBus = { ...e.env, DBUS_SESSION_BUS_ADDRESS: lab.pathAddress };
});

after(async () => {
  await e?.cleanup();
  await lab?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

const run = (args: string[]) => e.run(args, { env: envBus });

/** The helpers a running sandbox's runtime record names. */
function helpers(name: string): { pid: number; what: string }[] {
  const file = path.join(e.env['XDG_RUNTIME_DIR']!, 'sandtray', name, 'state.json');
  return (JSON.parse(fs.readFileSync(file, 'utf8')) as { helpers: { pid: number; what: string }[] }).helpers;
}

/** Running, not a zombie waiting for its parent. */
function alive(pid: number): boolean {
  try {
    return !/^\S+ \(.*\) [ZX] /s.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/** Waits, a bounded time, for a process to be gone; says whether it is. */
async function gone(pid: number): Promise<boolean> {
  const end = Date.now() + 20_000;
  while (alive(pid) && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
  return !alive(pid);
}

describe('session bus', { timeout: 300_000 }, () => {
  test('filtered: a notification gets through the proxy, a name outside the list does not', { timeout: 90_000 }, async () => {
    // The positive control: from the host both calls work.
    const hostNotify = await lab.onHost('gdbus', notifyArgs('from-host'));
    assert.equal(hostNotify.exitCode, 0, hostNotify.stderr);
    const hostSecret = await lab.onHost('gdbus', secretArgs);
    assert.equal(hostSecret.exitCode, 0, hostSecret.stderr);
    assert.match(hostSecret.stdout, /the-secret/);
    assert.match(lab.log(), /notify from-host\nsecret read\n/);

    const prof = writeProfile(e, 'filtered', 'apiVersion: sandtray/v1\nnetwork: {mode: none}\ndbus: filtered\n');
    await e.ok(['create', 'filtered', '--profile', prof], { env: envBus });
    // plan shows the proxy's command line and the socket it binds.
    const planned = await run(['plan', 'filtered']);
    assert.match(planned.stdout, /ro-bind +\S+\/filtered\/bus -> \/run\/user\/0\/bus/);
    assert.match(planned.stdout, /xdg-dbus-proxy --fd=3 unix:path=\S+ \S+\/bus --filter '--call=org\.freedesktop\.Notifications=org\.freedesktop\.Notifications\.\*@\/org\/freedesktop\/Notifications' /);
    await e.ok(['delete', 'filtered'], { env: envBus });
    const launched = await run(['launch', 'filtered', '--profile', prof]);
    assert.equal(launched.exitCode, 0, launched.stderr);
    assert.match(launched.stderr, /warning: dbus\.mode: programs inside can call org\.freedesktop\.Notifications, org\.freedesktop\.portal\.Desktop on/);
    const proxies = helpers('filtered').filter((h) => h.what === 'xdg-dbus-proxy');
    assert.equal(proxies.length, 1);
    assert.ok(alive(proxies[0]!.pid));

    const where = await run(['exec', 'filtered', '--', 'sh', '-c', 'echo "$DBUS_SESSION_BUS_ADDRESS"; test -S /run/user/0/bus && echo socket']);
    assert.deepEqual(where.stdout.trim().split('\n'), ['unix:path=/run/user/0/bus', 'socket']);
    const notify = await run(['exec', 'filtered', '--', 'gdbus', ...notifyArgs('from-inside')]);
    assert.equal(notify.exitCode, 0, notify.stderr);
    assert.match(notify.stdout, /\(uint32 7,\)/);
    assert.match(lab.log(), /notify from-inside\n/);
    const secret = await run(['exec', 'filtered', '--', 'gdbus', ...secretArgs]);
    assert.notEqual(secret.exitCode, 0, secret.stdout);
    assert.match(secret.stderr, /ServiceUnknown|AccessDenied|NameHasNoOwner/);
    assert.equal(lab.log().match(/secret read/g)?.length, 1, 'the service outside the list was not called from inside');
    // The proxy is the only way out: the bus's own path and abstract sockets are out of reach.
    for (const address of [lab.pathAddress, lab.abstractAddress]) {
      const r = await run(['exec', 'filtered', '--env', `DBUS_SESSION_BUS_ADDRESS=${address}`, '--', 'gdbus', ...secretArgs]);
      assert.notEqual(r.exitCode, 0, `${address} answered: ${r.stdout}`);
    }
    // The bus itself answers, but lists none of the names outside the list.
    const names = await run(['exec', 'filtered', '--', 'gdbus', 'call', '--session', '--dest', 'org.freedesktop.DBus', '--object-path', '/org/freedesktop/DBus', '--method', 'org.freedesktop.DBus.ListNames']);
    assert.equal(names.exitCode, 0, names.stderr);
    assert.doesNotMatch(names.stdout, /org\.example\.Secret/);

    // info names the proxy; stop ends it.
    const info = await run(['info', 'filtered']);
    assert.match(info.stdout, /\nDesktop:\n {2}dbus: filtered, through an xdg-dbus-proxy of its own to unix:path=\S+; programs inside may call org\.freedesktop\.Notifications, org\.freedesktop\.portal\.Desktop and see no other name\n/);
    await e.ok(['stop', 'filtered'], { env: envBus });
    assert.ok(await gone(proxies[0]!.pid), 'the proxy stopped with the sandbox');
    // Stopped, info says what a start would grant from the session it runs in.
    assert.match((await run(['info', 'filtered'])).stdout, /\nDesktop \(if started now\):\n {2}dbus: filtered, through an xdg-dbus-proxy/);
    assert.match((await e.run(['info', 'filtered'])).stdout, /\nDesktop \(if started now\):\n {2}dbus: filtered, but no session bus here/);
    await e.ok(['delete', '--force', 'filtered'], { env: envBus });
  });

  test("filtered with talk: the profile's names can be called", { timeout: 60_000 }, async () => {
    const prof = writeProfile(e, 'talk', 'apiVersion: sandtray/v1\nnetwork: {mode: none}\ndbus: {mode: filtered, talk: [org.example.Secret]}\n');
    await e.ok(['launch', 'talk', '--profile', prof], { env: envBus });
    const secret = await run(['exec', 'talk', '--', 'gdbus', ...secretArgs]);
    assert.equal(secret.exitCode, 0, secret.stderr);
    assert.match(secret.stdout, /the-secret/);
    await e.ok(['delete', '--force', 'talk'], { env: envBus });
  });

  test("filtered: Flatpak's spawn portal, which runs commands on the host, is out of reach", { timeout: 90_000 }, async () => {
    // The positive control: from the host, the stand-in spawn portal answers and logs the command.
    const host = await lab.onHost('gdbus', spawnArgs('from-host'));
    assert.equal(host.exitCode, 0, host.stderr);
    assert.match(lab.log(), /spawn from-host/);
    const prof = writeProfile(e, 'spawn', 'apiVersion: sandtray/v1\nnetwork: {mode: none}\ndbus: filtered\n');
    await e.ok(['launch', 'spawn', '--profile', prof], { env: envBus });
    // The sandbox is alive and its bus works: a notification gets through.
    const notify = await run(['exec', 'spawn', '--', 'gdbus', ...notifyArgs('spawn-alive')]);
    assert.equal(notify.exitCode, 0, notify.stderr);
    const inside = await run(['exec', 'spawn', '--', 'gdbus', ...spawnArgs('from-inside')]);
    assert.notEqual(inside.exitCode, 0, inside.stdout);
    assert.match(inside.stderr, /ServiceUnknown|AccessDenied|NameHasNoOwner/);
    assert.doesNotMatch(lab.log(), /spawn from-inside/);
    // Nor through the unique name of the connection that shows notifications, which here (as GNOME
    // Shell or Plasma do) serves other objects too: only its notification interface answers.
    const owner = await run(['exec', 'spawn', '--', 'gdbus', 'call', '--session', '--dest', 'org.freedesktop.DBus', '--object-path', '/org/freedesktop/DBus', '--method', 'org.freedesktop.DBus.GetNameOwner', 'org.freedesktop.Notifications']);
    assert.equal(owner.exitCode, 0, owner.stderr);
    const unique = /'(:[0-9.]+)'/.exec(owner.stdout)?.[1];
    assert.ok(unique, owner.stdout);
    const hostUnique = await lab.onHost('gdbus', ['call', '--session', '--timeout', '10', '--dest', unique, '--object-path', '/org/example/Secret', '--method', 'org.example.Secret.Read']);
    assert.equal(hostUnique.exitCode, 0, `the positive control: that connection serves the secret (${hostUnique.stderr})`);
    const readsBefore = lab.log().match(/secret read/g)?.length ?? 0;
    for (const [obj, method, arg] of [['/org/example/Secret', 'org.example.Secret.Read', []], ['/org/freedesktop/portal/Flatpak', 'org.freedesktop.portal.Flatpak.Spawn', ["b'via-unique'"]]] as const) {
      const r = await run(['exec', 'spawn', '--', 'gdbus', 'call', '--session', '--timeout', '10', '--dest', unique, '--object-path', obj, '--method', method, ...arg]);
      assert.notEqual(r.exitCode, 0, `${method} through ${unique}: ${r.stdout}`);
      assert.match(r.stderr, /AccessDenied|ServiceUnknown/);
    }
    const viaUnique = await run(['exec', 'spawn', '--', 'gdbus', 'call', '--session', '--timeout', '10', '--dest', unique, '--object-path', '/org/freedesktop/Notifications', '--method', 'org.freedesktop.Notifications.Notify', 'sandtray-test', '0', '', 'via-unique', 'body', '[]', '{}', '5000']);
    assert.equal(viaUnique.exitCode, 0, viaUnique.stderr);
    assert.equal(lab.log().match(/secret read/g)?.length ?? 0, readsBefore);
    assert.doesNotMatch(lab.log(), /spawn via-unique/);
    await e.ok(['delete', '--force', 'spawn'], { env: envBus });
    // A profile cannot ask for it, by name or through a family that holds it.
    for (const talk of ['org.freedesktop.portal.Flatpak', 'org.freedesktop.portal.*', 'org.freedesktop.*', 'org.freedesktop.systemd1', 'org.freedesktop.impl.portal.PermissionStore']) {
      const bad = writeProfile(e, 'spawn-talk', `apiVersion: sandtray/v1\nnetwork: {mode: none}\ndbus: {mode: filtered, talk: ['${talk}']}\n`);
      const r = await run(['profile', 'validate', bad]);
      assert.notEqual(r.exitCode, 0, `${talk} was accepted`);
      assert.match(r.stderr + r.stdout, /runs commands on the host|without the portal's permission checks/);
    }
  });

  test('the proxy goes when the sandbox ends on its own', { timeout: 60_000 }, async () => {
    const prof = writeProfile(e, 'ends', 'apiVersion: sandtray/v1\nnetwork: {mode: none}\ndbus: filtered\n');
    await e.ok(['launch', 'ends', '--profile', prof], { env: envBus });
    const proxy = helpers('ends').find((h) => h.what === 'xdg-dbus-proxy')!;
    const state = JSON.parse(fs.readFileSync(path.join(e.env['XDG_RUNTIME_DIR']!, 'sandtray', 'ends', 'state.json'), 'utf8')) as { init: { pid: number } };
    // The control: the proxy runs while the sandbox does.
    assert.ok(alive(proxy.pid));
    // Killed from outside: no stop runs, bwrap's monitor goes with pid 1 and closes the proxy's descriptor.
    process.kill(state.init.pid, 'SIGKILL');
    assert.ok(await gone(proxy.pid), 'the proxy exited with the sandbox');
    await e.ok(['delete', '--force', 'ends'], { env: envBus });
  });

  for (const mode of ['none', 'nat'] as const) {
    test(`dbus: none (network ${mode}) reaches no bus, by path or abstract socket, even with the address set`, { timeout: 60_000 }, async () => {
      const name = `nobus-${mode}`;
      const prof = writeProfile(e, name, `apiVersion: sandtray/v1\nnetwork: {mode: ${mode}}\ndbus: none\n`);
      await e.ok(['launch', name, '--profile', prof], { env: envBus });
      const unset = await run(['exec', name, '--', 'sh', '-c', 'echo "[$DBUS_SESSION_BUS_ADDRESS]"; ls /run/user 2>&1']);
      assert.match(unset.stdout, /^\[\]$/m);
      for (const address of [lab.pathAddress, lab.abstractAddress]) {
        const r = await run(['exec', name, '--env', `DBUS_SESSION_BUS_ADDRESS=${address}`, '--', 'gdbus', ...notifyArgs(`leak-${mode}`)]);
        assert.notEqual(r.exitCode, 0, `${address} answered: ${r.stdout}`);
        // The positive control: the same address answers on the host.
        const host = await lab.onHost('sh', ['-c', `DBUS_SESSION_BUS_ADDRESS='${address}' exec gdbus ${notifyArgs(`host-${mode}`).map((a) => `'${a}'`).join(' ')}`]);
        assert.equal(host.exitCode, 0, host.stderr);
      }
      assert.doesNotMatch(lab.log(), new RegExp(`leak-${mode}`));
      await e.ok(['delete', '--force', name], { env: envBus });
    });
  }

  test("a single-instance program inside starts its own instance instead of handing its URL to the host's", { timeout: 120_000 }, async () => {
    const opened = path.join(dir, 'opened.log');
    fs.writeFileSync(opened, '');
    const first = lab.spawn('python3', ['-c', SINGLE_PY, 'https://first.example/', opened]);
    const end = Date.now() + 20_000;
    while (!fs.readFileSync(opened, 'utf8').includes('first.example') && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
    assert.match(fs.readFileSync(opened, 'utf8'), /opened https:\/\/first\.example\//);
    try {
      // The positive control: a second instance on the host hands its URL over.
      const second = await lab.onHost('python3', ['-c', SINGLE_PY, 'https://second.example/']);
      assert.equal(second.stdout.trim(), 'handed over', second.stderr);
      assert.match(fs.readFileSync(opened, 'utf8'), /opened https:\/\/second\.example\//);
      for (const dbus of ['none', 'filtered']) {
        const name = `browser-${dbus}`;
        const prof = writeProfile(e, name, `apiVersion: sandtray/v1\nnetwork: {mode: nat}\ndbus: ${dbus}\n`);
        await e.ok(['launch', name, '--profile', prof], { env: envBus });
        const inside = await run(['exec', name, '--', 'python3', '-c', SINGLE_PY, `https://inside-${dbus}.example/`]);
        assert.equal(inside.exitCode, 0, inside.stderr);
        assert.match(inside.stdout, /^own instance/, `dbus ${dbus}`);
        assert.doesNotMatch(fs.readFileSync(opened, 'utf8'), new RegExp(`inside-${dbus}`));
        await e.ok(['delete', '--force', name], { env: envBus });
      }
    } finally {
      first.kill('SIGTERM');
      await first.catch(() => undefined);
    }
  });
});
