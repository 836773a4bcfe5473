// An exclusive lock file that names its holder (pid + start time), so a crashed holder never blocks forever.
import fs from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { SandtrayError } from './errors.js';
import { isAlive, selfId, type ProcId } from '../host/proc.js';

export interface LockOptions {
  timeoutMs?: number;
  /** What is locked, for the error message. */
  what?: string;
}

/** Runs fn while holding the lock file at lockPath. */
export async function withLock<T>(lockPath: string, fn: () => T | Promise<T>, opts: LockOptions = {}): Promise<T> {
  const release = await acquireLock(lockPath, opts);
  try {
    return await fn();
  } finally {
    release();
  }
}

/** Takes the lock, waiting up to the timeout; returns the release function. */
export async function acquireLock(lockPath: string, opts: LockOptions = {}): Promise<() => void> {
  const me = JSON.stringify(selfId());
  const deadline = Date.now() + (opts.timeoutMs ?? 10_000);
  let delay = 2;
  for (;;) {
    try {
      const fd = fs.openSync(lockPath, 'wx', 0o600);
      fs.writeSync(fd, me);
      fs.closeSync(fd);
      return () => {
        // Only remove the lock if it is still ours.
        try {
          if (fs.readFileSync(lockPath, 'utf8') === me) fs.unlinkSync(lockPath);
        } catch {
          // already gone
        }
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    breakIfStale(lockPath);
    if (Date.now() > deadline) {
      let holder = 'another sandtray process';
      try {
        const h = JSON.parse(fs.readFileSync(lockPath, 'utf8')) as ProcId;
        holder = `process ${h.pid}`;
      } catch {
        // unreadable holder: keep the generic text
      }
      throw new SandtrayError('LOCKED', `${opts.what ?? lockPath} is busy: ${holder} holds ${lockPath}`, 'Wait for the other sandtray command to finish, then try again.');
    }
    await sleep(delay);
    delay = Math.min(delay * 2, 50);
  }
}

function breakIfStale(lockPath: string): void {
  let text: string;
  try {
    text = fs.readFileSync(lockPath, 'utf8');
  } catch {
    return;
  }
  let holder: ProcId | null = null;
  try {
    holder = JSON.parse(text) as ProcId;
  } catch {
    // A holder that crashed between create and write leaves an empty file: stale once it is old.
    try {
      if (Date.now() - fs.statSync(lockPath).mtimeMs < 2000) return;
    } catch {
      return;
    }
  }
  if (holder && isAlive(holder)) return;
  // Move the stale file aside atomically, then make sure what we moved is the stale one:
  // a live process may have taken the lock between our read and the rename.
  const aside = `${lockPath}.stale.${process.pid}`;
  try {
    fs.renameSync(lockPath, aside);
  } catch {
    return;
  }
  let moved = '';
  try {
    moved = fs.readFileSync(aside, 'utf8');
  } catch {
    // vanished
  }
  if (moved === text) {
    fs.rmSync(aside, { force: true });
    return;
  }
  try {
    fs.linkSync(aside, lockPath);
  } catch {
    // Someone took the lock meanwhile; theirs stands.
  }
  fs.rmSync(aside, { force: true });
}
