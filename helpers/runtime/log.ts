// The sandbox's log: its init's output plus one timestamped line per lifecycle event.
import fs from 'node:fs';
import path from 'node:path';

/** Appends a lifecycle line to the sandbox log. */
export function logEvent(logFile: string, message: string): void {
  try {
    fs.mkdirSync(path.dirname(logFile), { recursive: true, mode: 0o700 });
    fs.appendFileSync(logFile, `${new Date().toISOString()} sandtray: ${message}\n`, { mode: 0o600 });
  } catch {
    // Logging must never turn a working operation into a failure.
  }
}

/** Last lines of the log, for error messages. */
export function logTail(logFile: string, lines = 10): string {
  try {
    const text = fs.readFileSync(logFile, 'utf8');
    return text.trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}
