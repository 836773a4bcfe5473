import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  parseGetsubidsOutput,
  parseSubIdFile,
  readSubIds,
  subIdFixCommand,
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

function getsubids(args: string[]): string | null {
  try {
    return execFileSync('getsubids', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    return null;
  }
}

test('readSubIds uses the real getsubids and agrees with it', async (t) => {
  const out = getsubids(['sandtest']);
  if (out === null) return t.skip('getsubids or user sandtest with ranges not available');
  const uid = Number(execFileSync('id', ['-u', 'sandtest'], { encoding: 'utf8' }).trim());
  const user = { name: 'sandtest', uid };
  const res = await readSubIds('uid', user);
  assert.equal(res.source, 'getsubids sandtest');
  assert.deepEqual(res.ranges, parseGetsubidsOutput(out).ranges);
  assert.ok(res.ranges.length > 0);
  const g = await readSubIds('gid', user);
  assert.equal(g.source, 'getsubids -g sandtest');
  assert.ok(g.ranges.length > 0);
  // The file path gives the same answer on a files-only nsswitch setup.
  if (existsSync('/etc/subuid')) {
    const f = await readSubIds('uid', user, { useGetsubids: false });
    assert.equal(f.source, '/etc/subuid');
    assert.deepEqual(f.ranges, res.ranges);
  }
});

test('readSubIds gives no ranges for a user getsubids does not know', async (t) => {
  if (getsubids(['sandtest']) === null) return t.skip('getsubids not available');
  const res = await readSubIds('uid', { name: 'sandtray-no-such-user', uid: 4000000 });
  assert.deepEqual(res.ranges, []);
});

test('readSubIds falls back to /etc/subuid when getsubids cannot be run', async (t) => {
  if (!existsSync('/etc/subuid')) return t.skip('no /etc/subuid on this host');
  const saved = process.env['PATH'];
  process.env['PATH'] = '/nonexistent';
  try {
    const res = await readSubIds('uid', { name: 'sandtray-no-such-user', uid: 4000000 });
    assert.equal(res.source, '/etc/subuid');
    assert.deepEqual(res.ranges, []);
  } finally {
    process.env['PATH'] = saved;
  }
});

test('subIdFixCommand suggests a block after the taken ones', () => {
  assert.equal(subIdFixCommand('alice'), 'usermod --add-subuids 100000-165535 --add-subgids 100000-165535 alice');
  assert.equal(
    subIdFixCommand('bob', [{ start: 100000, size: 65536 }]),
    'usermod --add-subuids 165536-231071 --add-subgids 165536-231071 bob',
  );
  assert.match(subIdFixCommand("o'brien x"), / 'o'\\''brien x'$/);
});
