// Checks of an expanded profile against the host: mount sources exist, targets are sane.
import fs from 'node:fs';
import { SandtrayError } from '../core/errors.js';
import type { Profile } from './schema.js';
import { networkDriver } from '../network/drivers.js';

const RESERVED_TARGETS = new Set(['/', '/proc', '/dev', '/usr', '/etc']);

/** Throws INVALID_PROFILE naming each mount whose source is missing or target is reserved. */
export function checkProfileOnHost(p: Profile): void {
  const problems: string[] = [];
  p.mounts.forEach((m, i) => {
    if (RESERVED_TARGETS.has(m.target)) problems.push(`mounts[${i}].target: ${m.target} is managed by Sandtray and cannot be replaced`);
    if (!m.optional && !fs.existsSync(m.source)) problems.push(`mounts[${i}].source: ${m.source} does not exist`);
  });
  if (p.home !== 'private' && p.home !== 'tmpfs' && !fs.existsSync(p.home)) problems.push(`home: ${p.home} does not exist`);
  problems.push(...networkDriver(p.network.mode).validate(p));
  if (problems.length) {
    throw new SandtrayError('INVALID_PROFILE', `The profile cannot be used on this host:\n  ${problems.join('\n  ')}`, 'Create the missing folders, mark the mount "optional: true", or change the profile.');
  }
}
