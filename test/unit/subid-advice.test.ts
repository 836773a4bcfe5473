// doctor's subordinate-id advice: a block no user holds in /etc/subuid or /etc/subgid, from fixture
// files, so that following the advice never gives two users the same ids.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freeSubIdRange, hostSubIdAdvice, subIdAdvice, takenRanges } from '../../helpers/idmap/subid-advice.js';
import { subIdFixCommand, TEST_SUBID_ENV } from '../../helpers/idmap/subid.js';

const cmd = (user: string, start: number) => `usermod --add-subuids ${start}-${start + 65535} --add-subgids ${start}-${start + 65535} ${user}`;

test('empty files: the useradd default block', () => {
  assert.equal(subIdAdvice('alice', '', ''), cmd('alice', 100000));
});

test('100000-165535 taken by another user: the next block, not the same ids again', () => {
  const subuid = 'bob:100000:65536\n';
  assert.equal(subIdAdvice('alice', subuid, subuid), cmd('alice', 165536));
});

test('a range in either file counts: one block fits both files', () => {
  // Only subgid lists carol's block; a usermod giving alice 165536 there would clash in subgid.
  assert.equal(subIdAdvice('alice', 'bob:100000:65536\n', 'bob:100000:65536\ncarol:165536:65536\n'), cmd('alice', 231072));
  assert.equal(subIdAdvice('alice', 'bob:100000:65536\ncarol:165536:65536\n', 'bob:100000:65536\n'), cmd('alice', 231072));
});

test('partial overlaps, odd starts and big ranges are stepped over; gaps too small are skipped', () => {
  // dave holds one id in the middle of the first block; erin a range straddling two blocks.
  assert.equal(subIdAdvice('alice', 'dave:120000:1\n', ''), cmd('alice', 165536));
  assert.equal(subIdAdvice('alice', 'erin:160000:10000\n', ''), cmd('alice', 231072));
  // A CI-like file: a second user at 100000, the first at 300000 with a million ids.
  const ci = 'sandtray-ci:300000:1000000\nsandtray-ci2:100000:65536\n';
  assert.equal(subIdAdvice('new', ci, ci), cmd('new', 165536));
  // frank's 200000-239999 blocks 165536 and 231072; 296608 runs into 300000; the first block
  // after 1299999 on the grid is 100000 + 19 * 65536.
  assert.equal(subIdAdvice('new', `${ci}frank:200000:40000\n`, ci), cmd('new', 1345184));
  // Ranges below 100000 do not matter.
  assert.equal(subIdAdvice('alice', 'root:1:99999\n', ''), cmd('alice', 100000));
});

test('every user counts, whatever the name or uid; comments, blank and broken lines do not', () => {
  const text = '# admin notes\n\n1001:100000:65536\nbroken line\nx:y:z\n';
  assert.deepEqual(takenRanges(text), [{ start: 100000, size: 65536 }]);
  assert.equal(subIdAdvice('alice', text, ''), cmd('alice', 165536));
  // shadow reads numbers with strtoul(..., 0): 0x186a0 is 100000, so it is taken as that.
  assert.deepEqual(takenRanges('bob:0x186a0:0x10000\n'), [{ start: 100000, size: 65536 }]);
  assert.equal(subIdAdvice('alice', 'bob:0x186a0:0x10000\n', ''), cmd('alice', 165536));
});

test('no block left: null, and the advice says so instead of naming taken ids', () => {
  assert.equal(freeSubIdRange([{ start: 0, size: 0xfffffffe }]), null);
  assert.equal(subIdAdvice('alice', 'bob:0:4294967294\n', ''), null);
  assert.match(subIdFixCommand('alice', [{ start: 0, size: 0xfffffffe }]), /no block of 65536 ids is free/);
});

test('names that need quoting are quoted for the shell', () => {
  assert.match(subIdAdvice("o'brien x", '', '') ?? '', / 'o'\\''brien x'$/);
});

test('the host advice reads both files (here: the test folder), so doctor and idmap name a free block', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sandtray-subid-advice-'));
  const saved = process.env[TEST_SUBID_ENV];
  try {
    fs.writeFileSync(path.join(dir, 'subuid'), 'bob:100000:65536\n');
    fs.writeFileSync(path.join(dir, 'subgid'), 'bob:100000:65536\ncarol:165536:65536\n');
    assert.equal(hostSubIdAdvice('alice', dir), cmd('alice', 231072));
    // subIdFixCommand, which doctor and the id map notes use, follows the same files.
    process.env[TEST_SUBID_ENV] = dir;
    assert.equal(subIdFixCommand('alice'), cmd('alice', 231072));
    // A folder without the files: nothing is taken.
    assert.equal(hostSubIdAdvice('alice', path.join(dir, 'none')), cmd('alice', 100000));
  } finally {
    if (saved === undefined) delete process.env[TEST_SUBID_ENV];
    else process.env[TEST_SUBID_ENV] = saved;
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
