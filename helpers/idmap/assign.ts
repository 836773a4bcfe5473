// Which id map a sandbox gets: the shared block, its isolated lease, or the single-id fallback.
import { SandtrayError } from '../core/errors.js';
import type { HostFacts } from '../host/facts.js';
import type { Profile } from '../profile/schema.js';
import { buildIdMap, singleIdMap, type IdMap } from './map.js';
import { readSubIds, subIdFixCommand } from './subid.js';

export interface AssignedMap {
  map: IdMap;
  mode: 'shared' | 'isolated' | 'single';
  /** Said out loud in `info` and `doctor` when the map is weaker than asked. */
  note: string | null;
}

/** The id map for a sandbox started now with this profile. */
export async function assignIdMap(profile: Profile, facts: HostFacts): Promise<AssignedMap> {
  const user = { name: facts.user, uid: facts.uid };
  const [uids, gids] = await Promise.all([readSubIds('uid', user), readSubIds('gid', user)]);
  if (!uids.ranges.length || !gids.ranges.length) {
    if (profile.idmap.mode === 'isolated') {
      throw new SandtrayError('IDMAP', `User ${facts.user} has no subordinate ${uids.ranges.length ? 'gids' : 'uids'} (${uids.ranges.length ? gids.source : uids.source}), which an isolated id map needs`, `Ask an administrator to run: ${subIdFixCommand(facts.user)}`);
    }
    return {
      map: singleIdMap(facts.uid, facts.gid),
      mode: 'single',
      note: `no subordinate ids for ${facts.user}: only root (your own uid) is mapped inside; ask an administrator to run: ${subIdFixCommand(facts.user)}`,
    };
  }
  const map = buildIdMap({ hostUid: facts.uid, hostGid: facts.gid, size: profile.idmap.size, uidRanges: uids.ranges, gidRanges: gids.ranges });
  return { map, mode: 'shared', note: null };
}
