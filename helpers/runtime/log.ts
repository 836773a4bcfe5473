// A sandbox's logs. Two files, kept apart because only one of them can be trusted:
//
// - the lifecycle log (NAME.log): one timestamped line per lifecycle event, plus the output of the
//   host-side helpers the engine runs (pasta, the VPN client). Only the engine holds it open; no
//   process of the sandbox has a descriptor of it, so nothing inside can truncate or forge it.
// - the sandbox's output (NAME.output.log): pid 1's stdout and stderr. Code inside reaches that
//   file through /proc/1/fd/1 and may rewrite it at will, so it is only ever shown as the
//   sandbox's own words, each line marked, with its control characters made visible.
import fs from 'node:fs';
import path from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { visible } from '../core/visible.js';

/** Appends a lifecycle line to the lifecycle log. */
export function logEvent(logFile: string, message: string): void {
  try {
    fs.mkdirSync(path.dirname(logFile), { recursive: true, mode: 0o700 });
    fs.appendFileSync(logFile, `${new Date().toISOString()} sandtray: ${message}\n`, { mode: 0o600 });
  } catch {
    // Logging must never turn a working operation into a failure.
  }
}

/** The file pid 1's stdout and stderr go to, next to the lifecycle log (NAME.log -> NAME.output.log). */
export function sandboxOutputFile(logFile: string): string {
  return path.join(path.dirname(logFile), `${path.basename(logFile, '.log')}.output.log`);
}

/** Who wrote a log line: the engine (lifecycle log) or the sandbox (its own output). */
export type LogSource = 'sandtray' | 'sandbox';
export interface LogLine {
  source: LogSource;
  line: string;
}

/** Marks each line of the sandbox's output wherever it is shown next to lifecycle lines. */
export const INSIDE_PREFIX = '[inside] ';

/**
 * One log line for a terminal or the desktop: control characters visible, and a sandbox line
 * always behind INSIDE_PREFIX, so no line the sandbox writes can pass for a lifecycle line.
 */
export function formatLogLine(l: LogLine): string {
  const text = visible(l.line, { tabs: true });
  return l.source === 'sandbox' ? `${INSIDE_PREFIX}${text}` : text;
}

/** The end of a file, at most maxBytes, starting at a line boundary; empty when there is no file. */
export function readTail(file: string, maxBytes: number): { text: string; truncated: boolean; size: number } {
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK);
  } catch {
    return { text: '', truncated: false, size: 0 };
  }
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile()) return { text: '', truncated: false, size: 0 };
    const size = st.size;
    const start = Math.max(0, size - maxBytes);
    const buf = Buffer.alloc(size - start);
    const n = fs.readSync(fd, buf, 0, buf.length, start);
    let text = buf.subarray(0, n).toString('utf8');
    if (start > 0) text = text.slice(text.indexOf('\n') + 1);
    return { text, truncated: start > 0, size: start + n };
  } finally {
    fs.closeSync(fd);
  }
}

function splitLines(text: string, source: LogSource): LogLine[] {
  if (!text) return [];
  const parts = text.split('\n');
  if (parts[parts.length - 1] === '') parts.pop();
  return parts.map((line) => ({ source, line }));
}

/** A line longer than this without a line feed is passed on as it is. */
const MAX_LINE = 64 * 1024;
/** A follower that falls further behind than this skips ahead, as `tail -f` would show the end. */
const MAX_BEHIND = 1024 * 1024;

/** Reads the new complete lines of one file from a position on; copes with truncation and replacement. */
export class LogCursor {
  private pos = 0;
  private carry = '';
  private decoder = new StringDecoder('utf8');
  /** After skipping ahead, the first line read is a tail end: left out. */
  private dropPartial = false;

  constructor(readonly file: string, readonly source: LogSource) {}

  /**
   * Starts after the last complete line the file holds now (a partial last line is read whole
   * once it ends) and returns the complete lines in the last tailBytes before that point.
   */
  startAtEnd(tailBytes: number): { lines: LogLine[]; truncated: boolean } {
    const size = fileSize(this.file);
    const start = Math.max(0, size - Math.max(tailBytes, MAX_LINE));
    const buf = readRange(this.file, start, size - start);
    const nl = buf.lastIndexOf(0x0a);
    if (nl < 0) {
      // No line ends in the window: a partial line from the start, or one overlong line to skip.
      this.pos = start === 0 ? 0 : start + buf.length;
      return { lines: [], truncated: start > 0 };
    }
    this.pos = start + nl + 1;
    let from = Math.max(0, nl + 1 - tailBytes);
    const truncated = start + from > 0;
    // The first line shown is the first that starts inside the tail.
    if (truncated) from = buf.indexOf(0x0a, Math.max(0, from - 1)) + 1;
    return { lines: splitLines(buf.subarray(from, nl + 1).toString('utf8'), this.source), truncated };
  }

