// The log view: the end of a sandbox's logs, then whatever is appended, pushed as it is written.
// Lines reach the window as text: lifecycle lines as they are, each line of the sandbox's own
// output behind INSIDE_PREFIX (so it can never pass for a lifecycle line), and every control
// character made visible, as on the terminal.
import { randomBytes } from 'node:crypto';
import { SandtrayError } from '../../helpers/api/index.js';
import { followSandboxLog, formatLogLine, readRecord, readSandboxLog, readTail as readFileTail, sandboxDirs, type LogLine } from '../../helpers/api/index.js';

export const DEFAULT_TAIL_BYTES = 256 * 1024;

/** The last maxBytes of a file, starting at a line boundary; empty when there is no file yet. */
export function readTail(file: string, maxBytes = DEFAULT_TAIL_BYTES): { text: string; truncated: boolean; size: number } {
  return readFileTail(file, maxBytes);
}

function asText(lines: LogLine[]): string {
  return lines.map((l) => `${formatLogLine(l)}\n`).join('');
}

/** Both logs of a sandbox as the window shows them: lifecycle lines, then the sandbox's output. */
function snapshot(name: string, maxBytes = DEFAULT_TAIL_BYTES): { text: string; truncated: boolean } {
  const snap = readSandboxLog(sandboxDirs(name).log, maxBytes);
  return { text: asText(snap.lines), truncated: snap.truncated.sandtray || snap.truncated.sandbox };
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
    return snapshot(name, maxBytes);
  }

  follow(name: string, owner: number): { followId: string; text: string; truncated: boolean } {
    readRecord(name);
    const followId = randomBytes(12).toString('base64url');
    // Complete lines only, from both files; what follows starts right after what is shown first.
    const f = followSandboxLog(sandboxDirs(name).log, (lines) => this.onData(followId, asText(lines)), DEFAULT_TAIL_BYTES);
    this.follows.set(followId, { owner, close: () => f.close() });
    return { followId, text: asText(f.initial.lines), truncated: f.initial.truncated.sandtray || f.initial.truncated.sandbox };
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
