// Files named on a command line (a double-click, or a second launch handing its file over).
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { fileKind } from './opened.js';

/** Absolute paths of the files we open among argv; flags and anything else are ignored. */
export function filesFromArgv(argv: readonly string[], cwd: string): string[] {
  const out: string[] = [];
  for (const arg of argv) {
    if (!arg || arg.startsWith('-')) continue;
    let file = arg;
    if (arg.startsWith('file://')) {
      try {
        file = fileURLToPath(arg);
      } catch {
        continue;
      }
    } else if (/^[a-z][a-z0-9+.-]*:/i.test(arg)) {
      continue; // other URLs are never fetched
    }
    if (!fileKind(file)) continue;
    out.push(path.resolve(cwd, file));
  }
  return [...new Set(out)];
}

/** The `sandtray` arguments after `--cli`, or null when the app was not started as the CLI. */
export function cliArgsFrom(argv: readonly string[]): string[] | null {
  const i = argv.indexOf('--cli');
  return i < 0 ? null : argv.slice(i + 1);
}
