// Whether the desktop shows tray icons at all. GNOME without an AppIndicator extension has neither
// a StatusNotifier host nor a legacy system tray; there the window opens instead (main/app/startup.ts).
import { execFileSync } from 'node:child_process';
import { which } from '../../helpers/api/index.js';

/** Asks the session bus whether a StatusNotifierWatcher is running; null when we cannot tell. */
export function hasStatusNotifierWatcher(env: NodeJS.ProcessEnv = process.env): boolean | null {
  const gdbus = which('gdbus');
  if (!gdbus || !env['DBUS_SESSION_BUS_ADDRESS']) return null;
  try {
    const out = execFileSync(gdbus, ['call', '--session', '--dest', 'org.freedesktop.DBus', '--object-path', '/org/freedesktop/DBus', '--method', 'org.freedesktop.DBus.NameHasOwner', 'org.kde.StatusNotifierWatcher'], { timeout: 2000, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], env });
    return out.includes('true');
  } catch {
    return null;
  }
}
