// What an expanded profile lets a sandbox see, in plain words, for the file-open sheet and the editor.
// The risks are the engine's (helpers/profile/risks.ts), the same list `profile validate` and
// `info` print; this adds only what would stop the sandbox from starting.
import fs from 'node:fs';
import { profileRisks, resolvedIfDifferent, riskHost, type Profile, type Risk } from '../../helpers/api/index.js';
import type { ProfileSummary } from '../ipc/contract.js';

/** A risk as a sentence for the window: the engine's message, capitalised. */
export function riskSentence(r: Pick<Risk, 'message'>): string {
  return r.message.charAt(0).toUpperCase() + r.message.slice(1) + (r.message.endsWith('.') ? '' : '.');
}

/** Summary plus warnings for everything that weakens the sandbox or will stop it from starting. */
export function summarizeProfile(p: Profile, home?: string): ProfileSummary {
  const risks = profileRisks(p, riskHost(home === undefined ? {} : { home }));
  const mounts = p.mounts.map((m) => {
    const resolved = resolvedIfDifferent(m.source);
    return { ...m, exists: fs.existsSync(m.source), ...(resolved ? { resolved } : {}) };
  });
  const warnings = risks.map(riskSentence);
  for (const m of mounts) {
    if (!m.exists && !m.optional) warnings.push(`${m.source} does not exist: create it, or the sandbox will not start.`);
  }
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
    risks,
    warnings,
  };
}
