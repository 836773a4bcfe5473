import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SandtrayError } from '../../helpers/core/errors.js';
import { sandtrayPaths } from '../../helpers/core/paths.js';
import { readHostFacts } from '../../helpers/host/facts.js';
import { assignIdMap, SHARED_SIZE } from '../../helpers/idmap/assign.js';
import { delegatedRange, hostIdsOf, subIdFiles } from '../../helpers/idmap/delegate.js';
import { buildIdMap, formatMapLines, singleIdMap } from '../../helpers/idmap/map.js';
import { TEST_SUBID_ENV } from '../../helpers/idmap/subid.js';
import { canWriteMaps, effectiveCaps, mapText, mapWriter, mirrorMap, runInUserns, usernsArgv } from '../../helpers/idmap/userns.js';
import { expandLayers } from '../../helpers/profile/expand.js';
import { firstIds, me, subIdText } from '../lib/idmap.js';

const map = buildIdMap({ hostUid: 1000, hostGid: 1001, size: 65536, uidRanges: [{ start: 100000, size: 65536 }], gidRanges: [{ start: 200000, size: 65536 }] });

test('capabilities are read from CapEff; writing maps needs SETUID, SETGID and SETFCAP', () => {
  assert.equal(effectiveCaps('Name:\tx\nCapEff:\t000001ffffffffff\n'), 0x1ffffffffffn);
  assert.equal(effectiveCaps('CapEff:\t0000000000000000\n'), 0n);
  assert.equal(canWriteMaps(0x1ffffffffffn), true);
  assert.equal(canWriteMaps((1n << 6n) | (1n << 7n)), false, 'no CAP_SETFCAP');
  assert.equal(canWriteMaps((1n << 6n) | (1n << 7n) | (1n << 31n)), true);
  // This suite never runs as root: the running process cannot write maps itself.
  assert.equal(canWriteMaps(), false);
});

test('the writer: direct with capabilities, own-id map by anyone, newuidmap otherwise', () => {
  const all = 0x1ffffffffffn;
  assert.equal(mapWriter(mirrorMap(map), 1000, 1001, all), 'write');
  assert.equal(mapWriter(mirrorMap(map), 1000, 1001, 0n), 'newuidmap');
  assert.equal(mapWriter(mirrorMap(singleIdMap(1000, 1001)), 1000, 1001, 0n), 'write-own');
  // Someone else's id is never "own".
  assert.equal(mapWriter(mirrorMap(singleIdMap(1000, 1001)), 1002, 1001, 0n), 'newuidmap');
});

test('the outer namespace mirrors the host ids; map text is unpadded lines', () => {
  assert.deepEqual(mirrorMap(map).uid, [
    { inside: 1000, outside: 1000, count: 1 },
    { inside: 100000, outside: 100000, count: 65535 },
  ]);
  assert.equal(mapText(map.gid), '0 1001 1\n1 200000 65535\n');
});

test('the launch argv carries the limit and the map lines as words', () => {
  assert.deepEqual(usernsArgv(map, { nesting: false }), ['sandtray-userns', '1', '0 1000 1 1 100000 65535', '0 1001 1 1 200000 65535']);
  assert.equal(usernsArgv(map, { nesting: true })[1], 'none');
});

test('a nesting sandbox keeps min(65536, half) ids and delegates the rest', () => {
  assert.deepEqual(delegatedRange(map), { start: 32768, size: 32768 });
  const big = buildIdMap({ hostUid: 1, hostGid: 1, size: 200000, uidRanges: [{ start: 1000, size: 300000 }], gidRanges: [{ start: 1000, size: 300000 }] });
  assert.deepEqual(delegatedRange(big), { start: 65536, size: 134464 });
  assert.equal(delegatedRange(singleIdMap(1, 1)), null);
  assert.deepEqual(subIdFiles({ start: 65536, size: 134464 }), { subuid: 'root:65536:134464\n', subgid: 'root:65536:134464\n' });
  assert.deepEqual(subIdFiles(null), { subuid: '', subgid: '' });
  // Host ids behind inside ids, across map lines.
  const frag = buildIdMap({ hostUid: 1, hostGid: 1, size: 21, uidRanges: [{ start: 500, size: 10 }, { start: 900, size: 10 }], gidRanges: [{ start: 500, size: 20 }] });
  assert.deepEqual(hostIdsOf(frag.uid, { start: 8, size: 5 }), [{ start: 507, size: 3 }, { start: 900, size: 2 }]);
});

test('runInUserns writes a fragmented map with newuidmap: the kernel shows it exactly', async () => {
  const u = await me();
  const first = firstIds(u.uids, 100);
  const gfirst = firstIds(u.gids, 100);
  const ids = (rs: typeof first): number[] => rs.flatMap((r) => Array.from({ length: r.size }, (_, i) => r.start + i));
  // Three separate host ids in descending order: a three-line map util-linux unshare cannot express.
  const pick = (rs: typeof first) => [ids(rs)[90]!, ids(rs)[50]!, ids(rs)[10]!].map((start) => ({ start, size: 1 }));
  const m = buildIdMap({ hostUid: u.uid, hostGid: u.gid, size: 4, uidRanges: pick(first), gidRanges: pick(gfirst) });
  assert.equal(m.uid.length, 4);
  assert.equal(mapWriter(m), 'newuidmap');
  const r = await runInUserns(m, ['/bin/sh', '-c', 'cat /proc/self/uid_map /proc/self/gid_map; id -u']);
  assert.equal(r.exitCode, 0, r.stderr);
  assert.equal(r.stdout, formatMapLines(m.uid) + formatMapLines(m.gid) + '0\n');
});

