// What an expanded profile lets a sandbox see, in plain words, for the file-open sheet and the editor.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Profile } from '../../helpers/profile/schema.js';
import type { ProfileSummary } from '../ipc/contract.js';

function isWithin(child: string, parent: string): boolean {
  const rel = path.relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/** Summary plus warnings for everything that weakens the sandbox or will stop it from starting. */
export function summarizeProfile(p: Profile, home: string = os.homedir()): ProfileSummary {
  const warnings: string[] = [];
  const mounts = p.mounts.map((m) => ({ ...m, exists: fs.existsSync(m.source) }));
  for (const m of mounts) {
    if (!m.readOnly) {
      if (m.source === '/' || isWithin(home, m.source)) warnings.push(`Can change every file in ${m.source}, which holds your whole home folder.`);
      else warnings.push(`Can change files in ${m.source} (mounted read-write at ${m.target}).`);
    } else if (m.source === '/' || isWithin(home, m.source)) {
      warnings.push(`Can read every file in ${m.source}, which holds your whole home folder.`);
    }
    if (!m.exists && !m.optional) warnings.push(`${m.source} does not exist: create it, or the sandbox will not start.`);
  }
  if (p.network.mode === 'host') warnings.push('Shares your network: it can reach everything your computer can, including services on localhost.');
  if (p.network.mode === 'nat' && p.network.allowHostLoopback) warnings.push("Can reach services listening on your computer's loopback address.");
  if (p.nesting) warnings.push('May create user namespaces and sandboxes of its own (nesting).');
  if (p.home !== 'private' && p.home !== 'tmpfs') warnings.push(`Uses ${p.home} as its home folder, read-write.`);
  return {
    description: p.description,
    hostname: p.hostname,
    network: { mode: p.network.mode, isolated: p.network.mode !== 'host', allowHostLoopback: p.network.allowHostLoopback },
    mounts,
    home: p.home,
    nesting: p.nesting,
    idmap: { mode: p.idmap.mode, size: p.idmap.size },
    command: p.command,
    env: Object.keys(p.env).sort(),
    warnings,
  };
}
