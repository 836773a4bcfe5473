// `file push` and `file pull` on a running sandbox: owners and modes kept, and no link planted
// inside (absolute or `..`) ever leads the copy to a host file; each beside a positive control that
// shows the same link followed from the host does reach the host file.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { sandtrayEnv, writeProfile } from '../lib/sandtray.js';

const e = sandtrayEnv('cli-file');
let pid1 = 0;
const host = (f: string) => path.join(e.dir, f);

before(async () => {
  await e.ok(['launch', 'box']);
  pid1 = (JSON.parse(await e.ok(['list', '--json'])) as { name: string; pid: number }[]).find((s) => s.name === 'box')!.pid;
  assert.ok(pid1 > 0);
});
after(() => e.cleanup());

const inside = async (script: string) => e.ok(['exec', 'box', '--', 'sh', '-c', script]);

test('push then pull: content, mode and owner (root inside is you) kept', { timeout: 120_000 }, async () => {
  const src = host('notes.txt');
  const data = Buffer.concat([Buffer.from('line one\n'), Buffer.alloc(300_000, 7), Buffer.from([0, 255, 10])]);
  fs.writeFileSync(src, data);
  fs.chmodSync(src, 0o751);
  await e.ok(['file', 'push', 'box', src, '/tmp/']);
  assert.equal((await inside('stat -c "%u:%g %a %s" /tmp/notes.txt')).trim(), `0:0 751 ${data.length}`);
  const onHost = fs.statSync(`/proc/${pid1}/root/tmp/notes.txt`);
  assert.equal(onHost.uid, process.getuid!(), 'root inside is the user on the host');

  await e.ok(['file', 'push', '--mode', '0600', '--uid', '1000', '--gid', '100', '-p', 'box', src, '/srv/a/b/renamed']);
  assert.equal((await inside('stat -c "%u:%g %a" /srv/a/b/renamed')).trim(), '1000:100 600');
  // A trailing slash names a folder, made with -p.
  await e.ok(['file', 'push', '-p', 'box', src, '/srv/new/dir/']);
  assert.equal((await inside('stat -c "%u:%g %a" /srv/new/dir /srv/new/dir/notes.txt')).trim(), '0:0 755\n0:0 751');

  await inside('printf "from inside" > /tmp/out.bin; chmod 4640 /tmp/out.bin');
  await e.ok(['file', 'pull', 'box', '/tmp/out.bin', e.dir]);
  assert.equal(fs.readFileSync(host('out.bin'), 'utf8'), 'from inside');
  assert.equal(fs.statSync(host('out.bin')).mode & 0o7777, 0o640, 'permission bits kept, set-user-id dropped');
  // A mode from inside that lets everyone write the copy is narrowed by the user's umask.
  await inside('printf open > /tmp/open.txt; chmod 0666 /tmp/open.txt');
  await e.ok(['file', 'pull', 'box', '/tmp/open.txt', e.dir]);
  const umask = parseInt(/^Umask:\s*([0-7]+)$/m.exec(fs.readFileSync('/proc/self/status', 'utf8'))![1]!, 8);
  assert.ok(umask & 0o002, 'the test runs with a umask that keeps others from writing');
  assert.equal(fs.statSync(host('open.txt')).mode & 0o777, 0o666 & ~umask);
  await e.ok(['file', 'pull', 'box', '/tmp/notes.txt', host('back.txt')]);
  assert.deepEqual(fs.readFileSync(host('back.txt')), data);
  assert.equal(fs.statSync(host('back.txt')).mode & 0o777, 0o751);
});

