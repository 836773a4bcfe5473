// A profile checked against this host: the profile model's own checks (profile/check.ts) with what
// only the host can tell, the network driver's rules and the tools the profile needs.
import { networkDriver } from './network-drivers.js';
import { which } from '../host/tools.js';
import { checkProfile } from '../profile/check.js';
import type { Profile } from '../profile/schema.js';
import { validateProfileText as validateText, type TextValidation } from '../profile/validate-text.js';

/** The problems of a profile that the network drivers and the installed tools name. */
export function hostProblems(p: Profile): string[] {
  const problems = [...networkDriver(p.network.mode).validate(p)];
  // Refused before anything is made, rather than half-way through the start.
  if (p.dbus.mode === 'filtered' && !which('xdg-dbus-proxy')) problems.push('dbus.mode: filtered needs xdg-dbus-proxy, which is not installed (sudo apt install xdg-dbus-proxy), or set dbus: none');
  return problems;
}

/** Throws INVALID_PROFILE naming every problem the profile has on this host. */
export function checkProfileOnHost(p: Profile): void {
  checkProfile(p, hostProblems);
}

/** Profile text validated as an editor shows it, with this host's checks. */
export function validateProfileText(text: string, baseDir: string): TextValidation {
  return validateText(text, baseDir, hostProblems);
}
