// What the app does at start, decided from facts main gathers (the session bus's answer, the
// command line): pure, so it is tested as data.
import path from 'node:path';

export interface StartFacts {
  /** Whether a StatusNotifierWatcher owns its name on the session bus; null when the bus cannot be asked. */
  statusNotifierWatcher: boolean | null;
  /** Files handed over on the command line. */
  files: readonly string[];
  argv: readonly string[];
}

export interface StartPlan {
  tray: boolean;
  showWindow: boolean;
}

/**
 * The tray is made where the session bus says a StatusNotifierWatcher runs (the desktop's name says
 * nothing reliable: Electron rewrites XDG_CURRENT_DESKTOP to Unity on Ubuntu, Pop!_OS and
 * Pantheon). Where the bus cannot be asked, a tray is tried and the window opens too, so nobody is
 * left without either. `--hidden` (the autostart entry) keeps the window closed when a tray is
 * there; files handed over always show it; without a tray the window is the app.
 */
export function startPlan(f: StartFacts): StartPlan {
  const tray = f.statusNotifierWatcher !== false;
  const hidden = f.argv.includes('--hidden');
  if (!tray || f.files.length) return { tray, showWindow: true };
  if (f.argv.includes('--show')) return { tray, showWindow: true };
  if (hidden) return { tray, showWindow: false };
  return { tray, showWindow: f.statusNotifierWatcher === null };
}

/**
 * Electron's own data (caches, local storage) in a folder of its own, never beside the user's
 * profiles in ~/.config/sandtray (Electron's default for a package named "sandtray").
 */
export function desktopUserData(appData: string): string {
  return path.join(appData, 'sandtray-desktop');
}
