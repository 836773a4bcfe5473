// A profile's `command` is what `shell` opens and what `run` runs when no command is given.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execa } from 'execa';
import { BIN, sandtrayEnv, writeProfile } from '../lib/sandtray.js';

const e = sandtrayEnv('command');
let prof = '';
before(async () => {
  prof = writeProfile(e, 'cmd', [
    'apiVersion: sandtray/v1',
    'command: [/bin/sh, -c, "echo from-command-$((6*7)) $0; exit 7", arg0]',
    '',
  ].join('\n'));
  await e.ok(['launch', 'c1', '--profile', prof]);
});
after(() => e.cleanup());

test('run without a command runs the profile\'s command; with one, that one', { timeout: 60_000 }, async () => {
  const r = await e.run(['run', '--profile', prof]);
  assert.equal(r.exitCode, 7, r.stderr);
  assert.equal(r.stdout.trim(), 'from-command-42 arg0');
  const given = await e.run(['run', '--profile', prof, '--', 'echo', 'given']);
  assert.equal(given.exitCode, 0, given.stderr);
  assert.equal(given.stdout.trim(), 'given');
});

test('shell opens the profile\'s command, without and with a terminal', { timeout: 60_000 }, async () => {
  const r = await e.run(['shell', 'c1']);
  assert.equal(r.exitCode, 7, r.stderr);
  assert.equal(r.stdout.trim(), 'from-command-42 arg0');
  const t = await execa('script', ['--quiet', '--return', '--command', `node ${BIN} shell c1`, '/dev/null'], {
    env: { ...e.env, SHELL: '/bin/sh', TERM: 'xterm' }, extendEnv: false, reject: false, input: '', timeout: 30_000,
  });
  assert.equal(t.exitCode, 7);
  assert.match(String(t.stdout), /from-command-42 arg0/);
});

test('without a command in the profile, shell is still a login shell', { timeout: 60_000 }, async () => {
  await e.ok(['launch', 'c2']);
  const r = await e.run(['shell', 'c2'], { input: 'echo "login:$0"; shopt -q login_shell && echo is-login\n' });
  assert.equal(r.exitCode, 0, r.stderr);
  assert.match(r.stdout, /is-login/);
});
