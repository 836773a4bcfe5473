// `sandtray idmap`: where every subordinate id of the user went (shared block, leases, free).
import type { Paths } from '../core/paths.js';
import { asSandtrayError } from '../core/errors.js';
import type { HostFacts } from '../host/facts.js';
import { expandRecord } from '../profile/resolve.js';
import { sandboxState } from '../runtime/state.js';
import { listNames, readRecord } from '../runtime/store.js';
import { SHARED_SIZE } from '../idmap/assign.js';
import { delegatedRange, hostIdsOf } from '../idmap/delegate.js';
import { leaseFile, readLeases, validateLease } from '../idmap/leases.js';
import { buildIdMap, type IdMap } from '../idmap/map.js';
import { subtract, takeFirst, totalSize, type IdRange } from '../idmap/rangeset.js';
import { readUserSubIds, subIdFixCommand, testSubIdDir, type SubIdProblem } from '../idmap/subid.js';
import { canMapSubordinateIds } from '../idmap/userns.js';

export interface RangeReport {
  source: string;
  ranges: IdRange[];
  total: number;
  problems: SubIdProblem[];
}

export interface SandboxIds {
  name: string;
  mode: 'shared' | 'isolated' | 'unknown';
  size: number | null;
  nesting: boolean;
  state: string;
  /** Nesting sandboxes: the ids (inside) handed to their children, and the host ids behind them. */
  delegated: { inside: IdRange; uid: IdRange[]; gid: IdRange[] } | null;
  problem: string | null;
}

export interface LeaseReport {
  sandbox: string;
  /** Ids inside, 0 included (so size-1 host ids each of uid and gid). */
  size: number;
  hostUidStart: number | null;
  hostGidStart: number | null;
  uid: IdRange[];
  gid: IdRange[];
  createdAt: string;
  /** The sandbox's state, or MISSING when the lease outlived its sandbox. */
  state: string;
  /** Why the lease no longer fits the user's ranges, or null. */
  problem: string | null;
}

export interface IdmapReport {
  user: string;
  uid: number;
  gid: number;
  /** Set when tests point Sandtray at other subuid/subgid files. */
  testFiles: string | null;
  mapping: { ok: boolean; how: string };
  /** Set when only the single-id map is possible, with what fixes it. */
  fallback: string | null;
  ranges: { uid: RangeReport; gid: RangeReport };
  shared: { size: number; uid: IdRange[]; gid: IdRange[]; sandboxes: string[] };
  leases: LeaseReport[];
  sandboxes: SandboxIds[];
  free: { uid: IdRange[]; gid: IdRange[]; uidCount: number; gidCount: number };
}

function sharedBlock(ranges: readonly IdRange[]): IdRange[] {
  return takeFirst(ranges, SHARED_SIZE - 1) ?? [...ranges];
}

/** Gathers the report; reads the lease file without its lock (a snapshot). */
export async function idmapReport(facts: HostFacts, paths: Paths): Promise<IdmapReport> {
  const subs = await readUserSubIds({ name: facts.user, uid: facts.uid });
  const range = (r: typeof subs.uid): RangeReport => ({ source: r.source, ranges: r.ranges, total: totalSize(r.ranges), problems: r.problems });
  const mapping = canMapSubordinateIds();
  let fallback: string | null = null;
  if (!subs.uid.ranges.length || !subs.gid.ranges.length) {
    fallback = `no subordinate ${subs.uid.ranges.length ? 'gids' : 'uids'}: sandboxes fall back to a single-id map (root inside is you, no other ids). Ask an administrator to run: ${subIdFixCommand(facts.user)}`;
  } else if (!mapping.ok) {
    fallback = `${mapping.how}; sandboxes fall back to a single-id map. Install newuidmap and newgidmap (Debian/Ubuntu: sudo apt install uidmap).`;
  }
  const shared = { size: SHARED_SIZE, uid: sharedBlock(subs.uid.ranges), gid: sharedBlock(subs.gid.ranges), sandboxes: [] as string[] };
  const db = await readLeases(leaseFile(paths));
  const names = listNames(paths);

  const sandboxes: SandboxIds[] = names.map((name) => {
    const { state } = sandboxState(name, paths);
    try {
      const { profile } = expandRecord(readRecord(name, paths), paths);
      const out: SandboxIds = { name, mode: profile.idmap.mode, size: profile.idmap.size, nesting: profile.nesting, state, delegated: null, problem: null };
      if (profile.idmap.mode === 'shared') shared.sandboxes.push(name);
      if (profile.nesting && !fallback) {
        const l = db.leases.find((x) => x.sandbox === name);
        let map: IdMap | null = null;
        if (l) map = buildIdMap({ hostUid: facts.uid, hostGid: facts.gid, size: l.size, uidRanges: l.uid, gidRanges: l.gid });
        else if (profile.idmap.mode === 'shared') {
          const size = Math.min(profile.idmap.size, SHARED_SIZE, 1 + Math.min(totalSize(shared.uid), totalSize(shared.gid)));
          map = buildIdMap({ hostUid: facts.uid, hostGid: facts.gid, size, uidRanges: shared.uid, gidRanges: shared.gid });
        }
        const inside = map ? delegatedRange(map) : null;
        if (map && inside) out.delegated = { inside, uid: hostIdsOf(map.uid, inside), gid: hostIdsOf(map.gid, inside) };
      }
      return out;
    } catch (err) {
      return { name, mode: 'unknown', size: null, nesting: false, state, delegated: null, problem: asSandtrayError(err).message };
    }
  });

  const leases: LeaseReport[] = db.leases.map((l) => ({
    sandbox: l.sandbox,
    size: l.size,
    hostUidStart: l.uid[0]?.start ?? null,
    hostGidStart: l.gid[0]?.start ?? null,
    uid: l.uid,
    gid: l.gid,
    createdAt: l.createdAt,
    state: names.includes(l.sandbox) ? sandboxState(l.sandbox, paths).state : 'MISSING',
    problem: validateLease(l, subs.uid.ranges, subs.gid.ranges),
  }));
  const freeOf = (ranges: readonly IdRange[], block: readonly IdRange[], kind: 'uid' | 'gid'): IdRange[] =>
    subtract(subtract(ranges, block), db.leases.flatMap((l) => l[kind]));
  const freeUid = freeOf(subs.uid.ranges, shared.uid, 'uid');
  const freeGid = freeOf(subs.gid.ranges, shared.gid, 'gid');
  return {
    user: facts.user,
    uid: facts.uid,
    gid: facts.gid,
    testFiles: testSubIdDir(),
    mapping,
    fallback,
    ranges: { uid: range(subs.uid), gid: range(subs.gid) },
    shared,
    leases,
    sandboxes,
    free: { uid: freeUid, gid: freeGid, uidCount: totalSize(freeUid), gidCount: totalSize(freeGid) },
  };
}
