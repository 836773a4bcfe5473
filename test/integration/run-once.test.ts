// `run`: one command in a one-off sandbox, its payload; stdio, exit code and signals pass through,
// and nothing is left behind: not after success, not after failure, not when the CLI is killed.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { execa } from 'execa';
import { setTimeout as sleep } from 'node:timers/promises';
import { BIN, pidsWithMarker, sandtrayEnv, writeProfile } from '../lib/sandtray.js';

const e = sandtrayEnv('runonce');
after(() => e.cleanup());
const T = { timeout: 90_000 };

const runs = (): string[] => {
  try {
    return fs.readdirSync(path.join(e.env['XDG_RUNTIME_DIR']!, 'sandtray', '.runs'));
  } catch {
    return [];
  }
};
const leases = (): string => {
  try {
    return fs.readFileSync(path.join(e.env['XDG_DATA_HOME']!, 'sandtray', 'idmap-leases.json'), 'utf8');
  } catch {
    return '';
  }
};

/** Nothing of any run is left: no folder, no record, no process carrying the marker. */
async function nothingLeft(marker: string): Promise<void> {
  for (let i = 0; i < 400 && pidsWithMarker(marker).length; i++) await sleep(50);
  assert.deepEqual(pidsWithMarker(marker), [], `no process with ${marker} left`);
  assert.deepEqual(runs(), [], 'no run folder left');
  assert.equal(JSON.parse(await e.ok(['list', '--json'])).length, 0, 'no sandbox record');
  assert.doesNotMatch(leases(), /run-[0-9a-f]{8}/, 'no id lease left');
}

test('run passes the exit code, and a command that is not found is 127', T, async () => {
  assert.equal((await e.run(['run', '--', 'sh', '-c', 'exit 0'])).exitCode, 0);
  assert.equal((await e.run(['run', '--', 'sh', '-c', 'exit 42'])).exitCode, 42);
  const nf = await e.run(['run', '--', 'no-such-command-here']);
  assert.equal(nf.exitCode, 127);
  assert.match(nf.stderr, /cannot run no-such-command-here/);
  // A command killed by a signal: 128 + its number, as a shell reports it.
  assert.equal((await e.run(['run', '--', 'sh', '-c', 'kill -TERM $$'])).exitCode, 143);
  await nothingLeft('run-marker-none');
});

test('run relays stdin to the command and its stdout and stderr back, binary data unchanged', T, async () => {
  const data = Buffer.from(Array.from({ length: 70_000 }, (_, i) => (i * 7) % 256));
  const child = spawn(process.execPath, [BIN, 'run', '--', 'sh', '-c', 'cat; echo to-stderr >&2'], { env: e.env, stdio: ['pipe', 'pipe', 'pipe'] });
  const out: Buffer[] = [];
  let err = '';
  child.stdout.on('data', (d: Buffer) => out.push(d));
  child.stderr.on('data', (d) => (err += String(d)));
  const exited = new Promise<number | null>((resolve) => child.once('close', (c) => resolve(c)));
  child.stdin.end(data);
  assert.equal(await exited, 0, err);
  assert.ok(Buffer.concat(out).equals(data), 'stdout is stdin, byte for byte');
  assert.match(err, /to-stderr/);
  // The command sees the end of its input, and the sandbox is the profile's: a working directory,
  // the environment, the hostname, no capabilities beyond the default, nesting refused.
  const p = writeProfile(e, 'runenv', 'apiVersion: sandtray/v1\nhostname: oneoff\nenv: {GREETING: hi}\nworkdir: /tmp\n');
  const r2 = await e.run(['run', '--profile', p, '--', 'sh', '-c', 'wc -c; echo "$GREETING $(hostname) $(pwd)"; unshare --user true 2>/dev/null && echo nested || echo no-nesting'], { input: 'abc' });
  assert.equal(r2.exitCode, 0, r2.stderr);
  assert.deepEqual(r2.stdout.trim().split('\n'), ['3', 'hi oneoff /tmp', 'no-nesting']);
  await nothingLeft('run-marker-none');
});

