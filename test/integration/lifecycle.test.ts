// Lifecycle of real sandboxes, driven through the CLI as an unprivileged user.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { BIN, sandtrayEnv, PROFILES, writeProfile } from '../lib/sandtray.js';

const e = sandtrayEnv('life');
after(() => e.cleanup());

interface Listed { name: string; state: string; pid: number | null }
async function listed(): Promise<Listed[]> {
  return JSON.parse(await e.ok(['list', '--json'])) as Listed[];
}
async function stateOf(name: string): Promise<string | undefined> {
  return (await listed()).find((s) => s.name === name)?.state;
}

test('create, start, stop, restart and delete round trip', async () => {
  await e.ok(['create', 'round', '--profile', path.join(PROFILES, 'shell.sandtray')]);
  assert.equal(await stateOf('round'), 'STOPPED');
  const out = await e.ok(['start', 'round']);
  assert.match(out, /Started round \(pid \d+\)/);
  assert.equal(await stateOf('round'), 'RUNNING');
  const info = JSON.parse(await e.ok(['info', 'round', '--json']));
  assert.equal(info.state, 'RUNNING');
  assert.ok(info.pid > 1);
  for (const ns of ['user', 'mnt', 'uts', 'ipc', 'pid', 'net']) assert.ok(info.namespaces[ns] > 0, ns);
  assert.ok(info.uptimeSec >= 0);
  assert.ok(info.pids.some((p: { inside: number }) => p.inside === 1));
  const firstPid = info.pid;
  await e.ok(['restart', 'round']);
  const again = JSON.parse(await e.ok(['info', 'round', '--json']));
  assert.equal(again.state, 'RUNNING');
  assert.notEqual(again.pid, firstPid);
  assert.match(await e.ok(['stop', 'round']), /Stopped round/);
  assert.equal(await stateOf('round'), 'STOPPED');
  assert.ok(!fs.existsSync(path.join(e.env['XDG_RUNTIME_DIR']!, 'sandtray', 'round')), 'runtime directory removed');
  await e.ok(['delete', 'round']);
  assert.equal(await stateOf('round'), undefined);
  assert.ok(!fs.existsSync(path.join(e.env['XDG_DATA_HOME']!, 'sandtray', 'sandboxes', 'round')));
});

test('launch, several names at once, and delete --force of a running sandbox', async () => {
  await e.ok(['launch', 'multi-a']);
  await e.ok(['create', 'multi-b']);
  await e.ok(['start', 'multi-b']);
  assert.deepEqual((await listed()).filter((s) => s.name.startsWith('multi-')).map((s) => s.state), ['RUNNING', 'RUNNING']);
  const refused = await e.run(['delete', 'multi-a']);
  assert.notEqual(refused.exitCode, 0);
  assert.match(refused.stderr, /is RUNNING/);
  assert.match(refused.stderr, /hint: .*--force/);
  await e.ok(['stop', 'multi-a', 'multi-b']);
  await e.ok(['start', 'multi-a']);
  await e.ok(['delete', '--force', 'multi-a', 'multi-b']);
  assert.equal((await listed()).filter((s) => s.name.startsWith('multi-')).length, 0);
});

test('stop sends SIGTERM and waits; --timeout then kills a process that ignores it', async () => {
  await e.ok(['launch', 'stubborn']);
  // A process that ignores TERM keeps pid 1 waiting until the timeout's SIGKILL.
  await e.ok(['exec', 'stubborn', '--', 'sh', '-c', "trap '' TERM; setsid sh -c \"trap '' TERM; sleep 300\" >/dev/null 2>&1 & exit 0"]);
  const t0 = Date.now();
  const out = await e.ok(['stop', '--timeout', '1', 'stubborn']);
  assert.match(out, /killed after 1s/);
  assert.ok(Date.now() - t0 >= 900);
  assert.equal(await stateOf('stubborn'), 'STOPPED');
  await e.ok(['start', 'stubborn']);
  assert.match(await e.ok(['stop', '--force', 'stubborn']), /Stopped stubborn/);
  await e.ok(['delete', 'stubborn']);
});

