import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildPlan } from '../../helpers/plan/build.js';
import { expandLayers } from '../../helpers/profile/expand.js';
import { parseLayer } from '../../helpers/profile/load.js';
import type { HostFacts } from '../../helpers/host/facts.js';
import { buildIdMap } from '../../helpers/idmap/map.js';

const facts: HostFacts = {
  uid: 1000,
  gid: 1000,
  user: 'alice',
  mergedUsr: { bin: true, sbin: true, lib: true, lib64: true },
  exists: { '/bin': true, '/sbin': true, '/lib': true, '/lib64': true, '/lib32': false, '/libx32': false, '/bin/bash': true, '/etc/ld.so.cache': true, '/etc/alternatives': true },
};
const map = buildIdMap({ hostUid: 1000, hostGid: 1000, size: 65536, uidRanges: [{ start: 100000, size: 65536 }], gidRanges: [{ start: 100000, size: 65536 }] });
const dirs = { etcDir: '/data/box/etc', homeDir: '/data/box/home' };

function plan(yaml: string, name = 'box') {
  const { profile } = expandLayers(name, [{ origin: 'p', layer: parseLayer(`apiVersion: sandtray/v1\n${yaml}`, 'p') }]);
  return buildPlan(name, profile, map, facts, dirs);
}

test('the launch chain is unshare (id map) then bwrap with every namespace and a new session', () => {
  const p = plan('');
  const bw = p.argv.indexOf('bwrap');
  assert.equal(p.argv[0], 'unshare');
  // Two user namespaces (idmap/userns.ts): the map's lines travel as words, nesting off -> limit 1.
  assert.deepEqual(p.argv.slice(1, 5), ['--user', '--keep-caps', '--', '/bin/sh']);
  assert.deepEqual(p.argv.slice(bw - 3, bw), ['1', '0 1000 1 1 100000 65535', '0 1000 1 1 100000 65535']);
  for (const f of ['--unshare-pid', '--unshare-uts', '--unshare-ipc', '--unshare-net', '--new-session', '--as-pid-1']) assert.ok(p.argv.includes(f), f);
  assert.deepEqual(p.namespaces, ['user', 'mount', 'uts', 'ipc', 'pid', 'cgroup', 'net']);
  // The init comes after a final "--", so nothing after it is read as a bwrap option.
  const dd = p.argv.lastIndexOf('--');
  assert.deepEqual(p.argv.slice(dd + 1), ['/bin/sh', '-c', 'eval "$SANDTRAY_INIT"', 'sandtray-init']);
  assert.equal(p.argv[p.argv.indexOf('--hostname') + 1], 'box');
});

test('host /usr is read-only, /tmp /run private, home private, generated /etc bound', () => {
  const p = plan('');
  const m = (target: string) => p.mounts.find((x) => x.target === target);
  assert.equal(m('/usr')?.op, 'ro-bind');
  assert.equal(m('/bin')?.op, 'symlink');
  assert.equal(m('/tmp')?.op, 'tmpfs');
  assert.equal(m('/run')?.op, 'tmpfs');
  assert.deepEqual(m('/root'), { op: 'bind', source: '/data/box/home', target: '/root', why: 'private home, kept with the sandbox' });
  assert.equal(m('/etc/passwd')?.op, 'bind');
  assert.equal(m('/etc/ld.so.cache')?.op, 'ro-bind');
  assert.match(p.etc['passwd']!, /^root:x:0:0:root:\/root:\/bin\/bash$/m);
  assert.match(p.etc['hostname']!, /^box$/m);
  assert.match(p.etc['bash.bashrc']!, /\[sandtray box\] \\u@\\h/);
  assert.doesNotMatch(p.etc['nsswitch.conf']!, /resolve|myhostname/);
});

test('network host shares the host namespace; none gets its own', () => {
  assert.ok(!plan('network: {mode: host}').argv.includes('--unshare-net'));
  assert.ok(!plan('network: {mode: host}').namespaces.includes('net'));
  assert.ok(plan('network: {mode: none}').argv.includes('--unshare-net'));
});

test('profile mounts keep their mode and come after their parents', () => {
  const p = plan('mounts:\n  - {source: /srv/a/b, target: /data/b, readOnly: false}\n  - {source: /srv/a, target: /data}\n  - {source: /srv/opt, target: /opt/x, optional: true}\n');
  const user = p.mounts.filter((m) => m.why.startsWith('profile mount'));
  assert.deepEqual(user.map((m) => [m.op, m.target]), [['ro-bind', '/data'], ['bind', '/data/b'], ['ro-bind-try', '/opt/x']]);
});

test('values from profiles never become options: paths follow their option, the command is not in argv', () => {
  const p = plan('mounts: [{source: /srv/--help, target: /--version}]\ncommand: ["--evil", "-x"]\n');
  const i = p.argv.indexOf('/srv/--help');
  assert.equal(p.argv[i - 1], '--ro-bind');
  assert.equal(p.argv[i + 1], '/--version');
  assert.ok(!p.argv.includes('--evil'));
  assert.deepEqual(p.command, ['--evil', '-x']);
});

test('the environment is built, not inherited from the host', () => {
  process.env['SANDTRAY_TEST_SECRET'] = 'leak';
  const p = plan('env: {FOO: bar}');
  assert.equal(p.env['FOO'], 'bar');
  assert.equal(p.env['HOME'], '/root');
  assert.equal(p.env['SANDTRAY_NAME'], 'box');
  assert.ok(!Object.values(p.env).includes('leak'));
  delete process.env['SANDTRAY_TEST_SECRET'];
});

test('the sandbox environment is set by bwrap; host-side steps get a fixed environment', async () => {
  const { HOST_ENV } = await import('../../helpers/plan/build.js');
  const p = plan('env: {LD_PRELOAD: /x.so}');
  const i = p.argv.indexOf('--clearenv');
  assert.ok(i > 0 && i < p.argv.lastIndexOf('--'));
  const set = p.argv.indexOf('LD_PRELOAD');
  assert.equal(p.argv[set - 1], '--setenv');
  assert.deepEqual(Object.keys(HOST_ENV).sort(), ['LANG', 'PATH']);
});
