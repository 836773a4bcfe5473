// Kept apart from the schema (and zod): the planner and the risk summary read it on paths that
// must load little.

/** Names a filtered bus always lets programs inside call: notifications and the desktop portal. */
export const DBUS_DEFAULT_TALK = ['org.freedesktop.Notifications', 'org.freedesktop.portal.*'] as const;
