// Builds a sandbox's uid/gid maps and turns them into arguments for newuidmap and newgidmap.
import { SandtrayError } from '../core/errors.js';
import { formatRanges, type IdRange } from './rangeset.js';
import type { IdMap, MapLine } from '../core/ids.js';

export type { IdMap, MapLine } from '../core/ids.js';

// Since Linux 4.15 a map may have up to 340 lines (5 before).
const MAX_LINES = 340;
// (uid_t)-1 is never a valid id, inside or out.
const ID_END = 0xffffffff;

function buildLines(kind: 'uid' | 'gid', hostId: number, size: number, ranges: readonly IdRange[]): MapLine[] {
  const lines: MapLine[] = [{ inside: 0, outside: hostId, count: 1 }];
  const outsideUsed: IdRange[] = [{ start: hostId, size: 1 }];
  let inside = 1;
  let left = size - 1;
  for (const r of ranges) {
    if (left === 0) break;
    if (r.size <= 0) continue;
    const count = Math.min(left, r.size);
    // The kernel refuses maps whose outside ids overlap; say which ids clash instead of EINVAL.
    const clash = outsideUsed.find((u) => r.start < u.start + u.size && u.start < r.start + count);
    if (clash) {
      throw new SandtrayError(
        'IDMAP',
        `Subordinate ${kind}s ${formatRanges([{ start: r.start, size: count }])} overlap ${kind}s already mapped (${formatRanges([clash])})`,
        `Fix the overlapping lines in /etc/sub${kind} (they must not include your own ${kind} either).`,
      );
    }
    outsideUsed.push({ start: r.start, size: count });
    const last = lines[lines.length - 1]!;
    // Keep the 0 line alone so --map-root-user can express it; merge only continuous fragments.
    if (last.inside !== 0 && last.outside + last.count === r.start) last.count += count;
    else lines.push({ inside, outside: r.start, count });
    inside += count;
    left -= count;
  }
  if (left > 0) {
    const have = size - 1 - left;
    throw new SandtrayError(
      'IDMAP',
      `A sandbox of ${size} ids needs ${size - 1} subordinate ${kind}s but only ${have} are available (${formatRanges(ranges)})`,
      `Ask an administrator to give you more subordinate ${kind}s (usermod --add-sub${kind}s), or use a smaller id map size.`,
    );
  }
  if (lines.length > MAX_LINES) {
    throw new SandtrayError(
      'IDMAP',
      `The ${kind} map would need ${lines.length} lines; the kernel accepts at most ${MAX_LINES}`,
      'Your subordinate ranges are too fragmented: ask an administrator for one contiguous range.',
    );
  }
  return lines;
}

/**
 * Maps inside 0 to the host user (so the user's files look root-owned inside) and inside
 * 1..size-1 to the subordinate ranges in the order given. `size` counts ids inside, 0 included.
 */
export function buildIdMap(opts: {
  hostUid: number;
  hostGid: number;
  size: number;
  uidRanges: IdRange[];
  gidRanges: IdRange[];
}): IdMap {
  if (!Number.isSafeInteger(opts.size) || opts.size < 1 || opts.size > ID_END) {
    throw new SandtrayError('IDMAP', `Invalid id map size ${opts.size}`, `Use a whole number between 1 and ${ID_END}.`);
  }
  return {
    uid: buildLines('uid', opts.hostUid, opts.size, opts.uidRanges),
    gid: buildLines('gid', opts.hostGid, opts.size, opts.gidRanges),
  };
}

/** The fallback map when the user has no subordinate ids: root inside is the user, nothing else. */
export function singleIdMap(hostUid: number, hostGid: number): IdMap {
  return { uid: [{ inside: 0, outside: hostUid, count: 1 }], gid: [{ inside: 0, outside: hostGid, count: 1 }] };
}

/** The text the kernel shows in /proc/PID/uid_map (`%10u %10u %10u\n` per line). */
export function formatMapLines(lines: readonly MapLine[]): string {
  const col = (n: number): string => String(n).padStart(10);
  return lines.map((l) => `${col(l.inside)} ${col(l.outside)} ${col(l.count)}\n`).join('');
}

/** Arguments after the program name for /usr/bin/newuidmap or newgidmap: `PID inside outside count ...`. */
export function newuidmapArgs(pid: number, lines: readonly MapLine[]): string[] {
  return [String(pid), ...lines.flatMap((l) => [String(l.inside), String(l.outside), String(l.count)])];
}
