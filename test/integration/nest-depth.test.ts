// Nested sandboxes: host -> sandbox -> nested sandbox -> command, each level with its own hostname,
// pid namespace and sandbox list, the child's ids a slice of the parent's; and no user namespaces
// at all inside a sandbox without nesting.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import type { IdmapReport } from '../../helpers/inspect/idmap-report.js';
import { contains, type IdRange } from '../../helpers/idmap/rangeset.js';
import { hostIdsOf } from '../../helpers/idmap/delegate.js';
import { buildIdMap, type MapLine } from '../../helpers/idmap/map.js';
import { sandtrayEnv, writeProfile } from '../lib/sandtray.js';
import { me, type Me } from '../lib/idmap.js';

const e = sandtrayEnv('nest');
after(() => e.cleanup());
let u: Me;
before(async () => {
  u = await me();
});

/** argv that runs `sandtray ARGS` one level down, inside `name`. */
const inP = (name: string, ...args: string[]): string[] => ['exec', name, '--', 'sandtray', ...args];

function parseMap(text: string): MapLine[] {
  return text.trim().split('\n').map((l) => {
    const [inside, outside, count] = l.trim().split(/\s+/).map(Number);
    return { inside: inside!, outside: outside!, count: count! };
  });
}
const outsideOf = (lines: MapLine[]): IdRange[] => lines.map((l) => ({ start: l.outside, size: l.count }));

/** Host pid of a nested sandbox's pid 1, found through the parent's process list. */
async function nestedInitHostPid(parent: string, pidInParent: number): Promise<number> {
  const procs = JSON.parse(await e.ok(['ps', parent, '--json'])) as { hostPid: number; pid: number | null; command: string }[];
  const hit = procs.find((p) => p.pid === pidInParent);
  assert.ok(hit, `pid ${pidInParent} of ${parent} is in its process list`);
  return hit.hostPid;
}

test('depth two: host -> sandbox -> nested sandbox -> command, the child map a slice of the parent', async () => {
  await e.ok(['launch', 'outer', '--set', 'idmap.mode=isolated', '--set', 'idmap.size=200000', '--set', 'nesting=true', '--set', 'hostname=level-one']);
  // The parent delegates everything above its first 65536 ids, named for its root.
  const etc = await e.ok(['exec', 'outer', '--', 'cat', '/etc/subuid', '/etc/subgid']);
  assert.equal(etc, 'root:65536:134464\nroot:65536:134464');
  // The CLI inside is read-only and maps ids without setuid helpers (root of its namespace).
  const mountOpts = await e.ok(['exec', 'outer', '--', 'awk', '$5 ~ /^\\/opt\\/sandtray\\// { print $5, $6 }', '/proc/self/mountinfo']);
  const points = Object.fromEntries(mountOpts.split('\n').map((l) => l.split(' ')));
  for (const m of ['/opt/sandtray/app/dist', '/opt/sandtray/app/node_modules', '/opt/sandtray/app/bin', '/opt/sandtray/app/package.json', '/opt/sandtray/bin/node']) {
    assert.match(points[m] ?? '(not mounted)', /^ro,/, m);
  }
  const nestedIdmap = await e.ok(inP('outer', 'idmap'));
  assert.match(nestedIdmap, /uids: 65536-199999 +\(134464 ids, from (getsubids root|\/etc\/subuid)\)/);
  assert.match(nestedIdmap, /maps are written directly/);

  await e.ok(inP('outer', 'launch', 'inner', '--set', 'hostname=level-two'));
  const cmd = 'hostname; readlink /proc/self/ns/pid; cat /proc/self/uid_map; echo "pid $$"';
  const [hostname, pidns, ...rest] = (await e.ok(inP('outer', 'exec', 'inner', '--', '/bin/sh', '-c', cmd))).split('\n');
  assert.equal(hostname, 'level-two');
  assert.match(rest.at(-1) ?? '', /^pid \d+$/);
  const [outerHost, outerPidns] = (await e.ok(['exec', 'outer', '--', '/bin/sh', '-c', 'hostname; readlink /proc/self/ns/pid'])).split('\n');
  assert.equal(outerHost, 'level-one');
  const hostPidns = fs.readlinkSync('/proc/self/ns/pid');
  assert.equal(new Set([hostPidns, outerPidns, pidns]).size, 3, 'three pid namespaces');

  // Inside, the child's map is the nested shared block: its root is the parent's root, the rest
  // the first delegated ids.
  assert.deepEqual(parseMap(rest.slice(0, -1).join('\n')), [
    { inside: 0, outside: 0, count: 1 },
    { inside: 1, outside: 65536, count: 65535 },
  ]);
  // Seen from the host, every id of the child is one of the parent's delegated host ids.
  const lease = (JSON.parse(await e.ok(['idmap', '--json'])) as IdmapReport).leases.find((l) => l.sandbox === 'outer')!;
  const parentMap = buildIdMap({ hostUid: u.uid, hostGid: u.gid, size: lease.size, uidRanges: lease.uid, gidRanges: lease.gid });
  const innerInfo = JSON.parse(await e.ok(inP('outer', 'info', 'inner', '--json'))) as { pid: number };
  const innerHostPid = await nestedInitHostPid('outer', innerInfo.pid);
  const childUid = parseMap(fs.readFileSync(`/proc/${innerHostPid}/uid_map`, 'utf8'));
  const childGid = parseMap(fs.readFileSync(`/proc/${innerHostPid}/gid_map`, 'utf8'));
  assert.deepEqual(childUid[0], { inside: 0, outside: u.uid, count: 1 }, 'root of the child is the user, as for its parent');
  const delegated = { start: 65536, size: 134464 };
  assert.ok(contains(hostIdsOf(parentMap.uid, delegated), outsideOf(childUid.slice(1))), 'child uids are delegated parent uids');
  assert.ok(contains(hostIdsOf(parentMap.gid, delegated), outsideOf(childGid.slice(1))), 'child gids are delegated parent gids');
  assert.ok(contains(outsideOf(parentMap.uid), outsideOf(childUid)), "the child's map is a subset of the parent's");

  // Each level lists only its own children.
  const names = async (args: string[]): Promise<string[]> => (JSON.parse(await e.ok(args)) as { name: string }[]).map((s) => s.name);
  assert.deepEqual(await names(['list', '--json']), ['outer']);
  assert.deepEqual(await names(inP('outer', 'list', '--json')), ['inner']);
  assert.match(await e.ok(['idmap']), /outer: ids 65536-199999 inside = host uids /);

  // The nested sandtray deletes its child's files of delegated ids, without setuid helpers.
  await e.ok(inP('outer', 'exec', 'inner', '--', '/bin/sh', '-c', 'mkdir /root/d && touch /root/d/f && chown -R 1000:1000 /root/d && chmod 0 /root/d'));
  await e.ok(inP('outer', 'delete', '--force', 'inner'));
  assert.deepEqual(await names(inP('outer', 'list', '--json')), []);
  await e.ok(['delete', '--force', 'outer']);
});

