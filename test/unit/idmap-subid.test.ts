import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import path from 'node:path';
import {
  parseGetsubidsOutput,
  parseSubIdFile,
  readSubIds,
  subIdFixCommand,
  testSubIdDir,
  TEST_SUBID_ENV,
} from '../../helpers/idmap/subid.js';

const alice = { name: 'alice', uid: 1000 };

test('several ranges per user, by name, sorted and merged', () => {
  const text = ['alice:300000:1000', 'bob:100000:65536', 'alice:200000:65536', 'alice:265536:10', ''].join('\n');
  const res = parseSubIdFile(text, alice);
  assert.deepEqual(res.ranges, [
    { start: 200000, size: 65546 },
    { start: 300000, size: 1000 },
  ]);
  assert.deepEqual(res.problems, []);
});

test('matches by numeric uid as shadow does', () => {
  const text = 'alice:100000:10\n1000:200000:20\n1001:300000:30\n';
  assert.deepEqual(parseSubIdFile(text, alice).ranges, [
    { start: 100000, size: 10 },
    { start: 200000, size: 20 },
  ]);
  assert.deepEqual(parseSubIdFile('1000:5:5\n', { name: 'nobody-else', uid: 1000 }).ranges, [{ start: 5, size: 5 }]);
});

test('comments and blank lines are ignored', () => {
  const text = '# managed by ansible\n\n   \n  # indented comment\nalice:100000:65536\n';
  const res = parseSubIdFile(text, alice);
  assert.deepEqual(res.ranges, [{ start: 100000, size: 65536 }]);
  assert.deepEqual(res.problems, []);
});

test('malformed lines are reported with 1-based line numbers and never used', () => {
  const lines = [
    '# header', //           1
    'alice:100000:65536', // 2 ok
    'alice:200000', //       3 two fields
    'alice:abc:10', //       4 not a number
    'alice:0300000:10', //   5 octal to shadow
    'alice:400000:0', //     6 zero count
    'alice:4294967290:10', // 7 past the last id
    ':500000:10', //         8 no owner
    'alice:600000:10:x', //  9 four fields
    'alice:0x10:10', //     10 hex
    'alice:700000:-5', //   11 negative
    'al ice:800000:10', //  12 space in owner
    'alice:900000:10\r', // 13 CRLF file
  ];
  const res = parseSubIdFile(lines.join('\n'), alice);
  assert.deepEqual(res.ranges, [{ start: 100000, size: 65536 }]);
  assert.deepEqual(
    res.problems.map((p) => p.line),
    [3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13],
  );
  const byLine = new Map(res.problems.map((p) => [p.line, p]));
  assert.equal(byLine.get(3)?.text, 'alice:200000');
  assert.match(byLine.get(3)!.reason, /3 fields|found 2/);
  assert.match(byLine.get(4)!.reason, /^start: not a plain decimal/);
  assert.match(byLine.get(5)!.reason, /octal/);
  assert.match(byLine.get(6)!.reason, /count must be at least 1/);
  assert.match(byLine.get(7)!.reason, /4294967294/);
  assert.match(byLine.get(8)!.reason, /^owner:/);
});

test('malformed lines of other users are reported too', () => {
  const res = parseSubIdFile('bob:1:x\nalice:10:10\n', alice);
  assert.deepEqual(res.ranges, [{ start: 10, size: 10 }]);
  assert.deepEqual(res.problems, [{ line: 1, text: 'bob:1:x', reason: 'count: not a plain decimal number (shadow would read a leading 0 as octal)' }]);
});

test('largest valid range is accepted', () => {
  assert.deepEqual(parseSubIdFile('alice:4294967284:10\n', alice).ranges, [{ start: 4294967284, size: 10 }]);
});

test('getsubids output is parsed', () => {
  const res = parseGetsubidsOutput('0: sandtest 100000 65536\n1: sandtest 300000 10\n');
  assert.deepEqual(res.ranges, [
    { start: 100000, size: 65536 },
    { start: 300000, size: 10 },
  ]);
  const bad = parseGetsubidsOutput('0: sandtest 100000 65536\ngarbage\n');
  assert.deepEqual(bad.problems.map((p) => p.line), [2]);
});

