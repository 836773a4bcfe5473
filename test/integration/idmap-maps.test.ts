// Id maps of real sandboxes through the CLI, as the unprivileged test user with its real ranges.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { buildIdMap, formatMapLines, singleIdMap, type IdMap } from '../../helpers/idmap/map.js';
import { contains, formatRanges, intersect, totalSize, type IdRange } from '../../helpers/idmap/rangeset.js';
import type { IdmapReport } from '../../helpers/inspect/idmap-report.js';
import { sandtrayEnv, writeProfile } from '../lib/sandtray.js';
import { disjoint, firstIds, me, subIdText, withSubIdFiles, type Me } from '../lib/idmap.js';

const e = sandtrayEnv('idmap');
after(() => e.cleanup());
let u: Me;
before(async () => {
  u = await me();
});

async function report(env = e.env): Promise<IdmapReport> {
  return JSON.parse(await e.ok(['idmap', '--json'], { env })) as IdmapReport;
}

/** Output of a script run inside, with its final newline (the harness strips it). */
async function inside(name: string, script: string, env = e.env): Promise<string> {
  return `${await e.ok(['exec', name, '--', '/bin/sh', '-c', script], { env })}\n`;
}

function leaseOf(r: IdmapReport, name: string) {
  const l = r.leases.find((x) => x.sandbox === name);
  assert.ok(l, `sandbox ${name} has a lease`);
  return l;
}

function leaseMap(l: { size: number; uid: IdRange[]; gid: IdRange[] }): IdMap {
  return buildIdMap({ hostUid: u.uid, hostGid: u.gid, size: l.size, uidRanges: l.uid, gidRanges: l.gid });
}

const MAPS = 'cat /proc/self/uid_map; echo --; cat /proc/self/gid_map';

test('shared mode: /proc/self/uid_map and gid_map inside are exactly 0 -> the user, 1..65535 -> the first subordinate ids', async () => {
  await e.ok(['launch', 'shared1']);
  const want = buildIdMap({ hostUid: u.uid, hostGid: u.gid, size: 65536, uidRanges: firstIds(u.uids, 65535), gidRanges: firstIds(u.gids, 65535) });
  assert.equal(await inside('shared1', MAPS), `${formatMapLines(want.uid)}--\n${formatMapLines(want.gid)}`);
  // info and the host's view of pid 1 say the same.
  const info = JSON.parse(await e.ok(['info', 'shared1', '--json']));
  assert.deepEqual(info.idmap, want);
  assert.equal(fs.readFileSync(`/proc/${info.pid}/uid_map`, 'utf8'), formatMapLines(want.uid));
  // A second shared sandbox gets the very same map.
  await e.ok(['launch', 'shared2']);
  assert.equal(await inside('shared2', 'cat /proc/self/uid_map'), formatMapLines(want.uid));
  const r = await report();
  assert.deepEqual(r.shared.sandboxes, ['shared1', 'shared2']);
  assert.deepEqual(r.leases, []);
  await e.ok(['delete', '--force', 'shared1', 'shared2']);
});