test('state is right after kill -9 of the init and after a recycled pid', async () => {
  await e.ok(['launch', 'victim']);
  const { pid } = JSON.parse(await e.ok(['info', 'victim', '--json']));
  process.kill(pid, 'SIGKILL');
  for (let i = 0; i < 50 && (await stateOf('victim')) !== 'STOPPED'; i++) await sleep(50);
  assert.equal(await stateOf('victim'), 'STOPPED');
  const stopAgain = await e.run(['stop', 'victim']);
  assert.notEqual(stopAgain.exitCode, 0);
  assert.match(stopAgain.stderr, /not running/);
  // Starting again works and clears what the killed sandbox left.
  await e.ok(['start', 'victim']);
  assert.equal(await stateOf('victim'), 'RUNNING');

  // Recycled pid: point the record at a live process of ours with another start time.
  const stateFile = path.join(e.env['XDG_RUNTIME_DIR']!, 'sandtray', 'victim', 'state.json');
  const rt = JSON.parse(fs.readFileSync(stateFile, 'utf8'));
  const real = rt.init;
  const impostor = spawn('sleep', ['30'], { stdio: 'ignore' });
  try {
    await sleep(50);
    const stat = fs.readFileSync(`/proc/${impostor.pid}/stat`, 'utf8');
    const start = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
    fs.writeFileSync(stateFile, JSON.stringify({ ...rt, init: { pid: impostor.pid, start: start + 1 } }));
    assert.equal(await stateOf('victim'), 'STOPPED', 'same pid, other start time: not our sandbox');
    fs.writeFileSync(stateFile, JSON.stringify({ ...rt, init: { pid: impostor.pid, start } }));
    assert.equal(await stateOf('victim'), 'RUNNING', 'pid and start time match');
  } finally {
    impostor.kill('SIGKILL');
    fs.writeFileSync(stateFile, JSON.stringify(rt));
  }
  assert.equal(real.pid, JSON.parse(fs.readFileSync(stateFile, 'utf8')).init.pid);
  await e.ok(['delete', '--force', 'victim']);
});

test('run executes one command in a throw-away sandbox and passes the exit code', async () => {
  const r = await e.run(['run', '--', 'sh', '-c', 'echo "inside $(hostname)"; exit 3']);
  assert.equal(r.exitCode, 3);
  assert.match(r.stdout, /^inside run-[0-9a-f]{8}$/m);
  const p = writeProfile(e, 'runp', 'apiVersion: sandtray/v1\nhostname: runner\nenv: {GREETING: hello}\n');
  const r2 = await e.run(['run', '--profile', p, '--', 'sh', '-c', 'echo "$GREETING from $(hostname)"']);
  assert.equal(r2.exitCode, 0);
  assert.equal(r2.stdout.trim(), 'hello from runner');
  assert.equal((await listed()).filter((s) => s.name.startsWith('run-')).length, 0, 'nothing left behind');
});

