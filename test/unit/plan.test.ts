import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildPlan, LAUNCH_FDS, PERL } from '../../helpers/plan/build.js';
import { planInputs } from '../../helpers/lifecycle/plan-inputs.js';
import { expandLayers } from '../../helpers/profile/expand.js';
import { parseLayer } from '../../helpers/profile/load.js';
import type { HostFacts } from '../../helpers/host/facts.js';
import { buildIdMap } from '../../helpers/idmap/map.js';
import { bindByDescriptor } from '../../helpers/runtime/mount-safety.js';
import fs from 'node:fs';

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
  return buildPlan(name, profile, planInputs(profile, map), facts, dirs);
}

test('the launch chain: user namespace holders, then bwrap in the outer one, then the enter step and the init', () => {
  const p = plan('');
  // Two user namespaces (idmap/userns.ts): the map's lines travel as words, nesting off -> limit 1.
  assert.deepEqual(p.holders, ['sandtray-userns', '1', '0 1000 1 1 100000 65535', '0 1000 1 1 100000 65535']);
  assert.equal(p.argv[0], 'bwrap');
  // bwrap makes its namespaces in the outer user namespace, so the mounts belong to it, not to root inside.
  assert.deepEqual(p.argv.slice(1, 3), ['--userns', String(LAUNCH_FDS.outerUserns)]);
  assert.ok(!p.argv.includes('--unshare-user'));
  for (const f of ['--unshare-pid', '--unshare-uts', '--unshare-ipc', '--new-session', '--as-pid-1']) assert.ok(p.argv.includes(f), f);
  // The network namespace is made by the enter step, in the sandbox's own user namespace.
  assert.ok(!p.argv.includes('--unshare-net'));
  assert.deepEqual(p.namespaces, ['user', 'mount', 'uts', 'ipc', 'pid', 'cgroup', 'net']);
  // After bwrap's "--": perl running the enter step, which joins the sandbox's user namespace.
  const dd = p.argv.indexOf('--');
  assert.deepEqual(p.argv.slice(dd + 1, dd + 3), [PERL, '-e']);
  const opts = p.argv.slice(dd + 4, p.argv.lastIndexOf('--'));
  assert.ok(opts.includes(`userns-fd=${LAUNCH_FDS.innerUserns}`));
  assert.ok(opts.includes('newnet=1'));
  // pid 1 stays the enter step, as the sandbox's init: no environment, no command after the final "--".
  assert.ok(opts.includes('init=plain'));
  assert.ok(!opts.some((o) => o.startsWith('envfd=')));
  assert.equal(p.argv[p.argv.length - 1], '--');
  assert.equal(p.argv[p.argv.indexOf('--hostname') + 1], 'box');
});

