// Isolated-mode id leases: one JSON file changed only under an exclusive lock, so slices never overlap.
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { SandtrayError } from '../core/errors.js';
import { allocate, contains, formatRanges, subtract, takeFirst, totalSize, type IdRange } from './rangeset.js';

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

export interface LockOptions {
  /** How long to wait for another process's lock before LOCKED; 10 s unless set. */
  timeoutMs?: number;
}

/** Start time of a process in clock ticks since boot (field 22 of /proc/PID/stat), or null if gone. */
export async function processStartTime(pid: number): Promise<string | null> {
  let stat: string;
  try {
    stat = await fs.readFile(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // comm (field 2) may hold spaces and parentheses, so count fields from the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // A zombie can never release the lock, so it counts as dead.
  if (fields[0] === 'Z' || fields[0] === 'X') return null;
  return fields[19] ?? null;
}

interface Holder {
  pid: number;
  start: string;
}

function parseHolder(text: string): Holder | null {
  const m = /^([1-9][0-9]*) ([0-9]+)\n?$/.exec(text);
  return m ? { pid: Number(m[1]), start: m[2]! } : null;
}

function tempName(base: string): string {
  return `${base}.${process.pid}.${randomBytes(6).toString('hex')}`;
}

async function writeFileSynced(file: string, data: string): Promise<void> {
  const fh = await fs.open(file, 'wx', 0o600);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

// Breaks the lock at `lockPath` if it is still the stale inode we judged. Renaming first means
// that if another process replaced the stale lock meanwhile we moved a live one, and can put it back.
async function breakStaleLock(lockPath: string, staleIno: number): Promise<void> {
  const aside = tempName(`${lockPath}.stale`);
  try {
    await fs.rename(lockPath, aside);
  } catch {
    return; // someone else broke or released it first
  }
  const st = await fs.stat(aside).catch(() => null);
  if (st && st.ino !== staleIno) {
    // A live lock: link it back (same inode, so its holder's check still passes).
    await fs.link(aside, lockPath).catch(() => undefined);
  }
  await fs.unlink(aside).catch(() => undefined);
}

async function readLock(lockPath: string): Promise<{ text: string; ino: number } | null> {
  let fh: fs.FileHandle;
  try {
    fh = await fs.open(lockPath, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new SandtrayError('LOCKED', `Cannot read lock ${lockPath}`, 'Check permissions of the directory.', err);
  }
  try {
    const [st, text] = await Promise.all([fh.stat(), fh.readFile('utf8')]);
    return { text, ino: st.ino };
  } finally {
    await fh.close();
  }
}

interface HeldLock {
  path: string;
  ino: number;
}

async function acquireLock(lockPath: string, timeoutMs: number): Promise<HeldLock> {
  const start = await processStartTime(process.pid);
  if (start === null) throw new SandtrayError('INTERNAL', 'Cannot read /proc/self/stat', 'Is /proc mounted?');
  // Write the full content to a private file and link() it into place: link fails with EEXIST
  // atomically like O_EXCL, and nobody can ever see a half-written lock.
  const tmp = tempName(`${lockPath}.new`);
  await writeFileSynced(tmp, `${process.pid} ${start}\n`);
  const deadline = Date.now() + timeoutMs;
  let delay = 5;
  let lastHolder = '';
  try {
    for (;;) {
      try {
        await fs.link(tmp, lockPath);
        // tmp and the lock are one inode now; stat tmp, which nobody else touches.
        const st = await fs.stat(tmp);
        return { path: lockPath, ino: st.ino };
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
          throw new SandtrayError('LOCKED', `Cannot create lock ${lockPath}`, 'Check permissions of the directory.', err);
        }
      }
      // Read content and inode through one handle so both describe the same lock file.
      const seen = await readLock(lockPath);
      if (seen === null) continue; // released between our link and our look: retry at once
      const holder = parseHolder(seen.text);
      lastHolder = holder ? `process ${holder.pid}` : `unreadable content ${JSON.stringify(seen.text.slice(0, 40))}`;
      // Break only when sure: holder dead, or its pid reused by a process started at another time.
      // Unreadable content is left alone; only a person can tell what wrote it.
      if (holder && (await processStartTime(holder.pid)) !== holder.start) {
        await breakStaleLock(lockPath, seen.ino);
        continue;
      }
      if (Date.now() >= deadline) {
        throw new SandtrayError(
          'LOCKED',
          `Timed out after ${timeoutMs} ms waiting for ${lockPath} (held by ${lastHolder})`,
          `Wait for the other sandtray command to finish; if none is running, remove ${lockPath}.`,
        );
      }
      // Jitter keeps many waiters from retrying in lockstep.
      await sleep(delay + Math.random() * delay);
      delay = Math.min(delay * 2, 100);
    }
  } finally {
    await fs.unlink(tmp).catch(() => undefined);
  }
}

// True when the lock file is still ours; someone may have broken it if we stalled a long time.
async function stillHeld(lock: HeldLock): Promise<boolean> {
  const st = await fs.stat(lock.path).catch(() => null);
  return st !== null && st.ino === lock.ino;
}

async function releaseLock(lock: HeldLock): Promise<void> {
  if (await stillHeld(lock)) await fs.unlink(lock.path).catch(() => undefined);
}

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
    if (!(await stillHeld(lock))) {
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

/**
 * Runs fn on the lease file under its exclusive lock (FILE.lock) and saves what fn changed.
 * Not reentrant: calling it again inside fn waits for itself until the timeout.
 */
export async function withLeases<T>(
  file: string,
  fn: (db: LeaseDb) => T | Promise<T>,
  opts: LockOptions = {},
): Promise<T> {
  await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const lock = await acquireLock(`${file}.lock`, opts.timeoutMs ?? 10_000);
  try {
    const db = await readDb(file);
    const before = JSON.stringify(db);
    const result = await fn(db);
    const checked = LeaseDbSchema.parse(db);
    if (JSON.stringify(checked) !== before) await writeDbAtomic(file, checked, lock);
    return result;
  } finally {
    await releaseLock(lock);
  }
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
