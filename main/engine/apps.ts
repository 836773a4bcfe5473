// A sandbox's apps (its profile's `apps:`), as the tray and the window offer them, and opening one
// through the engine, as `sandtray open NAME APP` does: the sandbox is started if needed (a VPN
// sandbox's secrets asked for in the window's dialog first), the app runs detached from the desktop
// app and writes to the sandbox's log.
import { expandRecord, openSandboxApp, readRecord, sandtrayPaths, type Paths } from '../../helpers/api/index.js';

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

/**
 * Opens app APP of sandbox NAME; resolves once the app was started, or rejects with the engine's
 * SandtrayError. A profile changed since the sandbox's last start is applied as the CLI's `open`
 * applies it (the window's Start asks first; opening an app names no profile to review).
 */
export async function openApp(name: string, app: string, paths?: Paths): Promise<{ message: string }> {
  const { app: entry } = await openSandboxApp(name, app, paths ? { paths } : {});
  return { message: `Opened ${entry.title ?? entry.name} in ${name}` };
}