test('wait and monitor follow state changes', { timeout: 150_000 }, async () => {
  const monitor = spawn(process.execPath, [BIN, 'monitor', '^watched$'], { env: e.env, stdio: ['ignore', 'pipe', 'inherit'] });
  let lines = '';
  monitor.stdout.on('data', (d) => (lines += String(d)));
  /** Waits (bounded) until monitor has printed a line matching re at or after offset from. */
  const printed = async (re: RegExp, from: number, ms: number): Promise<boolean> => {
    for (const deadline = Date.now() + ms; !re.test(lines.slice(from)) && Date.now() < deadline && monitor.exitCode === null; ) await sleep(50);
    return re.test(lines.slice(from));
  };
  try {
    // Ready when monitor reports the sandbox being made: it prints nothing at start, and a sandbox
    // made before its watches were set is not reported (until the slow safety poll), so each try
    // makes it anew (bounded). Only then is the start below sure to be seen.
    let ready = false;
    for (let i = 0; i < 10 && !ready; i++) {
      if (await stateOf('watched')) await e.ok(['delete', 'watched']);
      const from = lines.length;
      await e.ok(['create', 'watched']);
      ready = await printed(/watched STOPPED/, from, 3_000);
    }
    assert.ok(ready, `monitor reported none of the creations of the sandbox: ${lines}`);
    const from = lines.length;
    const waiter = e.run(['wait', 'watched', '--state', 'RUNNING', '--timeout', '60']);
    await sleep(100);
    await e.ok(['start', 'watched']);
    assert.equal((await waiter).exitCode, 0);
    await e.ok(['stop', 'watched']);
    const timeout = await e.run(['wait', 'watched', '--state', 'RUNNING', '--timeout', '0.3']);
    assert.notEqual(timeout.exitCode, 0);
    assert.match(timeout.stderr, /did not reach RUNNING/);
    assert.ok(await printed(/watched RUNNING[^]*watched STOPPED/, from, 30_000), `monitor reported the start, then the stop: ${lines}`);
  } finally {
    monitor.kill('SIGTERM');
  }
  await e.ok(['delete', 'watched']);
});

test('monitor survives runtime directories that appear and vanish at once (a failed start)', { timeout: 150_000 }, async () => {
  const monitor = spawn(process.execPath, [BIN, 'monitor'], { env: e.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  monitor.stdout.on('data', (d) => (out += String(d)));
  monitor.stderr.on('data', (d) => (err += String(d)));
  const exited = new Promise<string>((resolve) => monitor.once('exit', (code, signal) => resolve(`monitor exited (${code ?? signal})`)));
  /** Resolves when monitor has printed a line matching re; fails if it exits first or after ms. */
  const reported = async (re: RegExp, ms: number): Promise<boolean> => {
    let timer: NodeJS.Timeout | undefined;
    let onData: (() => void) | undefined;
    const seen = new Promise<true>((resolve) => {
      onData = () => re.test(out) && resolve(true);
      monitor.stdout.on('data', onData);
      onData();
    });
    const late = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
    try {
      const r = await Promise.race([seen, late, exited]);
      if (typeof r === 'string') assert.fail(`${r} before it reported ${re}: ${err}`);
      return r;
    } finally {
      clearTimeout(timer);
      monitor.stdout.off('data', onData!);
    }
  };
  try {
    // Ready when it reports a sandbox made after it started; one made before its watches were set
    // is never reported, so each try makes a new one (bounded).
    let ready = false;
    for (let i = 0; i < 10 && !ready; i++) {
      await e.ok(['create', `flashready${i}`]);
      ready = await reported(new RegExp(`flashready${i} STOPPED`), 3_000);
    }
    assert.ok(ready, `monitor reported none of the sandboxes made after it started: ${out} ${err}`);
    const rt = path.join(e.env['XDG_RUNTIME_DIR']!, 'sandtray');
    for (let i = 0; i < 50; i++) {
      const d = path.join(rt, `flash-${i}`);
      fs.mkdirSync(d);
      fs.writeFileSync(path.join(d, 'state.json'), '{}');
      fs.rmSync(d, { recursive: true });
      if (i % 10 === 0) await sleep(5);
    }
    // Still running and still reporting: a sandbox made after the flashes shows up.
    await e.ok(['create', 'afterflash']);
    assert.ok(await reported(/afterflash STOPPED/, 30_000), `monitor did not report a sandbox made after the flashes: ${out} ${err}`);
    assert.equal(monitor.exitCode, null, `monitor is still running: ${err}`);
    assert.doesNotMatch(err, /ENOENT|uncaught/i);
  } finally {
    monitor.kill('SIGTERM');
    await Promise.race([exited, sleep(10_000)]);
    for (const n of (await listed()).map((s) => s.name).filter((n) => /^(flashready\d+|afterflash)$/.test(n))) await e.ok(['delete', n]);
  }
});
