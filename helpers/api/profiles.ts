// Profiles: list, read, validate (structured issues with their lines, and the risks), save.
import fs from 'node:fs';
import path from 'node:path';
import { SandtrayError } from '../core/errors.js';
import { sandtrayPaths, type Paths } from '../core/paths.js';
import { PROFILE_EXT } from '../profile/load.js';
import { profileRisks, riskHost, type Risk } from '../profile/risks.js';
import type { ProfileIssue } from '../profile/validate-text.js';
import { validateProfileText } from '../lifecycle/host-checks.js';
import type { Profile } from '../profile/schema.js';
import { ensurePrivateDir, writeFileAtomic } from '../runtime/store.js';
import { SHIPPED_PROFILES } from '../profile/resolve.js';
import { relativeSourceIssues } from '../profile/saved-copy.js';

export { formatIssues, formatPath } from '../profile/issues.js';
export { loadLayerFile, parseLayer, PROFILE_EXT, resolveLayerSources } from '../profile/load.js';
export { expandLayers } from '../profile/expand.js';
export { checkProfileOnHost, validateProfileText } from '../lifecycle/host-checks.js';
export { expandRecord, listProfiles, profileFile, profileRef, SHIPPED_PROFILES } from '../profile/resolve.js';
export { API_VERSION, layerSchema, nameSchema, profileJsonSchema, type Layer } from '../profile/schema.js';
export type { ProfileIssue, TextValidation } from '../profile/validate-text.js';

export interface ProfileValidation {
  valid: boolean;
  issues: ProfileIssue[];
  profile: Profile | null;
  /** What the profile lets a sandbox do beyond the defaults (empty until it parses). */
  risks: Risk[];
}

/** The folder profiles saved by name live in. */
export function userProfilesDir(paths: Paths = sandtrayPaths()): string {
  return path.join(paths.config, 'profiles');
}

/**
 * Validates profile text as if saved in baseDir (relative mount sources resolve against it): the
 * schema's and the host's problems with their lines, and the risks of what parsed.
 */
export function validateProfile(text: string, baseDir: string = userProfilesDir(), home?: string): ProfileValidation {
  const v = validateProfileText(text, baseDir);
  // In the user's profiles folder a relative source would mean a folder under ~/.config: a saved
  // copy (of an example, say) must name its folders in full.
  const extra = path.resolve(baseDir) === path.resolve(userProfilesDir()) ? relativeSourceIssues(text, baseDir) : [];
  const issues = [...v.issues, ...extra];
  return { ...v, valid: v.valid && !extra.length, issues, risks: v.profile ? profileRisks(v.profile, riskHost(home === undefined ? {} : { home })) : [] };
}

/** Saves valid profile text under a name in the user's profiles folder; refuses text with problems. */
export function saveProfile(name: string, text: string, paths: Paths = sandtrayPaths()): { name: string; file: string } {
  const dir = userProfilesDir(paths);
  // Examples are read-only templates: a copy under the same name would replace one for good.
  if (fs.existsSync(path.join(SHIPPED_PROFILES, `${name}${PROFILE_EXT}`))) {
    throw new SandtrayError('ALREADY_EXISTS', `"${name}" is an example that ships with Sandtray`, 'Examples are read-only templates: save your copy under another name.');
  }
  const base = validateProfileText(text, dir);
  const extra = relativeSourceIssues(text, dir);
  const v = { valid: base.valid && !extra.length, issues: [...base.issues, ...extra] };
  if (!v.valid) {
    throw new SandtrayError('INVALID_PROFILE', `Not saved: the profile has ${v.issues.length} problem${v.issues.length === 1 ? '' : 's'}:\n  ${v.issues.map((i) => `${i.path}: ${i.message}`).join('\n  ')}`, 'Fix the marked lines first.');
  }
  ensurePrivateDir(paths.config);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = path.join(dir, `${name}${PROFILE_EXT}`);
  writeFileAtomic(file, text.endsWith('\n') ? text : `${text}\n`);
  return { name, file };
}
