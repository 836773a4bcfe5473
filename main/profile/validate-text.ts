// Validates profile text as the user types, through the engine's own validation (helpers/api
// validateProfile: every problem with the line it points at, the schema's and the host's), so the
// editor and `sandtray profile validate` agree. This adds only the window's summary.
import { validateProfile, userProfilesDir as profilesDir, sandtrayPaths } from '../../helpers/api/index.js';
import type { ProfileIssue, ProfileSummary } from '../ipc/contract.js';
import { summarizeProfile } from './summary.js';

export interface TextValidation {
  valid: boolean;
  issues: ProfileIssue[];
  summary: ProfileSummary | null;
}

/**
 * Validates text as a profile saved in baseDir (relative mount sources resolve against it; by
 * default the user's profiles folder). Host problems (a missing folder) are issues too.
 */
export function validateProfileText(text: string, baseDir?: string): TextValidation {
  const v = validateProfile(text, baseDir);
  return { valid: v.valid, issues: v.issues, summary: v.profile ? summarizeProfile(v.profile) : null };
}

/** Folder a profile named in the editor is saved to. */
export function userProfilesDir(configDir: string = sandtrayPaths().config): string {
  return profilesDir({ ...sandtrayPaths(), config: configDir });
}
