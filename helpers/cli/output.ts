// Printing: tables for people, JSON for programs, errors with their hint.
import { asSandtrayError } from '../core/errors.js';

/** Prints rows as an aligned table with a header. */
export function table(headers: string[], rows: (string | number | null)[][]): string {
  const cells = [headers, ...rows.map((r) => r.map((c) => (c === null ? '-' : String(c))))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  return cells.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')).join('\n');
}

/** Writes JSON to stdout. */
export function printJson(v: unknown): void {
  process.stdout.write(JSON.stringify(v, null, 2) + '\n');
}

/** Prints an error the way users see every Sandtray error: message, then what to do. */
export function printError(err: unknown, json: boolean): void {
  const e = asSandtrayError(err);
  if (json) {
    process.stdout.write(JSON.stringify({ error: e.toJSON() }, null, 2) + '\n');
    return;
  }
  process.stderr.write(`sandtray: ${e.message}\n`);
  if (e.hint) process.stderr.write(`  hint: ${e.hint}\n`);
}

/** Human duration, e.g. 3h 2m. */
export function duration(sec: number | null): string {
  if (sec === null) return '-';
  if (sec < 60) return `${sec}s`;
  if (sec < 3600) return `${Math.floor(sec / 60)}m ${sec % 60}s`;
  return `${Math.floor(sec / 3600)}h ${Math.floor((sec % 3600) / 60)}m`;
}