test('pull never reads a host file through a link planted inside (absolute or ..)', { timeout: 120_000 }, async () => {
  const secret = host('secret');
  fs.writeFileSync(secret, 'host secret\n', { mode: 0o600 });
  const up = '../'.repeat(12);
  await inside(`ln -s ${secret} /tmp/abs; ln -s ${up}${secret.slice(1)} /tmp/rel; mkdir -p /tmp/d; ln -s ${e.dir} /tmp/d/dir`);
  // Positive control: the same link followed from the host leads to the host's file.
  assert.equal(fs.readFileSync(`/proc/${pid1}/root/tmp/abs`, 'utf8'), 'host secret\n', 'control: the absolute link leads out when resolved from the host');
  // A `..` link stops at the root of the sandbox's mount namespace even through /proc (the
  // kernel's walk does not climb above a namespace's root mount): only the absolute link needs
  // the copy to run inside; the `..` one is checked as a regression.
  assert.throws(() => fs.readFileSync(`/proc/${pid1}/root/tmp/rel`), { code: 'ENOENT' });
  for (const link of ['/tmp/abs', '/tmp/rel', '/tmp/d/dir/secret']) {
    const dest = host(`pulled-${path.basename(link)}`);
    const r = await e.run(['file', 'pull', 'box', link, dest]);
    assert.equal(r.exitCode, 1, `${link}: ${r.stderr}`);
    assert.match(r.stderr, /No such file or directory/);
    assert.equal(fs.existsSync(dest), false, `${link}: nothing written`);
  }
  // The sandbox is alive and the same path works once it names a file inside.
  await inside(`rm /tmp/abs; mkdir -p ${path.dirname(secret)}; echo inside > ${secret}; ln -s ${secret} /tmp/abs`);
  await e.ok(['file', 'pull', 'box', '/tmp/abs', host('pulled-inside')]);
  assert.equal(fs.readFileSync(host('pulled-inside'), 'utf8'), 'inside\n');
  await inside(`rm -rf ${path.dirname(secret)}`);
});

test('push never writes a host file through a link planted inside', { timeout: 120_000 }, async () => {
  const control = host('control');
  const victim = host('victim');
  fs.writeFileSync(control, 'untouched\n');
  fs.writeFileSync(victim, 'untouched\n');
  await inside(`ln -s ${control} /tmp/control; ln -s ${victim} /tmp/victim; ln -s ${e.dir} /tmp/hostdir`);
  fs.writeFileSync(`/proc/${pid1}/root/tmp/control`, 'overwritten\n');
  assert.equal(fs.readFileSync(control, 'utf8'), 'overwritten\n', 'control: the link leads out when followed from the host');
  const src = host('payload');
  fs.writeFileSync(src, 'payload\n');
  await e.ok(['file', 'push', 'box', src, '/tmp/victim']);
  assert.equal(fs.readFileSync(victim, 'utf8'), 'untouched\n');
  assert.equal((await inside('test -L /tmp/victim || cat /tmp/victim')).trim(), 'payload', 'the link inside was replaced by the file');
  const r = await e.run(['file', 'push', 'box', src, '/tmp/hostdir/dropped']);
  assert.equal(r.exitCode, 1);
  assert.match(r.stderr, /no such folder/);
  assert.equal(fs.existsSync(host('dropped')), false);
  const r2 = await e.run(['file', 'push', '-p', 'box', src, '/tmp/hostdir/x/dropped']);
  assert.equal(r2.exitCode, 1, 'mkdir does not follow the link out either');
  assert.equal(fs.existsSync(host('x')), false);
});

test('FIFOs, devices and folders are refused without hanging; a host link is not written through', { timeout: 120_000 }, async () => {
  await inside('mkfifo /tmp/fifo; mkdir -p /tmp/folder');
  for (const [p, what] of [['/tmp/fifo', /a FIFO/], ['/dev/zero', /a device/], ['/tmp/folder', /a folder/]] as const) {
    const r = await e.run(['file', 'pull', 'box', p, host('x')]);
    assert.equal(r.exitCode, 1);
    assert.match(r.stderr, what);
    assert.equal(fs.existsSync(host('x')), false);
  }
  const target = host('link-target');
  fs.writeFileSync(target, 'keep\n');
  fs.symlinkSync(target, host('hostlink'));
  await inside('echo new > /tmp/new');
  const r = await e.run(['file', 'pull', 'box', '/tmp/new', host('hostlink')]);
  assert.equal(r.exitCode, 1);
  assert.match(r.stderr, /is a symbolic link/);
  assert.equal(fs.readFileSync(target, 'utf8'), 'keep\n');
  const ro = await e.run(['file', 'push', 'box', target, '/usr/planted']);
  assert.equal(ro.exitCode, 1);
  assert.match(ro.stderr, /Read-only file system/);
  const usage = await e.run(['file', 'push', 'box', target]);
  assert.equal(usage.exitCode, 2);
  const rel = await e.run(['file', 'push', 'box', target, 'tmp/x']);
  assert.equal(rel.exitCode, 1);
  assert.match(rel.stderr, /absolute path/);
  // No temporary file stays behind anywhere.
  assert.equal((await inside('ls -a /tmp /usr | grep -c sandtray-push || true')).trim(), '0');
  assert.deepEqual(fs.readdirSync(e.dir).filter((f) => f.includes('.sandtray-')), []);
});

