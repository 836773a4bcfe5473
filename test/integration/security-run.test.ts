// The boundary of a one-off sandbox (`run`, whose pid 1 runs the command as its payload) is that
// of a started one: capabilities, no_new_privs and the filter in pid 1 and the command, locked
// mounts, no nesting, no host descriptor beyond stdio, stdio relayed rather than handed over.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { capMask, DEFAULT_CAPS } from '../../helpers/confine/caps.js';
import { BIN, LEAKED, runLeaking, sandtrayEnv, writeProfile } from '../lib/sandtray.js';

const T = { timeout: 120_000 };
const e = sandtrayEnv('secrun');
after(() => e.cleanup());

function statusField(text: string, field: string): string {
  return new RegExp(`^${field}:\\s*(\\S+)`, 'm').exec(text)?.[1] ?? '';
}


test('positive control: entering a user namespace grants every capability in it, and nests', T, async () => {
  const r = await execa('unshare', ['-Ur', 'sh', '-c', 'grep ^CapEff: /proc/self/status; unshare --user true && echo nested']);
  assert.ok(BigInt(`0x${statusField(r.stdout, 'CapEff')}`) >= 0x1ffffffffffn, r.stdout);
  assert.match(r.stdout, /^nested$/m);
});

test('run: pid 1 and the command hold the default capability set, no_new_privs and the filter; no nesting', T, async () => {
  const [lo, hi] = capMask(DEFAULT_CAPS);
  const want = ((BigInt(hi) << 32n) | BigInt(lo)).toString(16).padStart(16, '0');
  const r = await e.run(['run', '--', 'sh', '-c', 'cat /proc/1/status; echo ---; cat /proc/self/status; echo ---; unshare --user true 2>/dev/null && echo NESTED || echo no-nesting']);
  assert.equal(r.exitCode, 0, r.stderr);
  const [init, self, nest] = r.stdout.split('---\n');
  for (const [who, text] of [['pid 1', init!], ['command', self!]] as const) {
    for (const f of ['CapEff', 'CapPrm', 'CapBnd']) assert.equal(statusField(text, f), want, `${who} ${f}`);
    assert.equal(statusField(text, 'CapAmb'), '0000000000000000', `${who} CapAmb`);
    assert.equal(statusField(text, 'NoNewPrivs'), '1', `${who} NoNewPrivs`);
    assert.equal(statusField(text, 'Seccomp'), '2', `${who} Seccomp`);
    assert.equal(statusField(text, 'Uid'), '0', `${who} is root inside`);
  }
  assert.equal(nest!.trim(), 'no-nesting');
});

test('run: every mount from the host stays locked, even for root inside with CAP_SYS_ADMIN', T, async () => {
  const roDir = fs.mkdtempSync(path.join(e.dir, 'ro-'));
  fs.writeFileSync(path.join(roDir, 'keep'), 'original\n');
  const p = writeProfile(e, 'admin', `apiVersion: sandtray/v1\ncapabilities: [SYS_ADMIN]\nmounts:\n  - {source: ${roDir}, target: /ro}\n`);
  // Positive control: the capability acts (a mount namespace of its own takes a tmpfs).
  const own = await e.run(['run', '--profile', p, '--', 'unshare', '-m', 'sh', '-c', 'mount -t tmpfs probe /tmp && echo mounted']);
  assert.match(own.stdout, /^mounted$/m, own.stderr);
  const r = await e.run(['run', '--profile', p, '--', 'sh', '-c', 'mount -o remount,bind,rw /ro 2>/dev/null && echo GAVE-ro; mount -o remount,bind,rw /usr 2>/dev/null && echo GAVE-usr; umount /ro 2>/dev/null && echo GAVE-umount; echo original-kept > /ro/keep 2>/dev/null || echo write-refused']);
  assert.equal(r.exitCode, 0, r.stderr);
  assert.doesNotMatch(r.stdout, /GAVE/);
  assert.match(r.stdout, /write-refused/);
  assert.equal(fs.readFileSync(path.join(roDir, 'keep'), 'utf8'), 'original\n');
});

test('run: no host descriptor beyond stdio reaches pid 1 or the command', T, async () => {
  // Positive control: a descriptor handed over this way does reach what a node process starts.
  const ctl = await runLeaking(e, [], [process.execPath, '-e', "require('child_process').execFileSync('sh', ['-c', 'readlink /proc/self/fd/40'], {stdio: ['ignore', 'inherit', 'inherit']})"]);
  assert.match(ctl.stdout, new RegExp(LEAKED.name), ctl.stderr);
  const r = await runLeaking(e, ['run', '--', 'sh', '-c', 'ls /proc/1/fd; echo ---; ls /proc/$$/fd; echo ---; for f in /proc/1/fd/* /proc/$$/fd/*; do readlink $f || true; done']);
  assert.equal(r.exitCode, 0, r.stderr);
  const [initFds, selfFds, targets] = r.stdout.split('---\n').map((s) => s.split('\n').filter(Boolean)) as [string[], string[], string[]];
  assert.deepEqual(initFds.map(Number), [0, 1, 2]);
  assert.ok(selfFds.map(Number).filter((fd) => fd > 2).length <= 1, `command fds: ${selfFds}`);
  assert.ok(!targets.some((t) => t.includes(LEAKED.name)), `the host file is not open inside: ${targets}`);
  // stdio are the CLI's relay (socket pairs, as Node makes pipes), never the caller's own files.
  assert.ok(targets.slice(0, 3).every((t) => /^(pipe|socket):/.test(t)), `pid 1's stdio: ${targets.slice(0, 3)}`);
});

test('run relays a file on stdin: the command reads it but cannot reopen it to overwrite it', T, async () => {
  const content = 'line one\nline two\n';
  const cmd = 'cat; echo pwned > /proc/self/fd/0; readlink /proc/self/fd/0 >&2';
  const sh = (script: string) => execa('sh', ['-c', script], { cwd: e.dir, env: e.env, extendEnv: false, reject: false, stripFinalNewline: false });
  // Positive control: on the host the same command, with the same redirection, overwrites the file.
  fs.writeFileSync(path.join(e.dir, 'control.txt'), content);
  await sh(`sh -c '${cmd}' < control.txt`);
  assert.equal(fs.readFileSync(path.join(e.dir, 'control.txt'), 'utf8'), 'pwned\n');
  fs.writeFileSync(path.join(e.dir, 'input.txt'), content);
  const r = await sh(`'${process.execPath}' '${BIN}' run -- sh -c '${cmd}' < input.txt`);
  assert.equal(String(r.stdout), content, 'the command still reads the input');
  assert.equal(fs.readFileSync(path.join(e.dir, 'input.txt'), 'utf8'), content, 'the input file is unchanged');
  assert.ok(!String(r.stderr).includes('input.txt'), `fd 0 is not the caller's file: ${String(r.stderr)}`);
});
