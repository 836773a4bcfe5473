// Attach (shell, exec) and the inspection commands, on a running sandbox.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { BIN, PROFILES, sandtrayEnv } from '../lib/sandtray.js';

const e = sandtrayEnv('attach');
before(async () => {
  await e.ok(['launch', 'dev', '--profile', path.join(PROFILES, 'dev.sandtray'), '--set', 'env.COLOR=blue']);
});
after(() => e.cleanup());

/** Runs a sandtray command on a real terminal (script gives it one) with the given keystrokes. */
async function onTerminal(args: string, input: string) {
  const r = await execa('script', ['--quiet', '--return', '--command', `node ${BIN} ${args}`, '/dev/null'], {
    env: { ...e.env, SHELL: '/bin/sh', TERM: 'xterm' }, extendEnv: false, reject: false, input, timeout: 30_000,
  });
  return { out: String(r.stdout), code: r.exitCode };
}

test('exec passes stdin, stdout, stderr, environment and the exit code', async () => {
  const r = await e.run(['exec', 'dev', '--env', 'EXTRA=1', '--', 'sh', '-c', 'read x; echo "got:$x $COLOR $EXTRA $EDITOR"; echo oops >&2; exit 42'], { input: 'hello\n' });
  assert.equal(r.exitCode, 42);
  assert.equal(r.stdout.trim(), 'got:hello blue 1 vi');
  assert.equal(r.stderr.trim(), 'oops');
  const missing = await e.run(['exec', 'dev', '--', 'no-such-command-xyz']);
  assert.equal(missing.exitCode, 127);
  const bad = await e.run(['exec', 'dev', '--env', 'not valid', '--', 'true']);
  assert.notEqual(bad.exitCode, 0);
  assert.match(bad.stderr, /expected NAME=VALUE/);
});

test('the host environment does not leak into the sandbox', async () => {
  const r = await e.run(['exec', 'dev', '--', 'env'], { env: { ...e.env, SANDTRAY_HOST_ONLY: 'x' } });
  assert.doesNotMatch(r.stdout, /SANDTRAY_HOST_ONLY|XDG_DATA_HOME/);
  assert.match(r.stdout, /^SANDTRAY_NAME=dev$/m);
  assert.match(r.stdout, /^HOME=\/root$/m);
});

test('the dev profile binds the project folder writable at /work, which is the working directory', async () => {
  const r = await e.run(['exec', 'dev', '--', 'sh', '-c', 'pwd; test -f /work/package.json && echo project; touch /usr/x 2>/dev/null || echo usr-ro']);
  assert.deepEqual(r.stdout.split('\n'), ['/work', 'project', 'usr-ro']);
});

