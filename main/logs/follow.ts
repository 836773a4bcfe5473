// The log view: the end of a sandbox's log, then whatever is appended, pushed as it is written.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { SandtrayError } from '../../helpers/core/errors.js';
import { readRecord, sandboxDirs } from '../../helpers/runtime/store.js';

export const DEFAULT_TAIL_BYTES = 256 * 1024;

/** The last maxBytes of a file, starting at a line boundary; empty when there is no file yet. */
export function readTail(file: string, maxBytes = DEFAULT_TAIL_BYTES): { text: string; truncated: boolean; size: number } {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch {
    return { text: '', truncated: false, size: 0 };
  }
  try {
    const size = fs.fstatSync(fd).size;
    const start = Math.max(0, size - maxBytes);
    const buf = Buffer.alloc(size - start);
    fs.readSync(fd, buf, 0, buf.length, start);
    let text = buf.toString('utf8');
    if (start > 0) text = text.slice(text.indexOf('\n') + 1);
    return { text, truncated: start > 0, size };
  } finally {
    fs.closeSync(fd);
  }
}

interface Follow {
  owner: number;
  close(): void;
}

/** Log follows by id; each watches the log's folder, so a log created or replaced later is picked up. */
export class LogFollowers {
  private readonly follows = new Map<string, Follow>();

  constructor(private readonly onData: (followId: string, text: string) => void) {}

  read(name: string, maxBytes?: number): { text: string; truncated: boolean } {
    readRecord(name);
    const { text, truncated } = readTail(sandboxDirs(name).log, maxBytes);
    return { text, truncated };
  }

  follow(name: string, owner: number): { followId: string; text: string; truncated: boolean } {
    readRecord(name);
    const file = sandboxDirs(name).log;
    const followId = randomBytes(12).toString('base64url');
    const first = readTail(file);
    let pos = first.size;
    const pump = (): void => {
      let size: number;
      try {
        size = fs.statSync(file).size;
      } catch {
        return;
      }
      if (size < pos) pos = 0; // truncated or recreated: start over
      if (size === pos) return;
      const fd = fs.openSync(file, 'r');
      try {
        const buf = Buffer.alloc(Math.min(size - pos, DEFAULT_TAIL_BYTES));
        const n = fs.readSync(fd, buf, 0, buf.length, pos);
        pos += n;
        this.onData(followId, buf.subarray(0, n).toString('utf8'));
      } finally {
        fs.closeSync(fd);
      }
    };
    const dir = path.dirname(file);
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const watcher = fs.watch(dir, (_event, changed) => {
      if (!changed || changed === path.basename(file)) pump();
    });
    // Appends from another process on some file systems do not notify; a slow poll covers them.
    const poll = setInterval(pump, 1000);
    poll.unref();
    this.follows.set(followId, {
      owner,
      close: () => {
        watcher.close();
        clearInterval(poll);
      },
    });
    return { followId, text: first.text, truncated: first.truncated };
  }

  unfollow(followId: string, owner: number): void {
    const f = this.follows.get(followId);
    if (!f || f.owner !== owner) throw new SandtrayError('NOT_FOUND', 'That log view is closed');
    f.close();
    this.follows.delete(followId);
  }

  closeOwner(owner: number): void {
    for (const [id, f] of this.follows) {
      if (f.owner === owner) {
        f.close();
        this.follows.delete(id);
      }
    }
  }
}
