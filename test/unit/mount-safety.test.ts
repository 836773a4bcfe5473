import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bindByDescriptor, checkTargets, openNoUserLinks, UnsafeLink, WalkCache } from '../../helpers/runtime/mount-safety.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sandtray-mount-safety-'));
const real = path.join(tmp, 'real');
fs.mkdirSync(real);
fs.writeFileSync(path.join(real, 'f'), 'x');
fs.symlinkSync(real, path.join(tmp, 'link'));

test('links in folders we cannot write (the system\'s own) are followed; the descriptor names the real file', () => {
  const link = fs.lstatSync('/bin').isSymbolicLink() ? '/bin/sh' : '/usr/bin/env';
  const fd = openNoUserLinks(link)!;
  assert.ok(fd > 2);
  assert.equal(fs.readlinkSync(`/proc/self/fd/${fd}`), fs.realpathSync(link));
  fs.closeSync(fd);
});

test('a link in a folder we can write is refused, wherever it sits on the path; a missing path is null', () => {
  assert.throws(() => openNoUserLinks(path.join(tmp, 'link', 'f')), (e: unknown) => e instanceof UnsafeLink && e.link === path.join(tmp, 'link') && e.target === real);
  assert.throws(() => openNoUserLinks(path.join(tmp, 'link')), UnsafeLink);
  assert.equal(openNoUserLinks(path.join(tmp, 'absent', 'x')), null);
  const fd = openNoUserLinks(path.join(real, 'f'))!;
  assert.equal(fs.readlinkSync(`/proc/self/fd/${fd}`), path.join(real, 'f'));
  fs.closeSync(fd);
});

test('binds become descriptor binds, numbered in order; missing -try sources are dropped', () => {
  const { opts, fds } = bindByDescriptor(['--userns', '5', '--ro-bind', real, '/a', '--bind-try', path.join(tmp, 'nope'), '/b', '--bind', real, '/c', '--tmpfs', '/t'], 9);
  assert.deepEqual(opts, ['--userns', '5', '--ro-bind-fd', '9', '/a', '--bind-fd', '10', '/c', '--tmpfs', '/t']);
  assert.equal(fds.length, 2);
  for (const fd of fds) fs.closeSync(fd);
  assert.throws(() => bindByDescriptor(['--ro-bind', path.join(tmp, 'link'), '/x'], 9), /passes through a symbolic link/);
  assert.throws(() => bindByDescriptor(['--ro-bind', path.join(tmp, 'nope'), '/x'], 9), /does not exist/);
});

test('a target below a writable bind may not go through a link in that folder', () => {
  const home = path.join(tmp, 'home');
  fs.mkdirSync(path.join(home, 'ok'), { recursive: true });
  fs.symlinkSync('/elsewhere', path.join(home, 'a'));
  checkTargets([{ source: home, target: '/root', writable: true }, { source: real, target: '/root/ok/b', writable: false }]);
  assert.throws(() => checkTargets([{ source: home, target: '/root', writable: true }, { source: real, target: '/root/a/b', writable: false }]), /would go through \/root\/a, a symbolic link to \/elsewhere/);
  // Below a read-only bind bwrap cannot create anything: not checked.
  checkTargets([{ source: home, target: '/root', writable: false }, { source: real, target: '/root/a/b', writable: false }]);
});

test('one walk cache for the sources of a start: each folder is looked up once, a link in it is still refused, every descriptor is the caller\'s own', () => {
  const dir = path.join(tmp, 'shared');
  fs.mkdirSync(path.join(dir, 'sub'), { recursive: true });
  for (const f of ['a', 'b', 'sub/c']) fs.writeFileSync(path.join(dir, f), f);
  fs.symlinkSync(path.join(dir, 'a'), path.join(dir, 'planted'));
  const cache = new WalkCache();
  try {
    const fds = ['a', 'b', 'sub/c', 'sub'].map((f) => openNoUserLinks(path.join(dir, f), cache)!);
    // Each names what it was asked for, as an uncached walk does.
    assert.deepEqual(fds.map((fd) => fs.readlinkSync(`/proc/self/fd/${fd}`)), ['a', 'b', 'sub/c', 'sub'].map((f) => path.join(dir, f)));
    // The folders passed are kept: / and every folder down to dir/sub.
    assert.ok(cache.dirs.has(dir) && cache.dirs.has(path.join(dir, 'sub')), [...cache.dirs.keys()].join(' '));
    // A descriptor handed out is not one the cache closes: it outlives the cache.
    assert.ok(!fds.some((fd) => [...cache.dirs.values()].includes(fd)));
    // Starting from a cached folder, a link planted in it is refused as from /.
    assert.throws(() => openNoUserLinks(path.join(dir, 'planted'), cache), UnsafeLink);
    assert.equal(openNoUserLinks(path.join(dir, 'absent'), cache), null);
    cache.close();
    for (const fd of fds) assert.ok(fs.fstatSync(fd).ino > 0, 'still open once the cache is closed');
    for (const fd of fds) fs.closeSync(fd);
  } finally {
    cache.close();
  }
  // bindByDescriptor uses one cache per call and says how each descriptor was opened.
  const b = bindByDescriptor(['--ro-bind', path.join(dir, 'sub'), '/s', '--copy-file', path.join(dir, 'a'), '/etc/a'], 9);
  assert.deepEqual(b.opts, ['--ro-bind-fd', '9', '/s', '--perms', '0644', '--file', '10', '/etc/a']);
  assert.equal(b.flags.length, 2);
  assert.equal(b.flags[0]! & 0o10000000, 0o10000000, 'a bind source is an O_PATH handle');
  assert.equal(b.flags[1]! & 0o10000000, 0, 'a copied file is opened for reading');
  for (const fd of b.fds) fs.closeSync(fd);
});
