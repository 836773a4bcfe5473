// The id map part of `sandtray doctor`: how maps get written, test files, leases that no longer fit.
import type { Paths } from '../core/paths.js';
import type { HostFacts } from '../host/facts.js';
import type { Check } from '../host/check.js';
import { formatRanges } from '../idmap/rangeset.js';
import { idmapReport } from './idmap-report.js';

/** Checks for doctor, each with the exact fix. */
export async function idmapChecks(facts: HostFacts, paths: Paths): Promise<Omit<Check, 'ok'>[]> {
  const r = await idmapReport(facts, paths);
  const out: Omit<Check, 'ok'>[] = [];
  if (r.testFiles) out.push({ id: 'idmap.testfiles', level: 'warn', detail: `subordinate ids are read from ${r.testFiles} (SANDTRAY_TEST_SUBID_DIR), not from the system`, fix: 'Unset SANDTRAY_TEST_SUBID_DIR; it is for the test suite.' });
  out.push(r.fallback
    ? { id: 'idmap.map', level: 'warn', detail: `single-id fallback: ${r.fallback}`, fix: r.mapping.ok ? 'See the subid checks above.' : 'sudo apt install uidmap' }
    : { id: 'idmap.map', level: 'ok', detail: `id maps are ${r.mapping.how}; shared block uids ${formatRanges(r.shared.uid)}, ${r.leases.length} isolated lease(s), ${r.free.uidCount} uids free` });
  for (const l of r.leases) {
    if (l.problem) out.push({ id: 'idmap.lease', level: 'warn', detail: `the id lease of sandbox ${l.sandbox} no longer fits: ${l.problem}; it cannot start`, fix: 'Ask an administrator to restore the subordinate range (see `sandtray idmap`).' });
    else if (l.state === 'MISSING') out.push({ id: 'idmap.lease', level: 'warn', detail: `ids ${formatRanges(l.uid)} are leased to sandbox ${l.sandbox}, which no longer exists`, fix: `sandtray idmap release ${l.sandbox}` });
  }
  return out;
}