test('root inside holds podman\'s capability set, more only when the profile asks; the filter follows', () => {
  const p = plan('');
  assert.deepEqual(p.confine.caps, ['CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'FSETID', 'KILL', 'SETGID', 'SETUID', 'SETPCAP', 'NET_BIND_SERVICE', 'SYS_CHROOT', 'SETFCAP']);
  assert.ok(p.argv.includes('caps=2147747323:0'), 'the mask 0x800405fb reaches the enter step');
  assert.equal(p.confine.seccomp.nesting, false);
  assert.equal(p.confine.seccomp.sysAdmin, false);
  const q = plan('capabilities: [net_admin, CAP_SYS_PTRACE]');
  assert.deepEqual(q.confine.caps.filter((c) => !p.confine.caps.includes(c)), ['NET_ADMIN', 'SYS_PTRACE']);
  assert.equal(plan('capabilities: [SYS_ADMIN]').confine.seccomp.sysAdmin, true);
  assert.equal(plan('nesting: true').confine.seccomp.nesting, true);
  assert.throws(() => plan('capabilities: [FLY]'), /unknown capability "FLY"/);
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

test('host /etc files: regular ones copied at start, links into /usr made again, folders bound read-only', () => {
  const withKinds: HostFacts = {
    ...facts,
    exists: { ...facts.exists, '/etc/services': true, '/etc/localtime': true, '/etc/hostname-link': true },
    etcKinds: { 'ld.so.cache': 'file', services: 'file', localtime: 'link:/usr/share/zoneinfo/Etc/UTC', alternatives: 'other' },
  };
  const { profile } = expandLayers('box', [{ origin: 'p', layer: parseLayer('apiVersion: sandtray/v1\n', 'p') }]);
  const p = buildPlan('box', profile, planInputs(profile, map), withKinds, dirs);
  const m = (target: string) => p.mounts.find((x) => x.target === target);
  assert.equal(m('/etc/ld.so.cache')?.op, 'copy');
  assert.equal(m('/etc/services')?.op, 'copy');
  assert.deepEqual(m('/etc/localtime'), { op: 'symlink', source: '/usr/share/zoneinfo/Etc/UTC', target: '/etc/localtime', why: "host link into /usr, as the host's" });
  assert.equal(m('/etc/alternatives')?.op, 'ro-bind');
  // The copy is not a bwrap option: the launch turns it into --file from a descriptor.
  const args = p.argv.join('\0');
  assert.ok(args.includes(['--copy-file', '/etc/services', '/etc/services'].join('\0')));
  // Copies are mounts no more: only the folders stay binds of host /etc.
  assert.equal(p.mounts.filter((x) => x.op === 'ro-bind' && x.target.startsWith('/etc/')).length, 1);
});

test('a copied /etc file reaches bwrap as --file from a readable descriptor; one that is not a regular file is bound', () => {
  const { opts, fds } = bindByDescriptor(['--copy-file', '/etc/hostname', '/etc/hostname', '--copy-file', '/etc', '/etc/x', '--copy-file', '/nonexistent/x', '/etc/y'], 9);
  try {
    assert.deepEqual(opts, ['--perms', '0644', '--file', '9', '/etc/hostname', '--ro-bind-fd', '10', '/etc/x']);
    assert.equal(fs.readFileSync(`/proc/self/fd/${fds[0]}`, 'utf8'), fs.readFileSync('/etc/hostname', 'utf8'));
  } finally {
    for (const fd of fds) fs.closeSync(fd);
  }
});

test('network host shares the host namespace; none gets its own', () => {
  assert.ok(!plan('network: {mode: host}').argv.includes('newnet=1'));
  assert.ok(!plan('network: {mode: host}').namespaces.includes('net'));
  assert.ok(plan('network: {mode: none}').argv.includes('newnet=1'));
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
  // Host values of the variables the plan sets or reads (LANG is taken only when it is a plain
  // locale name), and of ones a desktop session hands every program: none may reach the sandbox.
  const host: Record<string, string> = {
    LANG: 'C.UTF-8;leak', TERM: 'leak', HOME: '/home/leak', USER: 'leak', LOGNAME: 'leak', SHELL: '/bin/leak', PATH: '/leak/bin:/usr/bin:/bin',
    DISPLAY: ':leak', WAYLAND_DISPLAY: 'leak-0', XAUTHORITY: '/leak/.Xauthority', DBUS_SESSION_BUS_ADDRESS: 'unix:path=/leak/bus',
    SSH_AUTH_SOCK: '/leak/agent', LD_PRELOAD: '/leak.so', SANDTRAY_TEST_SECRET: 'leak',
  };
  const saved = Object.fromEntries(Object.keys(host).map((k) => [k, process.env[k]]));
  Object.assign(process.env, host);
  try {
    const p = plan('env: {FOO: bar}');
    assert.equal(p.env['FOO'], 'bar');
    assert.equal(p.env['HOME'], '/root');
    assert.equal(p.env['LANG'], 'C.UTF-8');
    assert.equal(p.env['SANDTRAY_NAME'], 'box');
    const leaked = Object.entries(p.env).filter(([, v]) => v.includes('leak'));
    assert.deepEqual(leaked, [], 'no host value is in the sandbox\'s environment');
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
  // Control: a plain locale name is taken from the host.
  const lang = process.env['LANG'];
  process.env['LANG'] = 'de_DE.UTF-8';
  try {
    assert.equal(plan('').env['LANG'], 'de_DE.UTF-8');
  } finally {
    if (lang === undefined) delete process.env['LANG'];
    else process.env['LANG'] = lang;
  }
});

test('no environment value is on a command line: bwrap and the enter step get a fixed one, the sandbox its own through a descriptor', async () => {
  const { HOST_ENV } = await import('../../helpers/plan/build.js');
  const p = plan('env: {LD_PRELOAD: /x.so, API_TOKEN: s3cret}');
  const i = p.argv.indexOf('--clearenv');
  assert.ok(i > 0 && i < p.argv.indexOf('--'));
  // Only PATH is set for bwrap's child (the enter step), a fixed value: no LANG, no locale to load.
  const set = p.argv.flatMap((a, j) => (a === '--setenv' ? [p.argv[j + 1]] : []));
  assert.deepEqual(set, ['PATH']);
  assert.ok(!p.argv.some((a) => a.includes('s3cret') || a.includes('/x.so')), 'no profile value in argv');
  assert.equal(p.env['API_TOKEN'], 's3cret');
  assert.deepEqual(Object.keys(HOST_ENV).sort(), ['LANG', 'PATH']);
});

test('the launch step: perl with its options, then the holders argv, then bwrap argv, and no profile value', async () => {
  const { launchStepArgv, LAUNCH_STEP_SCRIPT } = await import('../../helpers/runtime/launch-step.js');
  const p = plan('env: {TOKEN: "s3cret"}');
  const holders = p.holders;
  const bwrap = ['/usr/bin/bwrap', '--args', '7', ...p.argv.slice(p.argv.indexOf('--'))];
  const argv = launchStepArgv({
    perl: '/usr/bin/perl', arch: 'x86_64', closeRange: 436, close: 3, unshare: 272, dup3: 292, openat: 257, report: 12, outerFd: 5, innerFd: 6, writer: 'newuidmap',
    outerMap: map, newuidmap: '/usr/bin/newuidmap', newgidmap: '/usr/bin/newgidmap', holders, bwrap,
  });
  assert.deepEqual(argv.slice(0, 3), ['/usr/bin/perl', '-e', LAUNCH_STEP_SCRIPT]);
  const sep = argv.indexOf('--', 4);
  assert.ok(argv.slice(4, sep).includes(`nholder=${holders.length}`));
  assert.ok(argv.slice(4, sep).includes('dup3=292'));
  assert.ok(argv.slice(4, sep).includes('unshare=272'));
  assert.ok(argv.slice(4, sep).includes('uids=0 1000 1 1 100000 65535'));
  assert.deepEqual(argv.slice(sep + 1, sep + 1 + holders.length), holders);
  assert.deepEqual(argv.slice(sep + 1 + holders.length), bwrap);
  assert.ok(!argv.join('\0').includes('s3cret'), 'the environment never reaches a command line');
});

test('run\'s plan: the command is pid 1\'s payload, in the working directory; without one, the profile\'s command', () => {
  const { profile } = expandLayers('box', [{ origin: 'p', layer: parseLayer('apiVersion: sandtray/v1\nworkdir: /srv\ncommand: [top]\n', 'p') }]);
  const given = buildPlan('box', profile, planInputs(profile, map), facts, dirs, { payload: { argv: ['make', 'test'] } });
  assert.deepEqual(given.argv.slice(-3), ['--', 'make', 'test']);
  assert.ok(given.argv.includes('payload=1') && given.argv.includes('pdeath=1') && given.argv.includes('chdir=/srv'));
  assert.ok(!given.argv.some((o) => o.startsWith('init=')), 'no init: the command is pid 1\'s child');
  assert.ok(given.argv.includes(`envfd=${LAUNCH_FDS.env}`));
  const dflt = buildPlan('box', profile, planInputs(profile, map), facts, dirs, { payload: { argv: null } });
  assert.deepEqual(dflt.argv.slice(-2), ['--', 'top']);
  assert.ok(!plan('').argv.includes('payload=1'));
});
