// Which id map a sandbox gets: the shared block, its isolated lease, or the single-id fallback.
import { SandtrayError } from '../core/errors.js';
import type { Paths } from '../core/paths.js';
import type { HostFacts } from '../host/facts.js';
import type { Profile } from '../profile/schema.js';
import { lease as takeSlice, leaseFile, readLeases, release, validateLease, withLeases, type Lease } from './leases.js';
import { buildIdMap, singleIdMap, type IdMap } from './map.js';
import { totalSize } from './rangeset.js';
import { readUserSubIds, subIdFixCommand, type SubIdResult } from './subid.js';
import { canMapSubordinateIds } from './userns.js';

/** Ids in the shared block, 0 included: every shared sandbox maps 0..65535 the same way. */
export const SHARED_SIZE = 65536;

export interface AssignedMap {
  map: IdMap;
  mode: 'shared' | 'isolated' | 'single';
  /** Said out loud in `info`, `plan` and `doctor` when the map is weaker or smaller than asked. */
  note: string | null;
  lease: Lease | null;
  /** This call took a new lease: the caller releases it if a later step fails. */
  leaseTaken: boolean;
}

export interface AssignOptions {
  name: string;
  paths: Paths;
  /** Take a lease when an isolated sandbox has none (start); without it only look (plan). */
  takeLease?: boolean;
  /** idmap.size is the default, not asked for: a shared map may then shrink to what the user has. */
  sizeIsDefault?: boolean;
}

interface UserIds {
  uids: SubIdResult;
  gids: SubIdResult;
  /** Why only the single-id map is possible, or null. */
  singleOnly: { why: string; fix: string } | null;
}

async function userIds(facts: HostFacts): Promise<UserIds> {
  const { uid: uids, gid: gids } = await readUserSubIds({ name: facts.user, uid: facts.uid });
  let singleOnly: UserIds['singleOnly'] = null;
  if (!uids.ranges.length || !gids.ranges.length) {
    const kind = uids.ranges.length ? 'gids' : 'uids';
    const source = uids.ranges.length ? gids.source : uids.source;
    singleOnly = { why: `${facts.user} has no subordinate ${kind} (${source})`, fix: `ask an administrator to run: ${subIdFixCommand(facts.user)}` };
  } else {
    const can = canMapSubordinateIds();
    if (!can.ok) singleOnly = { why: can.how, fix: 'install newuidmap and newgidmap (Debian/Ubuntu: sudo apt install uidmap)' };
  }
  return { uids, gids, singleOnly };
}

function singleNote(why: string, fix: string): string {
  return `single-id map: ${why}. Only root inside is mapped (to your own uid and gid); other ids do not exist there, so chown or setuid to them fails. To fix: ${fix}`;
}

function isolatedNeedsIds(facts: HostFacts, why: string, fix: string): SandtrayError {
  const hint = fix.startsWith('ask an administrator to run: ') ? `Ask an administrator to run: ${fix.slice('ask an administrator to run: '.length)}` : `To fix: ${fix}.`;
  return new SandtrayError('IDMAP', `An isolated id map needs subordinate ids, but ${why}`, `${hint} Or use idmap.mode: shared.`);
}

/** The shared-mode map: 0 -> the user, 1.. -> the first ids of the user's ranges. */
function sharedMap(facts: HostFacts, ids: UserIds, size: number, sizeIsDefault: boolean): { map: IdMap; note: string | null } {
  if (size > SHARED_SIZE) {
    throw new SandtrayError(
      'IDMAP',
      `A shared id map holds at most ${SHARED_SIZE} ids, but idmap.size is ${size}`,
      'Use idmap.mode: isolated for a bigger map (it leases ids of its own), or a smaller idmap.size.',
    );
  }
  const available = Math.min(SHARED_SIZE - 1, totalSize(ids.uids.ranges), totalSize(ids.gids.ranges));
  let note: string | null = null;
  if (size - 1 > available && sizeIsDefault) {
    note = `shared map of ${available + 1} ids, not ${size}: only ${available} subordinate ids are there. To fix: ask an administrator to run: ${subIdFixCommand(facts.user)}`;
    size = available + 1;
  }
  return { map: buildIdMap({ hostUid: facts.uid, hostGid: facts.gid, size, uidRanges: ids.uids.ranges, gidRanges: ids.gids.ranges }), note };
}

function leaseMap(facts: HostFacts, l: Lease): IdMap {
  return buildIdMap({ hostUid: facts.uid, hostGid: facts.gid, size: l.size, uidRanges: l.uid, gidRanges: l.gid });
}