test('isolated mode: exact maps from the lease; two sandboxes have disjoint host ids; chown stops at the last mapped id', async () => {
  await e.ok(['create', 'iso-a', '--set', 'idmap.mode=isolated', '--set', 'idmap.size=5000']);
  await e.ok(['create', 'iso-b', '--set', 'idmap.mode=isolated', '--set', 'idmap.size=5000']);
  const r = await report();
  const a = leaseOf(r, 'iso-a');
  const b = leaseOf(r, 'iso-b');
  for (const l of [a, b]) {
    assert.equal(l.size, 5000);
    assert.equal(totalSize(l.uid), 4999);
    assert.equal(totalSize(l.gid), 4999);
    assert.ok(contains(u.uids, l.uid) && contains(u.gids, l.gid), 'leases come from the user ranges');
    assert.ok(disjoint(l.uid, r.shared.uid) && disjoint(l.gid, r.shared.gid), 'leases stay out of the shared block');
    assert.equal(l.hostUidStart, l.uid[0]!.start);
  }
  assert.ok(disjoint(a.uid, b.uid) && disjoint(a.gid, b.gid), `iso-a ${formatRanges(a.uid)} and iso-b ${formatRanges(b.uid)} overlap`);

  await e.ok(['start', 'iso-a', 'iso-b']);
  for (const [name, l] of [['iso-a', a], ['iso-b', b]] as const) {
    const want = leaseMap(l);
    assert.equal(await inside(name, MAPS), `${formatMapLines(want.uid)}--\n${formatMapLines(want.gid)}`);
    // The last id inside (size - 1) exists, one past it does not.
    const out = await inside(name, 'touch /root/f && chown 4999:4999 /root/f && echo last-ok; chown 5000 /root/f 2>/dev/null || echo past-refused; chgrp 5000 /root/f 2>/dev/null || echo gpast-refused');
    assert.equal(out, 'last-ok\npast-refused\ngpast-refused\n');
    // On the host the file belongs to the lease's last id.
    const st = fs.statSync(path.join(e.env['XDG_DATA_HOME']!, 'sandtray', 'sandboxes', name, 'home', 'f'));
    const lastUid = l.uid[l.uid.length - 1]!;
    const lastGid = l.gid[l.gid.length - 1]!;
    assert.equal(st.uid, lastUid.start + lastUid.size - 1);
    assert.equal(st.gid, lastGid.start + lastGid.size - 1);
  }
  const hostA = fs.statSync(path.join(e.env['XDG_DATA_HOME']!, 'sandtray', 'sandboxes', 'iso-a', 'home', 'f')).uid;
  const hostB = fs.statSync(path.join(e.env['XDG_DATA_HOME']!, 'sandtray', 'sandboxes', 'iso-b', 'home', 'f')).uid;
  assert.notEqual(hostA, hostB);
  // The text report names both leases and what is free.
  const text = await e.ok(['idmap']);
  assert.match(text, new RegExp(`iso-a +5000 +${formatRanges(a.uid)}`));
  assert.match(text, /Free for new leases: uids /);
  await e.ok(['delete', '--force', 'iso-a', 'iso-b']);
  assert.deepEqual((await report()).leases, [], 'delete frees the leases');
});

test('leases survive restarts of the CLI and of the sandbox', async () => {
  await e.ok(['create', 'keep', '--set', 'idmap.mode=isolated', '--set', 'idmap.size=3000']);
  const first = leaseOf(await report(), 'keep');
  // Every call is a new CLI process; the lease file is what remembers.
  await e.ok(['start', 'keep']);
  await e.ok(['stop', 'keep']);
  await e.ok(['start', 'keep']);
  const second = leaseOf(await report(), 'keep');
  assert.deepEqual(second, { ...first, state: 'RUNNING' });
  assert.equal(await inside('keep', 'cat /proc/self/uid_map'), formatMapLines(leaseMap(first).uid));
  // A sandbox created later never gets those ids.
  await e.ok(['create', 'later', '--set', 'idmap.mode=isolated', '--set', 'idmap.size=3000']);
  assert.ok(disjoint(leaseOf(await report(), 'later').uid, first.uid));
  await e.ok(['delete', '--force', 'keep', 'later']);
});

test('parallel creates get disjoint slices', async () => {
  const names = Array.from({ length: 6 }, (_, i) => `par-${i}`);
  const results = await Promise.all(names.map((n) => e.run(['create', n, '--set', 'idmap.mode=isolated', '--set', 'idmap.size=2000'])));
  for (const r of results) assert.equal(r.exitCode, 0, r.stderr);
  const leases = (await report()).leases.filter((l) => l.sandbox.startsWith('par-'));
  assert.deepEqual(leases.map((l) => l.sandbox).sort(), names);
  for (let i = 0; i < leases.length; i++) {
    for (let j = i + 1; j < leases.length; j++) {
      assert.deepEqual(intersect(leases[i]!.uid, leases[j]!.uid), [], `${leases[i]!.sandbox} and ${leases[j]!.sandbox} share uids`);
      assert.deepEqual(intersect(leases[i]!.gid, leases[j]!.gid), [], `${leases[i]!.sandbox} and ${leases[j]!.sandbox} share gids`);
    }
  }
  const lockLeft = fs.readdirSync(path.join(e.env['XDG_DATA_HOME']!, 'sandtray')).filter((f) => f.includes('.lock') || f.includes('.tmp'));
  assert.deepEqual(lockLeft, []);
  await e.ok(['delete', ...names]);
});