test('shell opens a login shell on a new terminal, with a prompt naming the sandbox; several at once', async () => {
  const [a, b] = await Promise.all([
    onTerminal('shell dev', 'echo one-$((40+2))\nexit 5\n'),
    onTerminal('shell dev', 'tty; exit\n'),
  ]);
  assert.match(a.out, /\[sandtray dev\] root@dev:\/work# /);
  assert.match(a.out, /one-42/);
  assert.equal(a.code, 5);
  assert.match(b.out, /\/dev\/pts\/\d+/);
});

test('ps, pid and pid - map host pids to the sandbox', async () => {
  const ps = JSON.parse(await e.ok(['ps', 'dev', '--json'])) as { hostPid: number; pid: number; uid: number; command: string }[];
  const init = ps.find((p) => p.pid === 1);
  assert.ok(init);
  assert.equal(init.uid, 0);
  assert.match(init.command, /sandtray-init/);
  const table = await e.ok(['ps', 'dev']);
  assert.match(table, /^HOSTPID\s+PID\s+UID\s+COMMAND/);
  const hit = JSON.parse(await e.ok(['pid', String(init.hostPid), '--json']));
  assert.deepEqual(hit, [{ hostPid: init.hostPid, sandbox: 'dev', pid: 1 }]);
  const fromStdin = await e.run(['pid', '-'], { input: `${init.hostPid}\n${process.pid}\n` });
  assert.equal(fromStdin.exitCode, 1, 'one of the pids is not in a sandbox');
  assert.match(fromStdin.stdout, new RegExp(`${init.hostPid}\\s+dev\\s+1`));
  assert.match(fromStdin.stdout, new RegExp(`${process.pid}\\s+\\(host or unknown\\)`));
});

test('info shows the expanded profile with the origin of each value', async () => {
  const info = JSON.parse(await e.ok(['info', 'dev', '--json']));
  assert.equal(info.profile.hostname, 'dev');
  assert.match(info.origins['hostname'], /profile .*dev\.sandtray/);
  assert.equal(info.origins['env.COLOR'], 'sandbox overrides');
  assert.equal(info.origins['idmap.mode'], 'default');
  assert.equal(info.idmap.uid[0].outside, process.getuid!());
  assert.ok(info.mounts.some((m: { target: string }) => m.target === '/work'));
  const text = await e.ok(['info', 'dev']);
  assert.match(text, /env\.COLOR: blue {2}<- sandbox overrides/);
  assert.match(text, /Namespaces:\n {2}user +\d+/);
});

test('assets lists every file and process of the sandbox and checks them', async () => {
  const assets = JSON.parse(await e.ok(['assets', 'dev', '--json'])) as { type: string; path: string; valid: boolean }[];
  assert.ok(assets.every((a) => a.valid), JSON.stringify(assets.filter((a) => !a.valid)));
  assert.ok(assets.some((a) => a.type === 'process' && a.valid));
  assert.ok(assets.some((a) => a.path.endsWith('sandbox.json')));
  const home = assets.find((a) => a.path.endsWith('/home'))!;
  fs.renameSync(home.path, `${home.path}.moved`);
  try {
    const broken = await e.run(['assets', 'dev']);
    assert.equal(broken.exitCode, 1);
    assert.match(broken.stdout, /NO \(missing\)/);
  } finally {
    fs.renameSync(`${home.path}.moved`, home.path);
  }
});

test('log shows lifecycle events and the path', async () => {
  const p = (await e.ok(['log', 'dev', '--path'])).trim();
  assert.ok(path.isAbsolute(p));
  assert.ok(fs.existsSync(p));
  const log = await e.ok(['log', 'dev']);
  assert.match(log, /sandtray: starting/);
  assert.match(log, /sandtray: running, pid 1 is host pid \d+/);
});

test('plan shows what start would run without running it', async () => {
  const text = await e.ok(['plan', 'dev']);
  assert.match(text, /Namespaces: user, mount, uts, ipc, pid, cgroup, net/);
  assert.match(text, /bind +\/.* -> \/work/);
  // The holders' part (the launch step forks them): the nesting limit, then the uid and gid maps.
  assert.match(text, /Command lines .*:\n +sandtray-userns 1 '0 \d+ 1( \d+ \d+ \d+)*' '0 \d+ 1( \d+ \d+ \d+)*'\n +bwrap --userns 5 .*--unshare-pid .*perl -e '<sandtray-enter script>'/);
  assert.match(text, /Root inside holds: CHOWN, DAC_OVERRIDE/);
  const plan = JSON.parse(await e.ok(['plan', 'dev', '--json']));
  assert.ok(Array.isArray(plan.argv));
  assert.equal(plan.hostname, 'dev');
});

test('doctor passes on this host and explains itself', async () => {
  const r = await e.run(['doctor', '--json']);
  const checks = JSON.parse(r.stdout) as { id: string; ok: boolean; detail: string }[];
  assert.equal(r.exitCode, 0, JSON.stringify(checks.filter((c) => !c.ok)));
  for (const id of ['userns.create', 'tool.bwrap', 'tool.newuidmap', 'subid.uid', 'subid.gid', 'userns.apparmor', 'userns.max', 'dev.tun', 'tool.pasta']) {
    assert.ok(checks.some((c) => c.id === id), id);
  }
});
