import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  allocate,
  contains,
  formatRanges,
  intersect,
  normalize,
  subtract,
  takeFirst,
  totalSize,
  type IdRange,
} from '../../helpers/idmap/rangeset.js';

const r = (start: number, size: number): IdRange => ({ start, size });

test('normalize merges adjacent ranges', () => {
  assert.deepEqual(normalize([r(100, 10), r(110, 5)]), [r(100, 15)]);
});

test('normalize merges overlapping and contained ranges', () => {
  assert.deepEqual(normalize([r(100, 10), r(105, 10)]), [r(100, 15)]);
  assert.deepEqual(normalize([r(100, 50), r(110, 5)]), [r(100, 50)]);
});

test('normalize sorts, keeps gaps and drops empty ranges', () => {
  assert.deepEqual(normalize([r(300, 5), r(100, 5), r(200, 0), r(106, 1)]), [r(100, 5), r(106, 1), r(300, 5)]);
});

test('normalize does not change its input', () => {
  const input = [r(110, 5), r(100, 10)];
  normalize(input);
  assert.deepEqual(input, [r(110, 5), r(100, 10)]);
});

test('subtract cuts holes, edges and whole ranges', () => {
  assert.deepEqual(subtract([r(100, 100)], [r(120, 10)]), [r(100, 20), r(130, 70)]);
  assert.deepEqual(subtract([r(100, 100)], [r(50, 60)]), [r(110, 90)]);
  assert.deepEqual(subtract([r(100, 100)], [r(190, 60)]), [r(100, 90)]);
  assert.deepEqual(subtract([r(100, 100)], [r(0, 1000)]), []);
  assert.deepEqual(subtract([r(100, 10)], []), [r(100, 10)]);
});

test('subtract over several ranges on both sides', () => {
  assert.deepEqual(subtract([r(0, 10), r(20, 10), r(40, 10)], [r(5, 20), r(45, 1)]), [
    r(0, 5),
    r(25, 5),
    r(40, 5),
    r(46, 4),
  ]);
});

test('intersect of several ranges', () => {
  assert.deepEqual(intersect([r(0, 10), r(20, 10)], [r(5, 20)]), [r(5, 5), r(20, 5)]);
  assert.deepEqual(intersect([r(0, 10)], [r(10, 10)]), []);
  assert.deepEqual(intersect([r(0, 100)], [r(10, 5), r(20, 5), r(200, 5)]), [r(10, 5), r(20, 5)]);
});

test('contains needs every inner id, across adjacent outer ranges too', () => {
  assert.equal(contains([r(100, 10), r(110, 10)], [r(105, 10)]), true);
  assert.equal(contains([r(100, 10), r(111, 10)], [r(105, 10)]), false);
  assert.equal(contains([r(100, 10)], []), true);
  assert.equal(contains([], [r(1, 1)]), false);
});

test('totalSize counts overlapping ids once', () => {
  assert.equal(totalSize([r(0, 10), r(5, 10), r(100, 1)]), 16);
  assert.equal(totalSize([]), 0);
});

test('takeFirst spans fragments and reports shortage', () => {
  assert.deepEqual(takeFirst([r(200, 5), r(100, 5)], 7), [r(100, 5), r(200, 2)]);
  assert.equal(takeFirst([r(100, 5)], 6), null);
  assert.deepEqual(takeFirst([r(100, 5)], 0), []);
});

test('allocate prefers the first contiguous block that fits', () => {
  assert.deepEqual(allocate([r(100, 5), r(200, 50), r(300, 50)], 20), [r(200, 20)]);
  assert.deepEqual(allocate([r(100, 20)], 20), [r(100, 20)]);
});

test('allocate combines fragments in ascending order when no block fits', () => {
  assert.deepEqual(allocate([r(300, 10), r(100, 10), r(200, 10)], 25), [r(100, 10), r(200, 10), r(300, 5)]);
});

test('allocate returns null on exhaustion', () => {
  assert.equal(allocate([r(100, 10), r(200, 10)], 21), null);
  assert.equal(allocate([], 1), null);
  assert.equal(allocate([r(0, 10)], -1), null);
  assert.deepEqual(allocate([], 0), []);
});

test('fragmentation after releases: freed holes are reused, first fit then combined', () => {
  const all = [r(100000, 1000)];
  // Five slices of 100 ids, then release the 2nd and 4th.
  let used: IdRange[] = [];
  const slices: IdRange[][] = [];
  for (let i = 0; i < 5; i++) {
    const got = allocate(subtract(all, used), 100);
    assert.ok(got);
    slices.push(got);
    used = normalize([...used, ...got]);
  }
  assert.deepEqual(slices.map((s) => s[0]!.start), [100000, 100100, 100200, 100300, 100400]);
  used = subtract(used, [...slices[1]!, ...slices[3]!]);
  const free = subtract(all, used);
  assert.deepEqual(free, [r(100100, 100), r(100300, 100), r(100500, 500)]);
  // 100 fits the first hole exactly.
  assert.deepEqual(allocate(free, 100), [r(100100, 100)]);
  // 150 skips both holes for the tail block.
  assert.deepEqual(allocate(free, 150), [r(100500, 150)]);
  // 650 fits no block: holes first, then the tail.
  assert.deepEqual(allocate(free, 650), [r(100100, 100), r(100300, 100), r(100500, 450)]);
  assert.equal(allocate(free, 701), null);
});

test('formatRanges prints inclusive ends', () => {
  assert.equal(formatRanges([r(100000, 65536), r(5, 1)]), '100000-165535, 5-5');
  assert.equal(formatRanges([]), '(none)');
});
