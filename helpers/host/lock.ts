// An exclusive lock file that names its holder (pid + start time), so a crashed holder never blocks forever.
//
// The holder's line is written to a private file first and link()ed into place: link fails with
// EEXIST atomically like O_EXCL, and nobody ever sees a half-written lock. A lock is broken only
// when its holder is surely gone (dead, or its pid reused by a process with another start time);
// content we cannot read is left alone, since only a person can tell what wrote it.
// The lock's folder is checked first (core/trust.ts): a lock in a folder someone else can write
// would let them block us or choose whom we take for its holder.
import { randomBytes } from 'node:crypto';
import { constants as fsc, promises as fs, linkSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { SandtrayError } from '../core/errors.js';
import { procStart } from './proc.js';
import { checkStateDir } from '../core/trust.js';

export interface LockOptions {
  /** How long to wait for another process's lock before LOCKED; 10 s unless set. */
  timeoutMs?: number;
  /** What is locked, for the error message. */
  what?: string;
}

/** A lock we hold. */
export interface HeldLock {
  path: string;
  /** True while the lock file is still ours (someone may break it if we stall for long). */
  stillHeld(): Promise<boolean>;
  /** Removes the lock if it is still ours. */
  release(): Promise<void>;
}

/** Runs fn while holding the lock file at lockPath. Not reentrant. */
export async function withLock<T>(lockPath: string, fn: (lock: HeldLock) => T | Promise<T>, opts: LockOptions = {}): Promise<T> {
  const lock = await acquireLock(lockPath, opts);
  try {
    return await fn(lock);
  } finally {
    await lock.release();
  }
}

interface Holder {
  pid: number;
  start: number;
}

// "PID START\n"; the JSON form {"pid":..,"start":..} of earlier versions is read too.
function parseHolder(text: string): Holder | null {
  const m = /^([1-9][0-9]*) ([0-9]+)\n?$/.exec(text);
  if (m) return { pid: Number(m[1]), start: Number(m[2]) };
  try {
    const j = JSON.parse(text) as Partial<Holder>;
    if (Number.isSafeInteger(j.pid) && j.pid! > 0 && Number.isSafeInteger(j.start)) return { pid: j.pid!, start: j.start! };
  } catch {
    // not JSON either
  }
  return null;
}

/** A unique name next to `base`, for temporary files. */
export function tempName(base: string): string {
  return `${base}.${process.pid}.${randomBytes(6).toString('hex')}`;
}

/** Writes a new file (never an existing one) and fsyncs it. */
export async function writeFileSynced(file: string, data: string): Promise<void> {
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
    // Never through a link, never waiting on a FIFO someone put there.
    fh = await fs.open(lockPath, fsc.O_RDONLY | fsc.O_NOFOLLOW | fsc.O_NONBLOCK);
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

/** Takes the lock, waiting up to the timeout. */
export async function acquireLock(lockPath: string, opts: LockOptions = {}): Promise<HeldLock> {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  if (checkStateDir(path.dirname(path.resolve(lockPath))) === null) {
    throw new SandtrayError('LOCKED', `Cannot create lock ${lockPath}: its folder does not exist`, 'Retry the command.');
  }
  const start = procStart(process.pid);
  if (start === null) throw new SandtrayError('INTERNAL', 'Cannot read /proc/self/stat', 'Is /proc mounted?');
  const tmp = tempName(`${lockPath}.new`);
  try {
    // Not synced: the holder's line is complete before the link makes it the lock, and a lock
    // that a crash left empty is taken for stale below. The lock's own calls are synchronous: a
    // free lock (the usual case) is taken in one turn, without a trip through the thread pool
    // for each of them.
    writeFileSync(tmp, `${process.pid} ${start}\n`, { flag: 'wx', mode: 0o600 });
  } catch (err) {
    throw new SandtrayError('LOCKED', `Cannot create lock ${lockPath}`, 'Check permissions of the directory.', err);
  }
  const deadline = Date.now() + timeoutMs;
  let delay = 2;
  let lastHolder = '';
  try {
    for (;;) {
      try {
        linkSync(tmp, lockPath);
        // tmp and the lock are one inode now; stat tmp, which nobody else touches.
        return heldLock(lockPath, statSync(tmp).ino);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
          throw new SandtrayError('LOCKED', `Cannot create lock ${lockPath}`, 'Check permissions of the directory.', err);
        }
      }
      // Read content and inode through one handle so both describe the same lock file.
      const seen = await readLock(lockPath);
      if (seen === null) continue; // released between our link and our look: retry at once
      // Empty: written before a crash that lost its content (a live lock is linked only once its
      // line is written), so no one holds it.
      if (seen.text === '') {
        await breakStaleLock(lockPath, seen.ino);
        continue;
      }
      const holder = parseHolder(seen.text);
      lastHolder = holder ? `process ${holder.pid}` : `unreadable content ${JSON.stringify(seen.text.slice(0, 40))}`;
      if (holder && procStart(holder.pid) !== holder.start) {
        await breakStaleLock(lockPath, seen.ino);
        continue;
      }
      if (Date.now() >= deadline) {
        throw new SandtrayError(
          'LOCKED',
          `${opts.what ? `${opts.what} is busy: ` : ''}timed out after ${timeoutMs} ms waiting for ${lockPath} (held by ${lastHolder})`,
          `Wait for the other sandtray command to finish; if none is running, remove ${lockPath}.`,
        );
      }
      // Jitter keeps many waiters from retrying in lockstep.
      await sleep(delay + Math.random() * delay);
      delay = Math.min(delay * 2, 100);
    }
  } finally {
    try {
      unlinkSync(tmp);
    } catch {
      // already gone
    }
  }
}

function heldLock(lockPath: string, ino: number): HeldLock {
  const held = (): boolean => {
    try {
      return statSync(lockPath).ino === ino;
    } catch {
      return false;
    }
  };
  return {
    path: lockPath,
    stillHeld: async () => held(),
    async release() {
      if (!held()) return;
      try {
        unlinkSync(lockPath);
      } catch {
        // broken by someone else meanwhile
      }
    },
  };
}
