import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { SandtrayError } from '../../helpers/core/errors.js';
import {
  buildIdMap,
  formatMapLines,
  newuidmapArgs,
  singleIdMap,
} from '../../helpers/idmap/map.js';
import { firstIds, me } from '../lib/idmap.js';

const one = [{ start: 100000, size: 65536 }];

test('0 maps to the user, 1..size-1 to the subordinate range', () => {
  const map = buildIdMap({ hostUid: 1001, hostGid: 1002, size: 65536, uidRanges: one, gidRanges: one });
  assert.deepEqual(map.uid, [
    { inside: 0, outside: 1001, count: 1 },
    { inside: 1, outside: 100000, count: 65535 },
  ]);
  assert.deepEqual(map.gid[0], { inside: 0, outside: 1002, count: 1 });
});

test('fragmented ranges give several lines in the given order', () => {
  const uidRanges = [
    { start: 300000, size: 10 },
    { start: 100000, size: 5 },
    { start: 200000, size: 100 },
  ];
  const map = buildIdMap({ hostUid: 1000, hostGid: 1000, size: 21, uidRanges, gidRanges: one });
  assert.deepEqual(map.uid, [
    { inside: 0, outside: 1000, count: 1 },
    { inside: 1, outside: 300000, count: 10 },
    { inside: 11, outside: 100000, count: 5 },
    { inside: 16, outside: 200000, count: 5 },
  ]);
  assert.deepEqual(map.gid, [
    { inside: 0, outside: 1000, count: 1 },
    { inside: 1, outside: 100000, count: 20 },
  ]);
});

test('continuous fragments merge into one line but the 0 line stays alone', () => {
  const uidRanges = [
    { start: 1001, size: 10 },
    { start: 1011, size: 10 },
  ];
  const map = buildIdMap({ hostUid: 1000, hostGid: 1000, size: 21, uidRanges, gidRanges: one });
  assert.deepEqual(map.uid, [
    { inside: 0, outside: 1000, count: 1 },
    { inside: 1, outside: 1001, count: 20 },
  ]);
});

test('too few subordinate ids is an IDMAP error saying how many', () => {
  assert.throws(
    () => buildIdMap({ hostUid: 1000, hostGid: 1000, size: 65538, uidRanges: one, gidRanges: one }),
    (e: unknown) =>
      e instanceof SandtrayError && e.code === 'IDMAP' && e.message.includes('needs 65537 subordinate uids but only 65536 are available'),
  );
  // Exactly enough: size 65537 needs 65536.
  const big = buildIdMap({ hostUid: 1000, hostGid: 1000, size: 65537, uidRanges: one, gidRanges: one });
  assert.equal(big.uid[1]!.count, 65536);
  assert.throws(
    () => buildIdMap({ hostUid: 1000, hostGid: 1000, size: 10, uidRanges: one, gidRanges: [] }),
    (e: unknown) => e instanceof SandtrayError && e.code === 'IDMAP' && e.message.includes('needs 9 subordinate gids but only 0'),
  );
});

test('overlapping ranges or a range holding the user are refused', () => {
  assert.throws(
    () => buildIdMap({ hostUid: 100005, hostGid: 1000, size: 100, uidRanges: one, gidRanges: one }),
    (e: unknown) => e instanceof SandtrayError && e.code === 'IDMAP' && /overlap/.test(e.message),
  );
  assert.throws(
    () =>
      buildIdMap({
        hostUid: 1000,
        hostGid: 1000,
        size: 100,
        uidRanges: [
          { start: 100000, size: 10 },
          { start: 100005, size: 100 },
        ],
        gidRanges: one,
      }),
    (e: unknown) => e instanceof SandtrayError && e.code === 'IDMAP',
  );
});

test('invalid size is refused', () => {
  for (const size of [0, -1, 1.5, 2 ** 32]) {
    assert.throws(() => buildIdMap({ hostUid: 1, hostGid: 1, size, uidRanges: one, gidRanges: one }), SandtrayError);
  }
  assert.deepEqual(buildIdMap({ hostUid: 7, hostGid: 8, size: 1, uidRanges: [], gidRanges: [] }), singleIdMap(7, 8));
});

test('formatMapLines matches the kernel text exactly', () => {
  const map = buildIdMap({ hostUid: 1001, hostGid: 1001, size: 65536, uidRanges: one, gidRanges: one });
  assert.equal(formatMapLines(map.uid), '         0       1001          1\n         1     100000      65535\n');
  assert.equal(formatMapLines([{ inside: 0, outside: 0, count: 4294967295 }]), '         0          0 4294967295\n');
  assert.equal(formatMapLines([]), '');
});

test('newuidmapArgs lists pid then triples', () => {
  assert.deepEqual(
    newuidmapArgs(4242, [
      { inside: 0, outside: 1001, count: 1 },
      { inside: 1, outside: 100000, count: 1000 },
      { inside: 1001, outside: 200000, count: 5 },
    ]),
    ['4242', '0', '1001', '1', '1', '100000', '1000', '1001', '200000', '5'],
  );
});

// Real runs: as root, drop to the test user the integration suite uses.
// These run as the unprivileged user of the test suite against its real subordinate ranges:
// the same path as production (unshare, the setuid newuidmap), no root anywhere.

test('newuidmap accepts newuidmapArgs for a fragmented map', async () => {
  const u = await me();
  const first = firstIds(u.uids, 2000);
  // Two fragments out of the user's real ids, in reverse order, so the map has three lines.
  const ids = first.flatMap((r) => Array.from({ length: r.size }, (_, i) => r.start + i));
  const frags = [
    { start: ids[1000]!, size: 1 },
    { start: ids[0]!, size: 1 },
  ];
  const map = buildIdMap({ hostUid: u.uid, hostGid: u.gid, size: 3, uidRanges: frags, gidRanges: frags });
  assert.equal(map.uid.length, 3);
  const script =
    'unshare --user sleep 5 & pid=$!; ' +
    // Wait until the child has its own user namespace (no fixed sleep).
    'while [ "$(readlink /proc/$pid/ns/user)" = "$(readlink /proc/self/ns/user)" ]; do sleep 0.01; done; ' +
    'newuidmap $pid "$@" >&2 || exit 3; ' +
    'cat /proc/$pid/uid_map; kill $pid';
  const out = execFileSync('sh', ['-c', script, 'sh', ...newuidmapArgs(0, map.uid).slice(1)], { encoding: 'utf8' });
  assert.equal(out, formatMapLines(map.uid));
});
