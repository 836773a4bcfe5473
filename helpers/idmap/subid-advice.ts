// Advice for the administrator: which subordinate ids to give a user, computed from what
// /etc/subuid and /etc/subgid already hand out, so that following it never gives two users the
// same ids.
import fs from 'node:fs';
import path from 'node:path';
import type { IdRange } from './rangeset.js';

/** Where a suggested block may start: useradd's default SUB_UID_MIN, then every 65536 after it. */
export const SUBID_FIRST = 100000;
export const SUBID_BLOCK = 65536;
// (uid_t)-1 is "no id": the last usable id is 4294967294.
const ID_LIMIT = 0xffffffff;

/**
 * A number as shadow reads it (strtoul with base 0: a leading 0x is hex, a leading 0 octal), or
 * null. Lines the parser would skip still count as taken here when they parse this way: advice
 * errs on the side of never overlapping what an administrator meant.
 */
function shadowNumber(s: string): number | null {
  const t = s.trim();
  let n: number;
  if (/^0x[0-9a-f]+$/i.test(t)) n = parseInt(t.slice(2), 16);
  else if (/^0[0-7]*$/.test(t)) n = parseInt(t, 8);
  else if (/^[1-9][0-9]*$/.test(t)) n = Number(t);
  else return null;
  return Number.isSafeInteger(n) ? n : null;
}

/** Every range in subuid/subgid text, whoever owns it. */
export function takenRanges(text: string): IdRange[] {
  const out: IdRange[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '' || line.trimStart().startsWith('#')) continue;
    const f = line.split(':');
    if (f.length !== 3) continue;
    const start = shadowNumber(f[1]!);
    const size = shadowNumber(f[2]!);
    if (start === null || size === null || size < 1) continue;
    out.push({ start, size });
  }
  return out;
}

/**
 * The first block of `size` ids at SUBID_FIRST + k * SUBID_BLOCK that overlaps none of the taken
 * ranges (give it those of both /etc/subuid and /etc/subgid: one block then fits both), or null
 * when none is left below the largest valid id.
 */
export function freeSubIdRange(taken: readonly IdRange[], size = SUBID_BLOCK): IdRange | null {
  for (let start = SUBID_FIRST; start + size <= ID_LIMIT; start += SUBID_BLOCK) {
    const end = start + size;
    // Skip straight past the range in the way, to the next block start after it.
    const hit = taken.find((r) => r.start < end && start < r.start + r.size);
    if (!hit) return { start, size };
    const after = hit.start + hit.size;
    start = SUBID_FIRST + Math.ceil((after - SUBID_FIRST) / SUBID_BLOCK) * SUBID_BLOCK - SUBID_BLOCK;
  }
  return null;
}

function shellQuote(s: string): string {
  return /^[A-Za-z0-9_.@%+=-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The `usermod` line that gives `user` the first free block; null when none is free. */
export function subIdAdviceFor(user: string, taken: readonly IdRange[]): string | null {
  const r = freeSubIdRange(taken);
  if (!r) return null;
  const span = `${r.start}-${r.start + r.size - 1}`;
  return `usermod --add-subuids ${span} --add-subgids ${span} ${shellQuote(user)}`;
}

/**
 * The `usermod` line that gives `user` a block free in both files, from their texts; null when
 * no block is free.
 */
export function subIdAdvice(user: string, subuidText: string, subgidText: string): string | null {
  return subIdAdviceFor(user, [...takenRanges(subuidText), ...takenRanges(subgidText)]);
}

/**
 * The advice for this host: reads /etc/subuid and /etc/subgid (or the test folder of
 * SANDTRAY_TEST_SUBID_DIR, as the rest of the id map code does). A missing file lists nothing.
 */
export function hostSubIdAdvice(user: string, dir: string | null = null): string {
  const read = (f: string): string => {
    try {
      return fs.readFileSync(dir ? path.join(dir, f) : path.join('/etc', f), 'utf8');
    } catch {
      return '';
    }
  };
  return subIdAdvice(user, read('subuid'), read('subgid'))
    ?? `no block of ${SUBID_BLOCK} ids is free in /etc/subuid and /etc/subgid: give ${user} a range that no other user holds`;
}