test('pull never follows a link the sandbox planted in a folder it can write, however the path names it', { timeout: 120_000 }, async () => {
  // A host folder bound read-write: the sandbox can put links in it that name host paths.
  const shared = host('shared');
  const secret = host('precious');
  fs.mkdirSync(shared);
  fs.mkdirSync(secret);
  fs.writeFileSync(path.join(secret, 'rc'), 'the owner\'s file\n');
  const prof = writeProfile(e, 'shared', `apiVersion: sandtray/v1\nnetwork: {mode: none}\nmounts: [{source: ${shared}, target: /shared, readOnly: false}]\n`);
  await e.ok(['launch', 'sharer', '--profile', prof]);
  await e.ok(['exec', 'sharer', '--', 'sh', '-c', `printf planted > /tmp/rc; ln -s ${secret} /shared/out; mkdir /shared/sub; ln -s ${secret} /shared/sub/deeper`]);
  // The positive control: what the links lead to from the host is the owner's folder.
  assert.equal(fs.readFileSync(path.join(shared, 'out', 'rc'), 'utf8'), 'the owner\'s file\n');
  assert.equal(fs.readFileSync(path.join(shared, 'sub', 'deeper', 'rc'), 'utf8'), 'the owner\'s file\n');
  // The sandbox is alive and a pull into the shared folder itself works.
  await e.ok(['file', 'pull', 'sharer', '/tmp/rc', shared]);
  assert.equal(fs.readFileSync(path.join(shared, 'rc'), 'utf8'), 'planted');
  for (const dest of [path.join(shared, 'out'), `${path.join(shared, 'out')}/`, path.join(shared, 'out', 'rc'), path.join(shared, 'sub', 'deeper', 'rc'), path.join(shared, 'sub', 'deeper')]) {
    const r = await e.run(['file', 'pull', 'sharer', '/tmp/rc', dest]);
    assert.equal(r.exitCode, 1, `${dest}: ${r.stderr}`);
    assert.match(r.stderr, /symbolic link/, dest);
    assert.equal(fs.readFileSync(path.join(secret, 'rc'), 'utf8'), 'the owner\'s file\n', dest);
  }
  assert.deepEqual(fs.readdirSync(secret), ['rc']);
  // Nor does a push read the owner's file through a link planted where the owner expects a file.
  await e.ok(['exec', 'sharer', '--', 'ln', '-s', path.join(secret, 'rc'), '/shared/notes.txt']);
  assert.equal(fs.readFileSync(path.join(shared, 'notes.txt'), 'utf8'), 'the owner\'s file\n', 'the link leads to the owner\'s file from the host');
  for (const src of [path.join(shared, 'notes.txt'), path.join(shared, 'out', 'rc')]) {
    const push = await e.run(['file', 'push', 'sharer', src, '/tmp/got']);
    assert.equal(push.exitCode, 1, `${src}: ${push.stderr}`);
    assert.match(push.stderr, /symbolic link/);
  }
  assert.equal((await e.run(['exec', 'sharer', '--', 'test', '-e', '/tmp/got'])).exitCode, 1, 'nothing reached the sandbox');
  // A link of the owner's outside what the sandbox can write is followed as before.
  fs.symlinkSync(secret, host('mine'));
  await e.ok(['file', 'pull', 'sharer', '/tmp/rc', host('mine')]);
  assert.equal(fs.readFileSync(path.join(secret, 'rc'), 'utf8'), 'planted');
  await e.ok(['delete', '--force', 'sharer']);
});

test('pull refuses a file larger than the room on the host before writing a byte', { timeout: 120_000 }, async () => {
  // A sparse file inside that claims far more than any disk here holds.
  await inside('truncate -s 1P /tmp/huge && stat -c %s /tmp/huge');
  const r = await e.run(['file', 'pull', 'box', '/tmp/huge', host('huge')]);
  assert.equal(r.exitCode, 1, r.stderr);
  assert.match(r.stderr, /has room for/);
  assert.equal(fs.existsSync(host('huge')), false);
  assert.deepEqual(fs.readdirSync(e.dir).filter((f) => f.includes('.sandtray-')), []);
  await inside('rm /tmp/huge');
});