test('exhaustion: a clear error, and the failed create leaves neither sandbox nor lease', async () => {
  // The user's first 65535 ids (the shared block) plus 3000 more: room for one lease of 2000.
  const env = withSubIdFiles(e, subIdText(u.name, firstIds(u.uids, 65535 + 3000)), subIdText(u.name, firstIds(u.gids, 65535 + 3000)));
  await e.ok(['create', 'ex-1', '--set', 'idmap.mode=isolated', '--set', 'idmap.size=2001'], { env });
  const r = await e.run(['create', 'ex-2', '--set', 'idmap.mode=isolated', '--set', 'idmap.size=2001'], { env });
  assert.equal(r.exitCode, 1);
  assert.match(r.stderr, /Not enough free subordinate uids for sandbox ex-2: it needs 2000, 1000 are free/);
  assert.match(r.stderr, /hint: .*usermod --add-subuids/);
  const after_ = await report(env);
  assert.deepEqual(after_.leases.map((l) => l.sandbox), ['ex-1']);
  assert.equal(after_.free.uidCount, 1000);
  assert.ok(!fs.existsSync(path.join(e.env['XDG_DATA_HOME']!, 'sandtray', 'sandboxes', 'ex-2')));
  // The one that fit really runs with ids from inside the (real) range.
  await e.ok(['start', 'ex-1'], { env });
  assert.equal(await inside('ex-1', 'cat /proc/self/uid_map', env), formatMapLines(leaseMap(leaseOf(after_, 'ex-1')).uid));
  await e.ok(['delete', '--force', 'ex-1'], { env });
});

test('a malformed /etc/subuid line is reported with its number and never used', async () => {
  const good = firstIds(u.uids, 65535 + 2000);
  const env = withSubIdFiles(e, subIdText(u.name, good, [`${u.name}:0777:10`, `${u.name}:5`]), subIdText(u.name, firstIds(u.gids, 65535 + 2000)));
  const r = await report(env);
  assert.deepEqual(r.ranges.uid.problems.map((p) => p.line), [good.length + 1, good.length + 2]);
  assert.match(r.ranges.uid.problems[0]!.reason, /octal/);
  assert.deepEqual(r.ranges.uid.ranges, good);
  assert.match(await e.ok(['idmap'], { env }), new RegExp(`line ${good.length + 1} is malformed and ignored: start: .*octal`));
  const doc = JSON.parse((await e.run(['doctor', '--json'], { env })).stdout) as { id: string; detail: string }[];
  const lines = doc.filter((c) => c.id === 'subid.uid.line');
  assert.equal(lines.length, 2);
  assert.match(lines[0]!.detail, new RegExp(`line ${good.length + 1} is malformed`));
  assert.ok(doc.some((c) => c.id === 'idmap.testfiles'), 'doctor says test files are in use');
  // The valid lines still work.
  await e.ok(['launch', 'mal', '--set', 'idmap.mode=isolated', '--set', 'idmap.size=1000'], { env });
  await e.ok(['delete', '--force', 'mal'], { env });
});

test('start re-validates the lease: a shrunk range is refused with the reason, a restored one works', async () => {
  const full = firstIds(u.uids, 65535 + 4000);
  const fullG = firstIds(u.gids, 65535 + 4000);
  let env = withSubIdFiles(e, subIdText(u.name, full), subIdText(u.name, fullG));
  await e.ok(['launch', 'shrink', '--set', 'idmap.mode=isolated', '--set', 'idmap.size=3000'], { env });
  const l = leaseOf(await report(env), 'shrink');
  await e.ok(['stop', 'shrink'], { env });
  // The administrator takes back all but the shared block.
  env = withSubIdFiles(e, subIdText(u.name, firstIds(u.uids, 65535)), subIdText(u.name, fullG));
  const r = await e.run(['start', 'shrink'], { env });
  assert.equal(r.exitCode, 1);
  assert.match(r.stderr, new RegExp(`uids ${formatRanges(l.uid)} leased to sandbox shrink are no longer among your subordinate uids`));
  const listed = JSON.parse(await e.ok(['list', '--json'], { env })) as { name: string; state: string }[];
  assert.equal(listed.find((s) => s.name === 'shrink')?.state, 'STOPPED');
  assert.match((await report(env)).leases[0]!.problem ?? '', /no longer among/);
  env = withSubIdFiles(e, subIdText(u.name, full), subIdText(u.name, fullG));
  await e.ok(['start', 'shrink'], { env });
  await e.ok(['delete', '--force', 'shrink'], { env });
});