  /** Complete lines written since the last call. */
  read(): LogLine[] {
    const size = fileSize(this.file);
    if (size < this.pos) {
      // Truncated or recreated: start over.
      this.pos = 0;
      this.reset();
    }
    if (size - this.pos > MAX_BEHIND) {
      this.pos = size - MAX_BEHIND;
      this.reset();
      this.dropPartial = true;
    }
    if (size === this.pos) return [];
    const buf = readRange(this.file, this.pos, size - this.pos);
    this.pos += buf.length;
    const parts = (this.carry + this.decoder.write(buf)).split('\n');
    this.carry = parts.pop() ?? '';
    if (this.dropPartial && parts.length) {
      parts.shift();
      this.dropPartial = false;
    }
    const out = parts.map((line) => ({ source: this.source, line }));
    if (this.carry.length > MAX_LINE) {
      if (!this.dropPartial) out.push({ source: this.source, line: this.carry });
      this.carry = '';
      this.dropPartial = false;
    }
    return out;
  }

  private reset(): void {
    this.carry = '';
    this.decoder = new StringDecoder('utf8');
    this.dropPartial = false;
  }
}

function fileSize(file: string): number {
  try {
    const st = fs.statSync(file);
    return st.isFile() ? st.size : 0;
  } catch {
    return 0;
  }
}

function readRange(file: string, start: number, length: number): Buffer {
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK);
  } catch {
    return Buffer.alloc(0);
  }
  try {
    const buf = Buffer.alloc(length);
    return buf.subarray(0, fs.readSync(fd, buf, 0, length, start));
  } finally {
    fs.closeSync(fd);
  }
}

export interface LogSnapshot {
  lines: LogLine[];
  /** Earlier lines of that file were left out (only its last maxBytes are read). */
  truncated: Record<LogSource, boolean>;
  files: Record<LogSource, string>;
}

/**
 * Both logs of a sandbox: the lifecycle lines, then the sandbox's output. They are not
 * interleaved: the sandbox's output carries no timestamps Sandtray could trust.
 */
export function readSandboxLog(logFile: string, maxBytes: number): LogSnapshot {
  const out = sandboxOutputFile(logFile);
  const life = readTail(logFile, maxBytes);
  const inside = readTail(out, maxBytes);
  return {
    lines: [...splitLines(life.text, 'sandtray'), ...splitLines(inside.text, 'sandbox')],
    truncated: { sandtray: life.truncated, sandbox: inside.truncated },
    files: { sandtray: logFile, sandbox: out },
  };
}

/**
 * Follows both logs from their current end: initial holds the complete lines in the last
 * tailBytes of each, and onLines gets each batch of new complete lines, in the order they were
 * seen. Watches the folder (a log created or replaced later is picked up) and polls once a second
 * (appends from another process do not always notify). With `gone`, each look also asks whether
 * what is followed still exists: once it says no, the rest is read, the follow closes itself and
 * onEnd is called. The watch never throws: a folder that vanishes leaves the poll.
 */
export function followSandboxLog(
  logFile: string,
  onLines: (lines: LogLine[]) => void,
  tailBytes = 0,
  opts: { gone?: () => boolean; onEnd?: () => void } = {},
): { initial: LogSnapshot; close(): void } {
  const cursors = [new LogCursor(logFile, 'sandtray'), new LogCursor(sandboxOutputFile(logFile), 'sandbox')] as const;
  const [life, inside] = cursors.map((c) => c.startAtEnd(tailBytes)) as [{ lines: LogLine[]; truncated: boolean }, { lines: LogLine[]; truncated: boolean }];
  const initial: LogSnapshot = {
    lines: [...life.lines, ...inside.lines],
    truncated: { sandtray: life.truncated, sandbox: inside.truncated },
    files: { sandtray: logFile, sandbox: cursors[1].file },
  };
  let closed = false;
  let watcher: fs.FSWatcher | null = null;
  let poll: NodeJS.Timeout | null = null;
  const close = (): void => {
    if (closed) return;
    closed = true;
    watcher?.close();
    if (poll) clearInterval(poll);
  };
  const pump = (): void => {
    if (closed) return;
    const ending = opts.gone?.() ?? false;
    for (const c of cursors) {
      const lines = c.read();
      if (lines.length) onLines(lines);
    }
    if (ending) {
      close();
      opts.onEnd?.();
    }
  };
  const dir = path.dirname(logFile);
  const names = new Set(cursors.map((c) => path.basename(c.file)));
  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    watcher = fs.watch(dir, (_event, changed) => {
      if (!changed || names.has(changed)) pump();
    });
    // A folder removed under the watch ends the watch, not the process: the poll goes on.
    watcher.on('error', () => {
      watcher?.close();
      watcher = null;
    });
  } catch {
    watcher = null;
  }
  poll = setInterval(pump, 1000);
  return { initial, close };
}

/** Last lines of both logs, for error messages: lifecycle lines, then the sandbox's output, marked. */
export function logTail(logFile: string, lines = 10): string {
  try {
    const { lines: all } = readSandboxLog(logFile, 64 * 1024);
    const life = all.filter((l) => l.source === 'sandtray').slice(-lines);
    const inside = all.filter((l) => l.source === 'sandbox').slice(-lines);
    return [...life, ...inside].map(formatLogLine).join('\n');
  } catch {
    return '';
  }
}