test('runInUserns maps only our own ids without any helper (write-own)', async () => {
  const u = await me();
  const m = singleIdMap(u.uid, u.gid);
  assert.equal(mapWriter(m), 'write-own');
  const r = await runInUserns(m, ['/bin/sh', '-c', 'cat /proc/self/uid_map /proc/self/gid_map /proc/self/setgroups']);
  assert.equal(r.exitCode, 0, r.stderr);
  assert.equal(r.stdout, formatMapLines(m.uid) + formatMapLines(m.gid) + 'deny\n');
});

async function withTestIds<T>(subuid: string, fn: (paths: ReturnType<typeof sandtrayPaths>) => Promise<T>): Promise<T> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sandtray-assign-'));
  const saved = process.env[TEST_SUBID_ENV];
  fs.writeFileSync(path.join(dir, 'subuid'), subuid);
  fs.writeFileSync(path.join(dir, 'subgid'), subuid);
  process.env[TEST_SUBID_ENV] = dir;
  try {
    return await fn(sandtrayPaths({ HOME: dir, XDG_DATA_HOME: path.join(dir, 'data') }));
  } finally {
    if (saved === undefined) delete process.env[TEST_SUBID_ENV];
    else process.env[TEST_SUBID_ENV] = saved;
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const profile = (yaml: { mode?: 'shared' | 'isolated'; size?: number }) =>
  expandLayers('box', [{ origin: 'test', layer: { apiVersion: 'sandtray/v1', idmap: yaml } }]).profile;

test('shared maps: at most the shared block; a default size shrinks to what the user has, out loud', async () => {
  const facts = { ...readHostFacts(), uid: 1000, gid: 1000, user: 'alice' };
  await withTestIds('alice:100000:1000\n', async (paths) => {
    const small = await assignIdMap(profile({}), facts, { name: 'box', paths, sizeIsDefault: true });
    assert.equal(small.mode, 'shared');
    assert.deepEqual(small.map.uid, [{ inside: 0, outside: 1000, count: 1 }, { inside: 1, outside: 100000, count: 1000 }]);
    assert.match(small.note ?? '', /shared map of 1001 ids, not 65536: only 1000 subordinate ids.*usermod --add-subuids/);
    // Asked for explicitly: an error, not a silent shrink.
    await assert.rejects(assignIdMap(profile({ size: 65536 }), facts, { name: 'box', paths }), (e: unknown) => e instanceof SandtrayError && e.code === 'IDMAP' && /needs 65535 subordinate uids but only 1000/.test(e.message));
    await assert.rejects(assignIdMap(profile({ size: SHARED_SIZE + 1 }), facts, { name: 'box', paths }), (e: unknown) => e instanceof SandtrayError && /at most 65536/.test(e.message) && /isolated/.test(e.hint ?? ''));
  });
});

test('no ranges: shared falls back to the single-id map and says so; isolated refuses naming usermod', async () => {
  const facts = { ...readHostFacts(), uid: 1000, gid: 1000, user: 'alice' };
  // bob holds 100000-165535: the advice for alice must not hand out the same ids again.
  await withTestIds('bob:100000:65536\n', async (paths) => {
    const single = await assignIdMap(profile({}), facts, { name: 'box', paths });
    assert.equal(single.mode, 'single');
    assert.deepEqual(single.map, singleIdMap(1000, 1000));
    assert.match(single.note ?? '', /^single-id map: alice has no subordinate uids .*usermod --add-subuids 165536-231071 --add-subgids 165536-231071 alice/);
    await assert.rejects(
      assignIdMap(profile({ mode: 'isolated' }), facts, { name: 'box', paths, takeLease: true }),
      (e: unknown) => e instanceof SandtrayError && e.code === 'IDMAP' && /isolated id map needs subordinate ids/.test(e.message) && /usermod --add-subuids 165536-231071 --add-subgids 165536-231071 alice/.test(e.hint ?? ''),
    );
  });
});

test('isolated: plan previews a lease without taking it; start takes it once', async () => {
  const facts = { ...readHostFacts(), uid: 1000, gid: 1000, user: 'alice' };
  await withTestIds(subIdText('alice', [{ start: 100000, size: 65535 + 5000 }]), async (paths) => {
    const preview = await assignIdMap(profile({ mode: 'isolated', size: 1000 }), facts, { name: 'box', paths });
    assert.equal(preview.leaseTaken, false);
    assert.match(preview.note ?? '', /no id lease yet/);
    assert.ok(!fs.existsSync(path.join(paths.data, 'idmap-leases.json')));
    const got = await assignIdMap(profile({ mode: 'isolated', size: 1000 }), facts, { name: 'box', paths, takeLease: true });
    assert.equal(got.leaseTaken, true);
    assert.deepEqual(got.map.uid, [{ inside: 0, outside: 1000, count: 1 }, { inside: 1, outside: 165535, count: 999 }]);
    assert.deepEqual(got.map, preview.map);
    const again = await assignIdMap(profile({ mode: 'isolated', size: 1000 }), facts, { name: 'box', paths, takeLease: true });
    assert.equal(again.leaseTaken, false);
    assert.deepEqual(again.map, got.map);
    await assert.rejects(assignIdMap(profile({ mode: 'isolated', size: 2000 }), facts, { name: 'box', paths }), /holds a lease of 1000 ids, but its profile now asks for 2000/);
  });
});