test('run forwards SIGINT and SIGTERM to the command and exits with its status', T, async () => {
  for (const [sig, code] of [['SIGINT', 7], ['SIGTERM', 9]] as const) {
    const child = spawn(process.execPath, [BIN, 'run', '--', 'sh', '-c', `trap 'echo caught; exit ${code}' ${sig.slice(3)}; echo ready; while :; do sleep 0.1; done`], { env: e.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += String(d)));
    child.stderr.on('data', (d) => (err += String(d)));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
    for (let i = 0; i < 600 && !out.includes('ready'); i++) await sleep(50);
    assert.match(out, /ready/, err);
    child.kill(sig);
    assert.equal(await exited, code, `${sig}: ${err}`);
    assert.match(out, /caught/);
  }
  // A command that does not catch SIGINT dies of it: Ctrl-C ends a plain command.
  const plain = spawn(process.execPath, [BIN, 'run', '--', 'sh', '-c', 'echo ready; exec sleep 1000'], { env: e.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  plain.stdout.on('data', (d) => (out += String(d)));
  const exited = new Promise<number | null>((resolve) => plain.once('exit', (c) => resolve(c)));
  for (let i = 0; i < 600 && !out.includes('ready'); i++) await sleep(50);
  plain.kill('SIGINT');
  assert.equal(await exited, 130);
  await nothingLeft('run-marker-none');
});

test('nothing is left after a run that fails to start', T, async () => {
  const bad = writeProfile(e, 'runbad', 'apiVersion: sandtray/v1\nmounts:\n  - {source: /no/such/folder/here, target: /srv/x}\n');
  const r = await e.run(['run', '--profile', bad, '--', 'true']);
  assert.notEqual(r.exitCode, 0);
  assert.match(r.stderr, /sandtray:/);
  await nothingLeft('run-marker-none');
});

test('a CLI killed by SIGKILL takes its sandbox with it; the next run collects the folder', T, async () => {
  const marker = `run-marker-${process.pid}`;
  // An isolated profile, so that a lease is taken and must be collected too.
  const p = writeProfile(e, 'runiso', 'apiVersion: sandtray/v1\nidmap: {mode: isolated}\n');
  const child = spawn(process.execPath, [BIN, 'run', '--profile', p, '--', 'sh', '-c', `echo ready; sleep 1000; : ${marker}`], { env: e.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += String(d)));
  child.stderr.on('data', (d) => (err += String(d)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  for (let i = 0; i < 600 && !out.includes('ready'); i++) await sleep(50);
  assert.match(out, /ready/, err);
  // Positive control: the command runs, the run's folder and lease exist.
  assert.ok(pidsWithMarker(marker).length > 0, 'the command runs');
  assert.equal(runs().length, 1);
  assert.match(leases(), /run-[0-9a-f]{8}/);
  child.kill('SIGKILL');
  await exited;
  for (let i = 0; i < 400 && pidsWithMarker(marker).length; i++) await sleep(50);
  assert.deepEqual(pidsWithMarker(marker), [], 'the command died with the CLI');
  assert.equal(runs().length, 1, 'the folder stays until collected');
  // The next run collects what the killed one left.
  assert.equal((await e.run(['run', '--', 'true'])).exitCode, 0);
  await nothingLeft(marker);
});

test('run with a terminal: the command gets a terminal of the sandbox\'s own, of the caller\'s size; keys, Ctrl-C included, reach it', T, async () => {
  // script(1) plays the user's terminal; the one inside is made by script(1) in the sandbox.
  const term = (cmd: string, input: string) => execa('script', ['--quiet', '--return', '--command', cmd, '/dev/null'], { env: { ...e.env, SHELL: '/bin/sh' }, extendEnv: false, reject: false, input, timeout: 60_000, cwd: e.dir });
  const sandtray = `'${process.execPath}' '${BIN}'`;
  const r = await term(`stty rows 33 cols 101; ${sandtray} run -- sh -c 'readlink /proc/self/fd/0; stty size; exit 5'`, '');
  assert.equal(r.exitCode, 5, r.stdout);
  const out = r.stdout.replace(/\r/g, '');
  assert.match(out, /^(\^@)?\/dev\/pts\/\d+$/m, 'a terminal inside');
  assert.match(out, /^33 101$/m, 'of the caller\'s size');
  // Keys pass as typed: a line for the shell, Ctrl-C interrupts its foreground command, not the
  // run. They are typed once the shell inside shows its prompt (an interactive shell ignores SIGINT).
  const child = spawn('script', ['--quiet', '--return', '--command', `${sandtray} run -- sh`, '/dev/null'], { env: { ...e.env, SHELL: '/bin/sh' }, cwd: e.dir, stdio: ['pipe', 'pipe', 'pipe'] });
  let out2 = '';
  child.stdout.on('data', (d) => (out2 += String(d)));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  for (let i = 0; i < 600 && !out2.includes('# '); i++) await sleep(50);
  assert.match(out2, /# /, 'the shell inside shows its prompt');
  child.stdin.write('sleep 1000\n');
  for (let i = 0; i < 600 && !out2.includes('sleep 1000'); i++) await sleep(50);
  child.stdin.write('\x03');
  child.stdin.write('echo "after $((6*7))"\nexit 4\n');
  assert.equal(await exited, 4, out2);
  assert.match(out2.replace(/\r/g, ''), /after 42$/m);
  await nothingLeft('run-marker-none');
});