test('readSubIds reads a given file and reports its path as source', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'sandtray-subid-'));
  try {
    const file = path.join(dir, 'subuid');
    writeFileSync(file, 'alice:100000:65536\nalice:bad:1\n');
    const res = await readSubIds('uid', alice, { file });
    assert.equal(res.source, file);
    assert.deepEqual(res.ranges, [{ start: 100000, size: 65536 }]);
    assert.deepEqual(res.problems.map((p) => p.line), [2]);
    const none = await readSubIds('gid', alice, { file: path.join(dir, 'missing') });
    assert.deepEqual(none.ranges, []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// The suite's user has real ranges (CI gives it 300000-1299999): these run against the system's
// getsubids and /etc/subuid as that unprivileged user, never skipped.

test('readSubIds uses the real getsubids and agrees with it and with /etc/subuid', async () => {
  const user = { name: userInfo().username, uid: process.getuid!() };
  const out = execFileSync('getsubids', [user.name], { encoding: 'utf8' });
  const res = await readSubIds('uid', user, { useGetsubids: true });
  assert.equal(res.source, `getsubids ${user.name}`);
  assert.deepEqual(res.ranges, parseGetsubidsOutput(out).ranges);
  assert.ok(res.ranges.length > 0, 'the test user needs subordinate uids');
  const g = await readSubIds('gid', user, { useGetsubids: true });
  assert.equal(g.source, `getsubids -g ${user.name}`);
  assert.ok(g.ranges.length > 0, 'the test user needs subordinate gids');
  // The file path gives the same answer on a files-only nsswitch setup.
  const f = await readSubIds('uid', user, { useGetsubids: false });
  assert.equal(f.source, '/etc/subuid');
  assert.deepEqual(f.ranges, res.ranges);
});

test('readSubIds gives no ranges for a user getsubids does not know', async () => {
  const res = await readSubIds('uid', { name: 'sandtray-no-such-user', uid: 4000000 }, { useGetsubids: true });
  assert.equal(res.source, 'getsubids sandtray-no-such-user');
  assert.deepEqual(res.ranges, []);
});

test('readSubIds falls back to /etc/subuid when getsubids cannot be run', async () => {
  const saved = process.env['PATH'];
  process.env['PATH'] = '/nonexistent';
  try {
    // getsubids is looked up on PATH: with none found, the file is read.
    const res = await readSubIds('uid', { name: 'sandtray-no-such-user', uid: 4000000 }, { useGetsubids: true });
    assert.equal(res.source, '/etc/subuid');
    assert.deepEqual(res.ranges, []);
    // A name that looks like an option never reaches getsubids' argv (it has no "--").
    process.env['PATH'] = saved;
    assert.equal((await readSubIds('uid', { name: '-x', uid: 4000000 }, { useGetsubids: true })).source, '/etc/subuid');
  } finally {
    process.env['PATH'] = saved;
  }
});

test('SANDTRAY_TEST_SUBID_DIR points reading at test files, only as an absolute path', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'sandtray-subid-'));
  const saved = process.env[TEST_SUBID_ENV];
  try {
    writeFileSync(path.join(dir, 'subuid'), 'alice:5000:10\nalice:x:1\n');
    writeFileSync(path.join(dir, 'subgid'), 'alice:7000:20\n');
    process.env[TEST_SUBID_ENV] = dir;
    assert.equal(testSubIdDir(), dir);
    const u = await readSubIds('uid', alice);
    assert.equal(u.source, path.join(dir, 'subuid'));
    assert.deepEqual(u.ranges, [{ start: 5000, size: 10 }]);
    assert.deepEqual(u.problems.map((p) => p.line), [2]);
    assert.deepEqual((await readSubIds('gid', alice)).ranges, [{ start: 7000, size: 20 }]);
    process.env[TEST_SUBID_ENV] = 'relative/dir';
    assert.equal(testSubIdDir(), null);
  } finally {
    if (saved === undefined) delete process.env[TEST_SUBID_ENV];
    else process.env[TEST_SUBID_ENV] = saved;
    rmSync(dir, { recursive: true, force: true });
  }
});

test('subIdFixCommand suggests a block after the taken ones', () => {
  assert.equal(subIdFixCommand('alice', []), 'usermod --add-subuids 100000-165535 --add-subgids 100000-165535 alice');
  assert.equal(
    subIdFixCommand('bob', [{ start: 100000, size: 65536 }]),
    'usermod --add-subuids 165536-231071 --add-subgids 165536-231071 bob',
  );
  assert.match(subIdFixCommand("o'brien x"), / 'o'\\''brien x'$/);
});

test('getsubids is only asked when nsswitch sends subordinate ids elsewhere than the files', async () => {
  const { subidFromNss } = await import('../../helpers/idmap/subid.js');
  const dir = (await import('node:fs')).mkdtempSync('/tmp/sandtray-nss-');
  const fs = await import('node:fs');
  fs.writeFileSync(`${dir}/a`, 'passwd: files\n');
  fs.writeFileSync(`${dir}/b`, 'passwd: files\nsubid:  files\n');
  fs.writeFileSync(`${dir}/c`, 'passwd: files sss\nsubid: sss\n');
  assert.equal(subidFromNss(`${dir}/a`), false);
  assert.equal(subidFromNss(`${dir}/b`), false);
  assert.equal(subidFromNss(`${dir}/c`), true);
  assert.equal(subidFromNss(`${dir}/missing`), false);
  fs.rmSync(dir, { recursive: true });
});
