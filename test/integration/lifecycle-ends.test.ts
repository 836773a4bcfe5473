// How things end: `log --follow` ends cleanly once its sandbox is deleted (a line on stderr, exit
// 0, no stack trace), and a shell whose sandbox `stop` ends exits as shells do, 128 + the signal.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { execa } from 'execa';
import { BIN, PROFILES, sandtrayEnv } from '../lib/sandtray.js';

const e = sandtrayEnv('ends');
after(() => e.cleanup());

/** Waits (bounded in count) until read() holds text matching re; returns whether it did. */
async function waitFor(read: () => string, re: RegExp, tries = 600): Promise<boolean> {
  for (let i = 0; i < tries; i++) {
    if (re.test(read())) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}

test('log --follow ends cleanly when its sandbox is deleted', { timeout: 90_000 }, async () => {
  await e.ok(['create', 'followed', '--profile', `${PROFILES}/shell.sandtray`]);
  const follow = execa(process.execPath, [BIN, 'log', 'followed', '--follow'], { env: e.env, extendEnv: false, reject: false, stdin: 'ignore', timeout: 60_000 });
  let out = '';
  follow.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  // The follow is running once it printed the log so far (the create line).
  assert.ok(await waitFor(() => out, /created/i), `log --follow printed the log first:\n${out}`);
  assert.equal(follow.exitCode, null, 'still following');
  await e.ok(['delete', 'followed']);
  const r = await follow;
  assert.equal(r.timedOut, false, 'the follow ended by itself once the sandbox was deleted');
  assert.equal(r.exitCode, 0, r.stderr);
  assert.match(r.stderr, /followed was deleted/);
  assert.doesNotMatch(r.stderr, /\n\s+at |Error:/, 'no stack trace');
});

test('a shell ended by stop exits 128 + the signal, as shells do', { timeout: 120_000 }, async () => {
  await e.ok(['launch', 'stopped-shell', '--profile', `${PROFILES}/shell.sandtray`]);
  // A shell with no terminal reads its commands from stdin: kept open, it waits there.
  const shell = execa(process.execPath, [BIN, 'shell', 'stopped-shell'], { env: { ...e.env, SHELL: '/bin/sh' }, extendEnv: false, reject: false, stdin: 'pipe', timeout: 90_000 });
  let out = '';
  shell.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  shell.stdin?.write('echo inside-$((40+2))\n');
  assert.ok(await waitFor(() => out, /inside-42/), 'the shell runs commands inside');
  const stop = await e.run(['stop', 'stopped-shell']);
  assert.equal(stop.exitCode, 0, stop.stderr);
  const r = await shell;
  assert.equal(r.timedOut, false);
  // stop sends SIGTERM to pid 1, then SIGKILL after its timeout; the shell ends by one of them.
  assert.ok(r.exitCode === 128 + 15 || r.exitCode === 128 + 9, `exit status ${r.exitCode}, stderr: ${r.stderr}`);
});