test('no subordinate ids: the single-id fallback is said out loud; isolated refuses naming usermod', async () => {
  const env = withSubIdFiles(e, '', '');
  await e.ok(['launch', 'single'], { env });
  const want = singleIdMap(u.uid, u.gid);
  assert.equal(await inside('single', MAPS, env), `${formatMapLines(want.uid)}--\n${formatMapLines(want.gid)}`);
  const info = await e.ok(['info', 'single'], { env });
  assert.match(info, /note: single-id map: .* has no subordinate uids/);
  const idmap = await e.ok(['idmap'], { env });
  assert.match(idmap, /FALLBACK: .*single-id map.*usermod --add-subuids/);
  const doc = await e.run(['doctor'], { env });
  assert.match(doc.stdout, /single-id fallback/);
  const r = await e.run(['create', 'iso-none', '--set', 'idmap.mode=isolated'], { env });
  assert.equal(r.exitCode, 1);
  assert.match(r.stderr, /An isolated id map needs subordinate ids/);
  assert.match(r.stderr, new RegExp(`hint: Ask an administrator to run: usermod --add-subuids \\d+-\\d+ --add-subgids \\d+-\\d+ ${u.name}`));
  await e.ok(['delete', '--force', 'single'], { env });
});

test('a failed launch leaves no lease behind', async () => {
  // bwrap cannot create a mount point under /proc: the start fails after the lease was taken.
  const p = writeProfile(e, 'badmount', `apiVersion: sandtray/v1\nidmap: {mode: isolated, size: 1000}\nmounts:\n  - {source: ${e.dir}, target: /proc/sandtray-nope}\n`);
  const r = await e.run(['launch', 'bad', '--profile', p]);
  assert.equal(r.exitCode, 1);
  assert.deepEqual((await report()).leases, []);
  assert.ok(!fs.existsSync(path.join(e.env['XDG_DATA_HOME']!, 'sandtray', 'sandboxes', 'bad')));
  // A lease taken by a failing start itself is released too (the profile turned isolated later).
  const q = writeProfile(e, 'later-iso', 'apiVersion: sandtray/v1\n');
  await e.ok(['create', 'turns', '--profile', q]);
  writeProfile(e, 'later-iso', `apiVersion: sandtray/v1\nidmap: {mode: isolated, size: 1000}\nmounts:\n  - {source: ${e.dir}, target: /proc/sandtray-nope}\n`);
  assert.equal((await e.run(['start', 'turns'])).exitCode, 1);
  assert.deepEqual((await report()).leases, []);
  writeProfile(e, 'later-iso', 'apiVersion: sandtray/v1\nidmap: {mode: isolated, size: 1000}\n');
  await e.ok(['start', 'turns']);
  assert.equal((await report()).leases.length, 1, 'a successful start keeps the lease it took');
  await e.ok(['delete', '--force', 'turns']);
  assert.deepEqual((await report()).leases, []);
});

test('a lease whose sandbox vanished is shown as MISSING and can be released', async () => {
  await e.ok(['create', 'gone', '--set', 'idmap.mode=isolated', '--set', 'idmap.size=1000']);
  fs.rmSync(path.join(e.env['XDG_DATA_HOME']!, 'sandtray', 'sandboxes', 'gone'), { recursive: true });
  const l = leaseOf(await report(), 'gone');
  assert.equal(l.state, 'MISSING');
  assert.match(await e.ok(['idmap']), /sandtray idmap release gone/);
  assert.match(await e.ok(['idmap', 'release', 'gone']), /Released the ids leased to gone/);
  assert.deepEqual((await report()).leases, []);
  await e.ok(['create', 'here', '--set', 'idmap.mode=isolated', '--set', 'idmap.size=1000']);
  const r = await e.run(['idmap', 'release', 'here']);
  assert.equal(r.exitCode, 1);
  assert.match(r.stderr, /still exists/);
  await e.ok(['delete', 'here']);
});
