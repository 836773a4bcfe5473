// Test helpers for id maps: the running user's real subordinate ranges and test subuid files.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readUserSubIds } from '../../helpers/idmap/subid.js';
import { takeFirst, type IdRange } from '../../helpers/idmap/rangeset.js';
import { TEST_SUBID_ENV } from '../../helpers/idmap/subid.js';
import type { Env } from './sandtray.js';

export interface Me {
  name: string;
  uid: number;
  gid: number;
  uids: IdRange[];
  gids: IdRange[];
}

/**
 * The user running the tests and their real subordinate ranges. The suite needs them (the test
 * runner's user in CI has 300000-1299999): no ranges is a failure here, never a skip.
 */
export async function me(): Promise<Me> {
  const name = os.userInfo().username;
  const uid = process.getuid!();
  const gid = process.getgid!();
  const saved = process.env[TEST_SUBID_ENV];
  delete process.env[TEST_SUBID_ENV];
  try {
    const ids = await readUserSubIds({ name, uid });
    if (!ids.uid.ranges.length || !ids.gid.ranges.length) {
      throw new Error(`user ${name} has no subordinate ids; the tests need them (usermod --add-subuids 300000-1299999 --add-subgids 300000-1299999 ${name})`);
    }
    return { name, uid, gid, uids: ids.uid.ranges, gids: ids.gid.ranges };
  } finally {
    if (saved !== undefined) process.env[TEST_SUBID_ENV] = saved;
  }
}

/** The first `count` ids of the ranges (throws when there are fewer). */
export function firstIds(ranges: readonly IdRange[], count: number): IdRange[] {
  const got = takeFirst(ranges, count);
  if (!got) throw new Error(`the tests need ${count} subordinate ids, the user has fewer`);
  return got;
}

/** subuid/subgid text for the user: one `name:start:count` line per range, plus extra lines. */
export function subIdText(user: string, ranges: readonly IdRange[], extra: string[] = []): string {
  return [...ranges.map((r) => `${user}:${r.start}:${r.size}`), ...extra].join('\n') + '\n';
}

/**
 * Writes test subuid/subgid files into the environment and returns the env to pass to the CLI
 * (SANDTRAY_TEST_SUBID_DIR set); call it again to change the files.
 */
export function withSubIdFiles(e: Env, subuid: string, subgid = subuid): Record<string, string> {
  const dir = path.join(e.dir, 'subids');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'subuid'), subuid);
  fs.writeFileSync(path.join(dir, 'subgid'), subgid);
  return { ...e.env, [TEST_SUBID_ENV]: dir };
}

/** True when no id of `a` is in `b`. */
export function disjoint(a: readonly IdRange[], b: readonly IdRange[]): boolean {
  return a.every((x) => b.every((y) => x.start + x.size <= y.start || y.start + y.size <= x.start));
}
