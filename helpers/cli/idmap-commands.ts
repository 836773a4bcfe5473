// `sandtray idmap`: the user's subordinate ids and where each went; `idmap release` for orphans.
import { parseArgs } from 'node:util';
import { SandtrayError, sandtrayPaths } from '../api/base.js';
import { formatRanges, idmapReport, readHostFacts, releaseIds, type IdmapReport } from '../api/host.js';
import { listNames } from '../api/inspect.js';
import type { Command } from './commands.js';
import { printJson, table } from './output.js';
import { parseError, usageError } from './help.js';

function parse(args: string[], json: boolean) {
  try {
    return parseArgs({ args, options: json ? { json: { type: 'boolean' } } : {}, allowPositionals: true, strict: true });
  } catch (err) {
    throw parseError(err);
  }
}

/** The report as text for people. */
export function idmapText(r: IdmapReport): string {
  const out: string[] = [`Subordinate ids of ${r.user} (uid ${r.uid}, gid ${r.gid})`];
  if (r.testFiles) out.push(`  NOTE: reading test files from ${r.testFiles} (SANDTRAY_TEST_SUBID_DIR), not the system's`);
  for (const kind of ['uid', 'gid'] as const) {
    const x = r.ranges[kind];
    out.push(`  ${kind}s: ${formatRanges(x.ranges)}  (${x.total} ids, from ${x.source})`);
    for (const p of x.problems) out.push(`    ${x.source} line ${p.line} is malformed and ignored: ${p.reason}: ${JSON.stringify(p.text)}`);
  }
  out.push(`  maps are ${r.mapping.how}`);
  if (r.fallback) out.push(`  FALLBACK: ${r.fallback}`);

  out.push('', `Shared block: ${r.shared.size} ids inside (0 -> uid ${r.uid}/gid ${r.gid}; 1..${r.shared.size - 1} -> uids ${formatRanges(r.shared.uid)}, gids ${formatRanges(r.shared.gid)})`);
  out.push(`  used by every shared sandbox: ${r.shared.sandboxes.length ? r.shared.sandboxes.join(', ') : '(none yet)'}`);

  out.push('', 'Isolated leases (each its own host ids):');
  if (!r.leases.length) out.push('  (none)');
  else {
    const rows = r.leases.map((l) => [l.sandbox, l.size, formatRanges(l.uid), formatRanges(l.gid), l.state, l.problem ?? (l.state === 'MISSING' ? `sandbox gone: sandtray idmap release ${l.sandbox}` : 'ok')]);
    out.push(table(['SANDBOX', 'SIZE', 'HOST UIDS', 'HOST GIDS', 'STATE', 'CHECK'], rows).replace(/^/gm, '  '));
  }
  const nesting = r.sandboxes.filter((s) => s.delegated);
  if (nesting.length) {
    out.push('', 'Delegated to nested sandboxes (/etc/subuid and /etc/subgid inside name root):');
    for (const s of nesting) {
      const d = s.delegated!;
      out.push(`  ${s.name}: ids ${formatRanges([d.inside])} inside = host uids ${formatRanges(d.uid)}, gids ${formatRanges(d.gid)}${s.mode === 'shared' ? ' (shared block: other shared sandboxes use these too)' : ''}`);
    }
  }
  const broken = r.sandboxes.filter((s) => s.problem);
  for (const s of broken) out.push(`  ${s.name}: profile does not expand (${s.problem})`);

  out.push('', `Free for new leases: uids ${formatRanges(r.free.uid)} (${r.free.uidCount} ids); gids ${formatRanges(r.free.gid)} (${r.free.gidCount} ids)`);
  return out.join('\n');
}

export const idmapCommand: Command = async (args) => {
  if (args[0] === 'release') {
    const { positionals } = parse(args.slice(1), false);
    const [name] = positionals;
    if (!name || positionals.length > 1) throw usageError('sandtray idmap release needs one sandbox name', 'Usage: sandtray idmap release NAME');
    const paths = sandtrayPaths();
    if (listNames(paths).includes(name)) {
      throw new SandtrayError('WRONG_STATE', `Sandbox "${name}" still exists and its files belong to its leased ids`, `Delete it with \`sandtray delete ${name}\`; that frees the lease.`);
    }
    const freed = await releaseIds(name, paths);
    if (!freed) throw new SandtrayError('NOT_FOUND', `No id lease for "${name}"`, 'See `sandtray idmap`.');
    console.log(`Released the ids leased to ${name} (uids ${formatRanges(freed.uid)}, gids ${formatRanges(freed.gid)})`);
    return 0;
  }
  const { values, positionals } = parse(args, true);
  if (positionals.length) throw usageError(`Unknown idmap argument "${positionals[0]}"`, 'Usage: sandtray idmap [--json] | sandtray idmap release NAME');
  const report = await idmapReport(readHostFacts(), sandtrayPaths());
  if (values.json) printJson(report);
  else console.log(idmapText(report));
  return 0;
};
