// Isolated-mode id leases: one JSON file changed only under an exclusive lock, so slices never overlap.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { SandtrayError } from '../core/errors.js';
import { tempName, withLock, writeFileSynced, type HeldLock, type LockOptions } from '../host/lock.js';
import type { Paths } from '../core/paths.js';
import { allocate, formatRanges, subtract, takeFirst, totalSize, type IdRange } from './rangeset.js';

const RangeSchema = z.strictObject({
  start: z.number().int().nonnegative(),
  size: z.number().int().positive(),
});

const LeaseSchema = z.strictObject({
  sandbox: z.string().min(1),
  uid: z.array(RangeSchema),
  gid: z.array(RangeSchema),
  size: z.number().int().positive(),
  createdAt: z.string(),
});

const LeaseDbSchema = z.strictObject({
  version: z.literal(1),
  leases: z.array(LeaseSchema),
});

/** One isolated sandbox's slice: `size` ids inside, so size-1 subordinate uids and gids. */
export type Lease = z.infer<typeof LeaseSchema>;

/** The lease file's content; withLeases writes it back when fn changed it. */
export type LeaseDb = z.infer<typeof LeaseDbSchema>;

async function readDb(file: string): Promise<LeaseDb> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, leases: [] };
    throw new SandtrayError('IDMAP', `Cannot read the id lease file ${file}`, undefined, err);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    json = err;
  }
  const parsed = LeaseDbSchema.safeParse(json);
  if (!parsed.success) {
    // Starting from an empty list would hand out slices that live sandboxes still use.
    throw new SandtrayError(
      'IDMAP',
      `The id lease file ${file} is damaged`,
      'Stop all isolated sandboxes, then move the file aside; leases are recreated on next start.',
      parsed.error,
    );
  }
  return parsed.data;
}

async function writeDbAtomic(file: string, db: LeaseDb, lock: HeldLock): Promise<void> {
  const tmp = tempName(`${file}.tmp`);
  await writeFileSynced(tmp, `${JSON.stringify(db, null, 2)}\n`);
  try {
    if (!(await lock.stillHeld())) {
      throw new SandtrayError('LOCKED', `Lost the lock on ${file} while updating it`, 'Retry the command.');
    }
    await fs.rename(tmp, file);
  } catch (err) {
    await fs.unlink(tmp).catch(() => undefined);
    throw err;
  }
  // The rename is durable only once the directory entry is on disk.
  const dir = await fs.open(path.dirname(file), 'r');
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}

/** Where the user's leases live (the data directory, next to the sandboxes). */
export function leaseFile(paths: Paths): string {
  return path.join(paths.data, 'idmap-leases.json');
}

/**
 * Runs fn on the lease file under its exclusive lock (FILE.lock) and saves what fn changed.
 * Not reentrant: calling it again inside fn waits for itself until the timeout.
 */
export async function withLeases<T>(
  file: string,
  fn: (db: LeaseDb) => T | Promise<T>,
  opts: Pick<LockOptions, 'timeoutMs'> = {},
): Promise<T> {
  await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  return withLock(
    `${file}.lock`,
    async (lock) => {
      const db = await readDb(file);
      const before = JSON.stringify(db);
      const result = await fn(db);
      const checked = LeaseDbSchema.parse(db);
      if (JSON.stringify(checked) !== before) await writeDbAtomic(file, checked, lock);
      return result;
    },
    { timeoutMs: opts.timeoutMs ?? 10_000, what: 'The id lease file' },
  );
}

/** Reads the leases without taking the lock (a snapshot for reports; never for allocation). */
export async function readLeases(file: string): Promise<LeaseDb> {
  return readDb(file);
}

/**
 * Leases `size` ids (size-1 subordinate uids and gids) to a sandbox from the user's ranges minus
 * other leases and minus the first sharedSize-1 ids, which shared-mode sandboxes all use.
 * Returns the sandbox's existing lease when it already has one of that size.
 */
export function lease(
  db: LeaseDb,
  sandbox: string,
  size: number,
  uidRanges: readonly IdRange[],
  gidRanges: readonly IdRange[],
  sharedSize: number,
): Lease {
  if (!Number.isSafeInteger(size) || size < 2) {
    throw new SandtrayError('IDMAP', `Invalid isolated id map size ${size}`, 'Use a whole number of at least 2.');
  }
  const existing = db.leases.find((l) => l.sandbox === sandbox);
  if (existing) {
    if (existing.size === size) return existing;
    throw new SandtrayError(
      'IDMAP',
      `Sandbox ${sandbox} already holds a lease of ${existing.size} ids, not ${size}`,
      'Delete the sandbox to free its ids before changing its id map size.',
    );
  }
  const pick = (kind: 'uid' | 'gid', ranges: readonly IdRange[]): IdRange[] => {
    const shared = takeFirst(ranges, Math.max(0, sharedSize - 1)) ?? [...ranges];
    const free = subtract(subtract(ranges, shared), db.leases.flatMap((l) => l[kind]));
    const got = allocate(free, size - 1);
    if (!got) {
      throw new SandtrayError(
        'IDMAP',
        `Not enough free subordinate ${kind}s for sandbox ${sandbox}: it needs ${size - 1}, ${totalSize(free)} are free`,
        `Delete isolated sandboxes you no longer need, use a smaller id map size, or ask an administrator for more subordinate ${kind}s (usermod --add-sub${kind}s).`,
      );
    }
    return got;
  };
  const made: Lease = {
    sandbox,
    uid: pick('uid', uidRanges),
    gid: pick('gid', gidRanges),
    size,
    createdAt: new Date().toISOString(),
  };
  db.leases.push(made);
  return made;
}

/** Frees a sandbox's lease; returns it, or null when it had none. */
export function release(db: LeaseDb, sandbox: string): Lease | null {
  const i = db.leases.findIndex((l) => l.sandbox === sandbox);
  if (i < 0) return null;
  return db.leases.splice(i, 1)[0] ?? null;
}

/** Why a lease can no longer be used (an admin shrank the user's ranges), or null when it is fine. */
export function validateLease(l: Lease, uidRanges: readonly IdRange[], gidRanges: readonly IdRange[]): string | null {
  for (const [kind, have, now] of [
    ['uid', l.uid, uidRanges],
    ['gid', l.gid, gidRanges],
  ] as const) {
    if (totalSize(have) !== l.size - 1) {
      return `the ${kind} lease of sandbox ${l.sandbox} holds ${totalSize(have)} ids, not ${l.size - 1}`;
    }
    const lost = subtract(have, now);
    if (lost.length > 0) {
      return `${kind}s ${formatRanges(lost)} leased to sandbox ${l.sandbox} are no longer among your subordinate ${kind}s (${formatRanges(now)})`;
    }
  }
  return null;
}