function leaseTakenNote(size: number): string {
  return `no id lease yet: start leases ${size - 1} subordinate uids and gids of its own`;
}

/**
 * Leases an isolated slice of `size` ids to a sandbox under the lease file's lock, or returns the
 * lease it already holds. `taken` tells whether this call made it.
 */
export async function leaseIds(name: string, size: number, facts: HostFacts, paths: Paths): Promise<{ lease: Lease; taken: boolean }> {
  const ids = await userIds(facts);
  if (ids.singleOnly) throw isolatedNeedsIds(facts, ids.singleOnly.why, ids.singleOnly.fix);
  return withLeases(leaseFile(paths), (db) => {
    const before = db.leases.length;
    const l = takeSlice(db, name, size, ids.uids.ranges, ids.gids.ranges, SHARED_SIZE);
    return { lease: l, taken: db.leases.length > before };
  });
}

/** Frees a sandbox's lease; returns it, or null when it had none. */
export async function releaseIds(name: string, paths: Paths): Promise<Lease | null> {
  return withLeases(leaseFile(paths), (db) => release(db, name));
}

/** The id map for a sandbox started now with this profile. */
export async function assignIdMap(profile: Profile, facts: HostFacts, opts: AssignOptions): Promise<AssignedMap> {
  const ids = await userIds(facts);
  if (ids.singleOnly) {
    if (profile.idmap.mode === 'isolated') throw isolatedNeedsIds(facts, ids.singleOnly.why, ids.singleOnly.fix);
    return { map: singleIdMap(facts.uid, facts.gid), mode: 'single', note: singleNote(ids.singleOnly.why, ids.singleOnly.fix), lease: null, leaseTaken: false };
  }
  if (profile.idmap.mode === 'shared') {
    const { map, note } = sharedMap(facts, ids, profile.idmap.size, opts.sizeIsDefault ?? false);
    return { map, mode: 'shared', note, lease: null, leaseTaken: false };
  }

  const file = leaseFile(opts.paths);
  let l = (await readLeases(file)).leases.find((x) => x.sandbox === opts.name) ?? null;
  let taken = false;
  let note: string | null = null;
  if (!l) {
    if (opts.takeLease) {
      ({ lease: l, taken } = await leaseIds(opts.name, profile.idmap.size, facts, opts.paths));
    } else {
      // A preview for `plan`: what a start would lease if nobody else leases first.
      const db = await readLeases(file);
      l = takeSlice({ version: 1, leases: [...db.leases] }, opts.name, profile.idmap.size, ids.uids.ranges, ids.gids.ranges, SHARED_SIZE);
      note = leaseTakenNote(profile.idmap.size);
    }
  }
  try {
    if (l.size !== profile.idmap.size) {
      throw new SandtrayError(
        'IDMAP',
        `Sandbox ${opts.name} holds a lease of ${l.size} ids, but its profile now asks for ${profile.idmap.size}`,
        `Set idmap.size back to ${l.size}, or delete the sandbox and create it again with the new size.`,
      );
    }
    // An administrator may have shrunk the user's ranges since the lease was made.
    const problem = validateLease(l, ids.uids.ranges, ids.gids.ranges);
    if (problem) {
      throw new SandtrayError(
        'IDMAP',
        `Cannot use the id lease of sandbox ${opts.name}: ${problem}`,
        `The subordinate ids in ${ids.uids.source} changed since the lease was made (see \`sandtray idmap\`). Ask an administrator to give the range back; deleting the sandbox needs those ids too.`,
      );
    }
    return { map: leaseMap(facts, l), mode: 'isolated', note, lease: l, leaseTaken: taken };
  } catch (err) {
    if (taken) await releaseIds(opts.name, opts.paths).catch(() => undefined);
    throw err;
  }
}

/**
 * The map under which a sandbox's files can be removed: its lease when it holds one (its files
 * belong to those ids), else the shared map (or the single-id map).
 */
export async function removalIdMap(name: string, facts: HostFacts, paths: Paths): Promise<IdMap> {
  const l = (await readLeases(leaseFile(paths))).leases.find((x) => x.sandbox === name);
  if (l) return leaseMap(facts, l);
  const ids = await userIds(facts);
  if (ids.singleOnly) return singleIdMap(facts.uid, facts.gid);
  return sharedMap(facts, ids, SHARED_SIZE, true).map;
}
