// The environment of the host-side steps, in a module of its own: attach needs it without the
// planner (and everything the planner imports) on the hot path of `exec`.
import { SANDBOX_PATH } from './etc-files.js';

/** The fixed environment of every host-side process we spawn; nothing from profiles or the caller. */
export const HOST_ENV: Record<string, string> = { PATH: SANDBOX_PATH, LANG: 'C.UTF-8' };

/**
 * The launch chain's environment (the launch step, newuidmap, newgidmap, bwrap): no LANG, so
 * perl and the shadow tools skip loading a locale on the way to every start. Their messages are
 * the same in the C locale.
 */
export const LAUNCH_ENV: Record<string, string> = { PATH: SANDBOX_PATH };
