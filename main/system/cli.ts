// How to run the `sandtray` command from the app: through Electron's own Node when packaged
// (ELECTRON_RUN_AS_NODE), so users need no separate Node installation.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** bin/sandtray.js of this installation. */
export const CLI_SCRIPT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../bin/sandtray.js');

/** argv that runs `sandtray ARGS...` with this installation's runtime, without touching our env. */
export function cliArgv(args: readonly string[], execPath = process.execPath, electron = Boolean(process.versions['electron'])): string[] {
  // env(1) sets the variable for the CLI only, not for the terminal emulator that starts it.
  return electron ? ['/usr/bin/env', 'ELECTRON_RUN_AS_NODE=1', execPath, CLI_SCRIPT, ...args] : [execPath, CLI_SCRIPT, ...args];
}

/** This installation's version, from its package.json (as `sandtray --version` prints it). */
export function appVersion(): string {
  try {
    return String((JSON.parse(fs.readFileSync(path.resolve(path.dirname(CLI_SCRIPT), '../package.json'), 'utf8')) as { version?: unknown }).version ?? 'unknown');
  } catch {
    return 'unknown';
  }
}
