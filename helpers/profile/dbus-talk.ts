// Kept apart from the schema (and zod): the planner and the risk summary read it on paths that
// must load little.

/**
 * Names a filtered bus always lets programs inside call: notifications and the desktop portal.
 * Only the portal's own name, not `org.freedesktop.portal.*`: that family also holds
 * org.freedesktop.portal.Flatpak, whose Spawn method starts commands outside the caller's sandbox,
 * and every caller behind the proxy is, to the portals, the proxy itself: a program of the host.
 */
export const DBUS_DEFAULT_TALK = ['org.freedesktop.Notifications', 'org.freedesktop.portal.Desktop'] as const;

/**
 * Services of the session bus that run commands on the host for whoever calls them, at once or
 * later (Flatpak's spawn portal and session helper, systemd's user manager with its transient
 * units, GNOME Shell's Eval, GNOME Terminal's Exec, KDE's launcher, and dconf's writer, through
 * which a custom keyboard shortcut or an autostart command is set). No `talk` entry may name them
 * or a family that holds them: a proxy of xdg-dbus-proxy's has no way to allow a family but one
 * of its names.
 */
export const DBUS_HOST_COMMAND_NAMES = [
  'org.freedesktop.portal.Flatpak',
  'org.freedesktop.Flatpak',
  'org.freedesktop.systemd1',
  'org.gnome.Shell',
  'org.gnome.Terminal',
  'org.kde.klauncher5',
  'org.kde.KLauncher',
  'ca.desrt.dconf',
] as const;

/**
 * Families that no `talk` entry may reach either: the portal's backends, which do what the portal
 * asked without asking again (a screenshot, a remote-desktop session, the permission store that
 * grants apps access), because the portal in front of them is the one that checks.
 */
export const DBUS_PORTAL_BACKEND = 'org.freedesktop.impl.portal';

/** Why a talk entry (a name, or a family `a.b.*`) may not be allowed, or undefined. */
export function talkRefusal(talk: string): string | undefined {
  const host = talkReachesHostCommands(talk);
  if (host) return `${talk} reaches ${host}, which runs commands on the host for its callers`;
  const family = talk.endsWith('.*') ? talk.slice(0, -2) : talk;
  const b = DBUS_PORTAL_BACKEND;
  if (family === b || family.startsWith(`${b}.`) || (talk.endsWith('.*') && b.startsWith(`${family}.`))) {
    return `${talk} reaches the desktop portal's backends (${b}.*), which act without the portal's permission checks`;
  }
  return undefined;
}

/** The host-command service a talk entry (a name, or a family `a.b.*`) reaches, if any. */
export function talkReachesHostCommands(talk: string): string | undefined {
  // xdg-dbus-proxy's `a.b.*` covers a.b itself and every name below it; a name without it, that name alone.
  const family = talk.endsWith('.*') ? talk.slice(0, -2) : null;
  return DBUS_HOST_COMMAND_NAMES.find((n) => (family !== null ? n === family || n.startsWith(`${family}.`) : n === talk));
}
