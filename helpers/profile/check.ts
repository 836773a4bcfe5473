// Checks of an expanded profile against the host: mount sources exist, targets are sane. What
// only the layers above can tell (the network driver's rules, the tools a profile needs) comes in
// as hostProblems (lifecycle/host-checks.ts), so the profile model imports nothing above it.
import fs from 'node:fs';
import { SandtrayError } from '../core/errors.js';
import { normalizeInside, type Profile } from './schema.js';

/** The problems of a profile only the host's network drivers and tools can name. */
export type HostProblems = (p: Profile) => string[];

// Targets Sandtray manages: replacing them, or anything below /proc and /dev, would undo what
// the plan sets up there (the sandbox's own /proc, the minimal /dev, the host's /usr).
const RESERVED_TARGETS = new Set(['/', '/proc', '/dev', '/usr', '/etc', '/sys']);
const RESERVED_BELOW = ['/proc/', '/dev/'];

/** Why a mount target (already normalised by the schema) cannot be used, or null. */
export function reservedTarget(target: string): string | null {
  const t = normalizeInside(target);
  if (RESERVED_TARGETS.has(t)) return `${t} is managed by Sandtray and cannot be replaced`;
  const under = RESERVED_BELOW.find((r) => t.startsWith(r));
  return under ? `${t} lies in ${under.slice(0, -1)}, which is managed by Sandtray` : null;
}

/** Throws INVALID_PROFILE naming each mount whose source is missing or target is reserved, and each of hostProblems'. */
export function checkProfile(p: Profile, hostProblems: HostProblems): void {
  const problems: string[] = [];
  p.mounts.forEach((m, i) => {
    const reserved = reservedTarget(m.target);
    if (reserved) problems.push(`mounts[${i}].target: ${reserved}`);
    if (!m.optional && !fs.existsSync(m.source)) problems.push(`mounts[${i}].source: ${m.source} does not exist`);
  });
  if (p.home !== 'private' && p.home !== 'tmpfs' && !fs.existsSync(p.home)) problems.push(`home: ${p.home} does not exist`);
  problems.push(...hostProblems(p));
  if (problems.length) {
    throw new SandtrayError('INVALID_PROFILE', `The profile cannot be used on this host:\n  ${problems.join('\n  ')}`, 'Create the missing folders, mark the mount "optional: true", or change the profile.');
  }
}