test('depth three: each nesting level hands a slice of its own ids down', async () => {
  await e.ok(['launch', 'l1', '--set', 'idmap.mode=isolated', '--set', 'idmap.size=200000', '--set', 'nesting=true', '--set', 'hostname=l1']);
  await e.ok(inP('l1', 'launch', 'l2', '--set', 'nesting=true', '--set', 'hostname=l2'));
  assert.equal(await e.ok(inP('l1', 'exec', 'l2', '--', 'cat', '/etc/subuid')), 'root:32768:32768');
  // The default shared size shrinks to what l2 delegates, and says so.
  await e.ok(inP('l1', 'exec', 'l2', '--', 'sandtray', 'launch', 'l3', '--set', 'hostname=l3'));
  const info = await e.ok(inP('l1', 'exec', 'l2', '--', 'sandtray', 'info', 'l3'));
  assert.match(info, /note: shared map of 32769 ids, not 65536/);
  const out = await e.ok(inP('l1', 'exec', 'l2', '--', 'sandtray', 'exec', 'l3', '--', '/bin/sh', '-c', 'hostname; cat /proc/self/uid_map'));
  assert.deepEqual(out.split('\n').map((l) => l.trim().split(/\s+/).join(' ')), ['l3', '0 0 1', '1 32768 32768']);
  await e.ok(['delete', '--force', 'l1']);
});

test('nesting disabled (the default): no user namespace can be made inside, by two separate layers', async () => {
  await e.ok(['launch', 'flat']);
  const scripts = ['unshare -U true', 'unshare --user --map-root-user true', 'echo 1000 > /proc/sys/user/max_user_namespaces; unshare -U true'];
  // The seccomp filter answers first...
  for (const script of scripts) {
    const r = await e.run(['exec', 'flat', '--', '/bin/sh', '-c', script]);
    assert.notEqual(r.exitCode, 0, `${script} must fail`);
    assert.match(r.stderr, /unshare failed: Operation not permitted/, script);
  }
  // ...and without its namespace rules (a profile asking for CAP_SYS_ADMIN lifts them), the limit
  // of the outer user namespace still holds, even after raising the limit inside.
  const admin = writeProfile(e, 'flat-admin', 'apiVersion: sandtray/v1\ncapabilities: [SYS_ADMIN]\n');
  await e.ok(['launch', 'flat-admin', '--profile', admin]);
  for (const script of scripts) {
    const r = await e.run(['exec', 'flat-admin', '--', '/bin/sh', '-c', script]);
    assert.notEqual(r.exitCode, 0, `${script} must fail`);
    assert.match(r.stderr, /unshare failed: No space left on device/, script);
  }
  await e.ok(['delete', '--force', 'flat-admin']);
  // Nothing for nesting is there either.
  assert.equal((await e.run(['exec', 'flat', '--', '/bin/sh', '-c', 'command -v sandtray || test -e /etc/subuid'])).exitCode, 1, 'no CLI and no subuid inside');
  // With nesting on, the same command works.
  await e.ok(['launch', 'deep', '--set', 'nesting=true']);
  assert.equal((await e.run(['exec', 'deep', '--', 'unshare', '-U', 'true'])).exitCode, 0);
  await e.ok(['delete', '--force', 'flat', 'deep']);
});
