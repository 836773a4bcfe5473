// Pure set algebra over integer id ranges; the id map allocator is built on it (Incus shared/idmap).
import type { IdRange } from '../core/ids.js';

export type { IdRange } from '../core/ids.js';

/** Sorts ranges and merges adjacent and overlapping ones; empty ranges disappear. */
export function normalize(ranges: readonly IdRange[]): IdRange[] {
  const sorted = ranges.filter((r) => r.size > 0).map((r) => ({ start: r.start, size: r.size }));
  sorted.sort((x, y) => x.start - y.start);
  const out: IdRange[] = [];
  for (const r of sorted) {
    const last = out[out.length - 1];
    if (last && r.start <= last.start + last.size) {
      last.size = Math.max(last.start + last.size, r.start + r.size) - last.start;
    } else {
      out.push(r);
    }
  }
  return out;
}

/** The ids of `a` that are not in `b`, normalized. */
export function subtract(a: readonly IdRange[], b: readonly IdRange[]): IdRange[] {
  const cut = normalize(b);
  const out: IdRange[] = [];
  for (const r of normalize(a)) {
    let start = r.start;
    const end = r.start + r.size;
    for (const c of cut) {
      const cEnd = c.start + c.size;
      if (cEnd <= start) continue;
      if (c.start >= end) break;
      if (c.start > start) out.push({ start, size: c.start - start });
      start = Math.max(start, cEnd);
      if (start >= end) break;
    }
    if (start < end) out.push({ start, size: end - start });
  }
  return out;
}

/** The ids that are in both `a` and `b`, normalized. */
export function intersect(a: readonly IdRange[], b: readonly IdRange[]): IdRange[] {
  const x = normalize(a);
  const y = normalize(b);
  const out: IdRange[] = [];
  let i = 0;
  let j = 0;
  while (i < x.length && j < y.length) {
    const p = x[i]!;
    const q = y[j]!;
    const start = Math.max(p.start, q.start);
    const end = Math.min(p.start + p.size, q.start + q.size);
    if (start < end) out.push({ start, size: end - start });
    // Advance whichever ends first; the other may still overlap the next one.
    if (p.start + p.size <= q.start + q.size) i++;
    else j++;
  }
  return out;
}

/** True when every id of `inner` is also in `outer`. */
export function contains(outer: readonly IdRange[], inner: readonly IdRange[]): boolean {
  return subtract(inner, outer).length === 0;
}

/** How many distinct ids the ranges hold (overlaps count once). */
export function totalSize(ranges: readonly IdRange[]): number {
  return normalize(ranges).reduce((n, r) => n + r.size, 0);
}

/** The first `count` ids of the ranges in ascending order, or null when they hold fewer. */
export function takeFirst(ranges: readonly IdRange[], count: number): IdRange[] | null {
  const out: IdRange[] = [];
  let left = count;
  for (const r of normalize(ranges)) {
    if (left <= 0) break;
    const n = Math.min(left, r.size);
    out.push({ start: r.start, size: n });
    left -= n;
  }
  return left > 0 ? null : out;
}

/**
 * Picks `size` ids from `free`: the first contiguous block that fits, else fragments in
 * ascending order, else null. One block keeps the id map to a single line, which is what
 * util-linux `unshare --map-users` can express and what keeps `newuidmap` argv short.
 */
export function allocate(free: readonly IdRange[], size: number): IdRange[] | null {
  if (!Number.isSafeInteger(size) || size < 0) return null;
  if (size === 0) return [];
  const ranges = normalize(free);
  const block = ranges.find((r) => r.size >= size);
  if (block) return [{ start: block.start, size }];
  return takeFirst(ranges, size);
}

/** Human text such as `100000-165535, 200000-200999` for messages and hints. */
export function formatRanges(ranges: readonly IdRange[]): string {
  if (ranges.length === 0) return '(none)';
  return ranges.map((r) => `${r.start}-${r.start + r.size - 1}`).join(', ');
}
