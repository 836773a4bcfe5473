// Printing: tables for people, JSON for programs, errors with their hint. Text that reaches a
// terminal goes through visible(): strings from a sandbox (its output, process names, values read
// from inside) must never drive the owner's terminal.
import fs from 'node:fs';
import { asSandtrayError } from '../api/base.js';

export { visible, type VisibleOptions } from '../api/base.js';
import { visible } from '../api/base.js';

/** Prints rows as an aligned table with a header. Every cell is one line with its control characters visible. */
export function table(headers: string[], rows: (string | number | null)[][]): string {
  const cells = [headers, ...rows.map((r) => r.map((c) => (c === null ? '-' : visible(String(c)))))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  return cells.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')).join('\n');
}

/** Characters JSON.stringify leaves raw that a terminal may act on (it escapes only U+0000 to U+001F). */
const JSON_RAW_CONTROL = /[\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/**
 * JSON text with every control character escaped: strings keep their exact value for programs
 * (JSON.parse gives back what a sandbox wrote), while the text itself is safe on a terminal.
 * The escaped characters can only occur inside strings, so the result is still valid JSON.
 */
export function safeJson(v: unknown, indent?: number): string {
  return (JSON.stringify(v, null, indent) ?? 'null').replace(JSON_RAW_CONTROL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

let pause: Int32Array | null = null;

/**
 * Writes text to stdout at once, through the descriptor: what console.log would write, without
 * Node making process.stdout (and loading its streams) first, which cost a read command more
 * than printing. A full non-blocking pipe is waited on; a reader that went away ends the output.
 */
export function writeOut(text: string): void {
  const buf = Buffer.from(text, 'utf8');
  for (let off = 0; off < buf.length; ) {
    try {
      off += fs.writeSync(1, buf, off, buf.length - off);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EPIPE') return;
      if (code !== 'EAGAIN') throw err;
      pause ??= new Int32Array(new SharedArrayBuffer(4));
      Atomics.wait(pause, 0, 0, 1);
    }
  }
}

/** A line to stdout (writeOut), as console.log prints one string. */
export function printLine(text: string): void {
  writeOut(`${text}\n`);
}

/** Writes JSON to stdout. */
export function printJson(v: unknown): void {
  writeOut(safeJson(v, 2) + '\n');
}

/** Prints an error the way users see every Sandtray error: message, then what to do. */
export function printError(err: unknown, json: boolean): void {
  const e = asSandtrayError(err);
  if (json) {
    process.stdout.write(safeJson({ error: e.toJSON() }, 2) + '\n');
    return;
  }
  // Messages can carry what a sandbox wrote (the end of its output when a start fails).
  process.stderr.write(`sandtray: ${visible(e.message, { newlines: true, tabs: true })}\n`);
  if (e.hint) process.stderr.write(`  hint: ${visible(e.hint, { newlines: true, tabs: true })}\n`);
}

/** Human duration, e.g. 3h 2m. */
export function duration(sec: number | null): string {
  if (sec === null) return '-';
  if (sec < 60) return `${sec}s`;
  if (sec < 3600) return `${Math.floor(sec / 60)}m ${sec % 60}s`;
  return `${Math.floor(sec / 3600)}h ${Math.floor((sec % 3600) / 60)}m`;
}
