// The launch step closes every descriptor it was not given for bwrap before it becomes bwrap, so
// the engine may skip the bash step that closes inherited descriptors: one opened without
// close-on-exec by another thread between that check and the spawn still never reaches pid 1.
// The real step runs here, with its real user namespace holders (mapping only our own ids, which
// needs no helper) and a shell in bwrap's place that reports which descriptors it holds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type StdioOptions } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { launchStepArgv } from '../../helpers/runtime/launch-step.js';
import { seccompArch, syscallNumber } from '../../helpers/confine/seccomp.js';
import { usernsArgv } from '../../helpers/idmap/userns.js';

const uid = process.getuid!();
const gid = process.getgid!();
const own = { uid: [{ inside: uid, outside: uid, count: 1 }], gid: [{ inside: gid, outside: gid, count: 1 }] };
const HOLDERS = usernsArgv({ uid: [{ inside: 0, outside: uid, count: 1 }], gid: [{ inside: 0, outside: gid, count: 1 }] }, { nesting: false });

test('a descriptor above the ones bwrap is given never reaches it; the ones below do', { timeout: 30_000 }, async () => {
  const arch = seccompArch();
  assert.ok(arch, 'x86_64 or aarch64');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sandtray-step-'));
  try {
    const given = path.join(dir, 'given');
    const stray = path.join(dir, 'stray');
    fs.writeFileSync(given, '');
    fs.writeFileSync(stray, 'a host file the sandbox must not get\n');
    const givenFd = fs.openSync(given, 'r');
    const strayFd = fs.openSync(stray, 'r');
    const report = 9;
    // bwrap's stand-in: which of fd 6 (given, below report) and fd 20 (stray, above it) it holds.
    const bwrap = ['/bin/sh', '-c', 'for f in 6 20; do if [ -e /proc/self/fd/$f ]; then echo "$f open"; else echo "$f closed"; fi; done'];
    const argv = launchStepArgv({
      perl: '/usr/bin/perl', arch, closeRange: syscallNumber(arch, 'close_range'), close: syscallNumber(arch, 'close'), unshare: syscallNumber(arch, 'unshare'), dup3: syscallNumber(arch, 'dup3'), openat: syscallNumber(arch, 'openat'),
      report, outerFd: 7, innerFd: 8, writer: 'write-own', outerMap: own, newuidmap: null, newgidmap: null, holders: HOLDERS, bwrap,
    });
    const stdio: StdioOptions = ['ignore', 'pipe', 'pipe', 'ignore', 'ignore', 'ignore', givenFd, 'ignore', 'ignore', 'pipe'];
    for (let i = stdio.length; i < 20; i++) stdio.push('ignore');
    stdio.push(strayFd);
    const child = spawn(argv[0]!, argv.slice(1), { stdio });
    fs.closeSync(givenFd);
    fs.closeSync(strayFd);
    let out = '';
    let err = '';
    let said = '';
    child.stdout!.on('data', (d: Buffer) => (out += d));
    child.stderr!.on('data', (d: Buffer) => (err += d));
    const rep = (child.stdio as unknown as NodeJS.ReadableStream[])[report]!;
    rep.on('data', (d: Buffer) => (said += d));
    const code = await new Promise<number | null>((resolve) => child.once('close', (c) => resolve(c)));
    assert.equal(said, 'ok\n', `the step reached bwrap (report: ${said}; stderr: ${err})`);
    assert.equal(code, 0, err);
    // The positive control: a descriptor handed over on purpose is there, so the check can see one.
    assert.match(out, /^6 open$/m);
    assert.match(out, /^20 closed$/m, 'the stray descriptor was closed before bwrap');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('ready: the report socket becomes bwrap\'s stdin, and a line written there reaches the engine after "ok"', { timeout: 30_000 }, async () => {
  const arch = seccompArch();
  assert.ok(arch, 'x86_64 or aarch64');
  const report = 9;
  // bwrap's stand-in does what the init script does once its handler is in place, then says what its stdin was.
  const bwrap = ['/bin/sh', '-c', 'printf "r\\n" >&0; exec </dev/null; readlink /proc/self/fd/0'];
  const args = (ready: boolean): string[] => launchStepArgv({
    perl: '/usr/bin/perl', arch, closeRange: syscallNumber(arch, 'close_range'), close: syscallNumber(arch, 'close'), unshare: syscallNumber(arch, 'unshare'), dup3: syscallNumber(arch, 'dup3'), openat: syscallNumber(arch, 'openat'),
    report, outerFd: 7, innerFd: 8, writer: 'write-own', outerMap: own, newuidmap: null, newgidmap: null, holders: HOLDERS, bwrap, ready,
  });
  const run = async (ready: boolean): Promise<{ said: string; out: string; err: string }> => {
    const argv = args(ready);
    const stdio: StdioOptions = ['ignore', 'pipe', 'pipe', 'ignore', 'ignore', 'ignore', 'ignore', 'ignore', 'ignore', 'pipe'];
    const child = spawn(argv[0]!, argv.slice(1), { stdio });
    let out = '';
    let err = '';
    let said = '';
    child.stdout!.on('data', (d: Buffer) => (out += d));
    child.stderr!.on('data', (d: Buffer) => (err += d));
    (child.stdio as unknown as NodeJS.ReadableStream[])[report]!.on('data', (d: Buffer) => (said += d));
    await new Promise<void>((resolve) => child.once('close', () => resolve()));
    return { said, out, err };
  };
  const withReady = await run(true);
  assert.equal(withReady.said, 'ok\nr\n', withReady.err);
  assert.equal(withReady.out.trim(), '/dev/null', 'stdin is /dev/null again afterwards');
  // Without it (a one-off), the socket is closed before bwrap: the same line goes nowhere.
  const without = await run(false);
  assert.equal(without.said, 'ok\n', without.err);
});
