// Nesting: the part of a sandbox's own id map it hands on to the sandboxes it creates.
import type { IdMap, MapLine } from './map.js';
import type { IdRange } from './rangeset.js';

/** Ids a sandbox keeps for its own users before delegating the rest (a full 16-bit block). */
export const KEEP_IDS = 65536;

/** The name /etc/subuid inside a nesting sandbox gives its ranges to: the sandbox's root. */
export const DELEGATE_OWNER = 'root';

function mappedInside(lines: readonly MapLine[]): number {
  return lines.reduce((n, l) => n + l.count, 0);
}

/**
 * The ids (as numbers inside the sandbox) a nesting sandbox delegates to its children: every id
 * above the first min(65536, half) it keeps for itself. Null when it maps too few ids to share.
 * The same block is used for uids and gids, as `usermod --add-subuids A-B --add-subgids A-B` does.
 */
export function delegatedRange(map: IdMap): IdRange | null {
  const total = Math.min(mappedInside(map.uid), mappedInside(map.gid));
  const keep = Math.min(KEEP_IDS, Math.floor(total / 2));
  if (keep < 1 || total - keep < 1) return null;
  return { start: keep, size: total - keep };
}

/** /etc/subuid and /etc/subgid for inside the sandbox; empty files when nothing is delegated. */
export function subIdFiles(range: IdRange | null): { subuid: string; subgid: string } {
  const line = range ? `${DELEGATE_OWNER}:${range.start}:${range.size}\n` : '';
  return { subuid: line, subgid: line };
}

/** Host ids behind inside ids [start, start+size) of one map (for reports). */
export function hostIdsOf(lines: readonly MapLine[], inside: IdRange): IdRange[] {
  const out: IdRange[] = [];
  for (const l of lines) {
    const s = Math.max(l.inside, inside.start);
    const e = Math.min(l.inside + l.count, inside.start + inside.size);
    if (s < e) out.push({ start: l.outside + (s - l.inside), size: e - s });
  }
  return out;
}
