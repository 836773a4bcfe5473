// Every error a user can cause: a clear message with a hint, a non-zero exit, no traceback, nothing half-made.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { sandtrayEnv, writeProfile } from '../lib/sandtray.js';

const e = sandtrayEnv('bad');
after(() => e.cleanup());

const sandboxesDir = () => path.join(e.env['XDG_DATA_HOME']!, 'sandtray', 'sandboxes');
const existing = () => (fs.existsSync(sandboxesDir()) ? fs.readdirSync(sandboxesDir()).sort() : []);

async function refused(args: string[], message: RegExp, input?: string) {
  const before = existing();
  const r = await e.run(args, input === undefined ? {} : { input });
  assert.notEqual(r.exitCode, 0, `${args.join(' ')} should fail`);
  assert.match(r.stderr, message);
  assert.match(r.stderr, /^ {2}hint: \S/m, `a hint for: ${r.stderr}`);
  assert.doesNotMatch(r.stderr, /^\s+at .*\(.*:\d+:\d+\)$/m, 'no traceback');
  assert.deepEqual(existing(), before, 'nothing half-created');
  return r;
}

test('unknown keys and wrong types in a profile', async () => {
  const p1 = writeProfile(e, 'unknown', 'apiVersion: sandtray/v1\nhostnaem: x\n');
  await refused(['create', 'a1', '--profile', p1], /unknown key "hostnaem"/);
  const p2 = writeProfile(e, 'types', 'apiVersion: sandtray/v1\nnesting: "yes"\nmounts: [{source: /tmp, target: 5}]\n');
  const r = await refused(['create', 'a2', '--profile', p2], /nesting: /);
  assert.match(r.stderr, /mounts\[0\]\.target: /);
  const v = await e.run(['profile', 'validate', p2]);
  assert.equal(v.exitCode, 1);
  assert.match(v.stderr, /mounts\[0\]\.target/);
});

test('a missing mount source names the mount', async () => {
  const p = writeProfile(e, 'missing', 'apiVersion: sandtray/v1\nmounts:\n  - {source: /tmp, target: /a}\n  - {source: /tmp, target: /b}\n  - {source: /data/x-sandtray-missing, target: /c}\n');
  await refused(['create', 'a3', '--profile', p], /mounts\[2\]\.source: \/data\/x-sandtray-missing does not exist/);
  await refused(['launch', 'a3', '--profile', p], /does not exist/);
  await refused(['run', '--profile', p, '--', 'true'], /does not exist/);
});

test('a mount source that disappears after create makes start fail cleanly', async () => {
  const src = fs.mkdtempSync(path.join(e.dir, 'src-'));
  const p = writeProfile(e, 'vanish', `apiVersion: sandtray/v1\nmounts: [{source: ${src}, target: /data}]\n`);
  await e.ok(['create', 'vanish', '--profile', p]);
  fs.rmSync(src, { recursive: true });
  const r = await e.run(['start', 'vanish']);
  assert.notEqual(r.exitCode, 0);
  assert.match(r.stderr, /does not exist/);
  const info = JSON.parse(await e.ok(['info', 'vanish', '--json']));
  assert.equal(info.state, 'STOPPED');
  assert.ok(!fs.existsSync(path.join(e.env['XDG_RUNTIME_DIR']!, 'sandtray', 'vanish')));
  await e.ok(['delete', 'vanish']);
});

test('names that are not DNS labels', async () => {
  for (const bad of ['Dev', 'a_b', '-x', 'x-', 'a'.repeat(64), 'a/b', '..']) {
    await refused(['create', '--', bad], /not a valid sandbox name/);
  }
  const r = await refused(['create', 'My_Box'], /not a valid sandbox name/);
  assert.match(r.stderr, /Try "my-box"/);
});

test('a name that exists, a missing profile, a sandbox that does not exist', async () => {
  await e.ok(['create', 'twice']);
  await refused(['create', 'twice'], /already exists/);
  await refused(['create', 'nop', '--profile', '/nonexistent/p.sandtray'], /does not exist/);
  await refused(['create', 'nop', '--profile', 'no-such-profile'], /Profile "no-such-profile" not found/);
  await refused(['start', 'ghost'], /Sandbox "ghost" does not exist/);
  await refused(['shell', 'ghost'], /does not exist/);
  await e.ok(['delete', 'twice']);
});

test('starting a running sandbox, stopping a stopped one, attaching to a stopped one', async () => {
  await e.ok(['launch', 'states']);
  await refused(['start', 'states'], /already RUNNING/);
  await e.ok(['stop', 'states']);
  await refused(['stop', 'states'], /is not running/);
  await refused(['exec', 'states', '--', 'true'], /is STOPPED, not RUNNING/);
  await refused(['ps', 'states'], /is STOPPED/);
  await e.ok(['delete', 'states']);
});

test('bad flags and arguments', async () => {
  await refused(['stop', 'x', '--timeout', 'soon'], /--timeout soon/);
  await refused(['wait', 'x', '--state', 'FROZEN'], /--state must be one of/);
  await refused(['create', 'x', '--bogus'], /unknown option --bogus/);
  await refused(['create', 'x', '--set', 'network.mode=wifi'], /network\.mode/);
  await refused(['pid', 'abc'], /not a pid/);
  await refused(['monitor', '('], /Bad regular expression/);
  const u = await e.run(['frobnicate']);
  assert.equal(u.exitCode, 2);
  assert.match(u.stderr, /unknown command "frobnicate"/);
});

test('--json errors are objects with a code, message and hint', async () => {
  const r = await e.run(['info', 'ghost', '--json']);
  assert.equal(r.exitCode, 1);
  const { error } = JSON.parse(r.stdout);
  assert.equal(error.code, 'NOT_FOUND');
  assert.match(error.message, /ghost/);
  assert.ok(error.hint);
});

test('a damaged profile file and binary junk are reported, not crashed on', async () => {
  const p = path.join(e.dir, 'junk.sandtray');
  fs.writeFileSync(p, Buffer.from([0xff, 0xfe, 0x00, 0x01, 0x02, 0x0a, 0x3a, 0x3a]));
  await refused(['create', 'junk', '--profile', p], /Invalid profile|must be a mapping/);
  const dir = fs.mkdtempSync(path.join(e.dir, 'dir-'));
  await refused(['create', 'junk', '--profile', path.join(dir, 'x.sandtray')], /does not exist/);
  fs.mkdirSync(path.join(dir, 'd.sandtray'));
  await refused(['create', 'junk', '--profile', path.join(dir, 'd.sandtray')], /not a regular file/);
});

test('delete works when the runtime directory was never made (a fresh login, another machine)', async () => {
  await e.ok(['create', 'fresh']);
  fs.rmSync(path.join(e.env['XDG_RUNTIME_DIR']!, 'sandtray'), { recursive: true, force: true });
  await e.ok(['delete', 'fresh']);
  assert.ok(!existing().includes('fresh'));
});
