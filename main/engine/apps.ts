// A sandbox's apps (its profile's `apps:`), as the tray and the window offer them, and opening one
// the way `sandtray open NAME APP` does: the command itself runs, so the app is detached from the
// desktop app, starts the sandbox if needed and writes to the sandbox's log.
import { execFile } from 'node:child_process';
import { expandRecord, readRecord, SandtrayError, sandtrayPaths, type Paths } from '../../helpers/api/index.js';
import { cliArgv } from '../system/cli.js';

export interface AppChoice {
  name: string;
  title: string;
}

/** The apps a sandbox's profile names; none when the record or a profile cannot be read (the listing says why). */
export function appsOf(name: string, paths: Paths = sandtrayPaths()): AppChoice[] {
  try {
    return expandRecord(readRecord(name, paths), paths).profile.apps.map((a) => ({ name: a.name, title: a.title ?? a.name }));
  } catch {
    return [];
  }
}

/** Runs `sandtray open NAME APP`; resolves once the app was started, or rejects with the command's own message. */
export function openApp(name: string, app: string, env: NodeJS.ProcessEnv = process.env): Promise<{ message: string }> {
  const [cmd, ...args] = cliArgv(['open', name, app]);
  return new Promise((resolve, reject) => {
    execFile(cmd!, args, { env, timeout: 120_000, maxBuffer: 1024 * 1024 }, (err, _stdout, stderr) => {
      if (!err) {
        resolve({ message: `Opened ${app} in ${name}` });
        return;
      }
      // The command prints "error: MESSAGE" and a hint line; the window shows them as they are.
      const lines = String(stderr).split('\n').map((l) => l.replace(/^(error|hint):\s*/i, '').trim()).filter(Boolean);
      reject(new SandtrayError('START_FAILED', lines[0] ?? `Could not open ${app} in ${name}`, lines.slice(1).join(' ') || undefined));
    });
  });
}
