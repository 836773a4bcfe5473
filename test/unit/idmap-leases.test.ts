import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fork, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SandtrayError } from '../../helpers/core/errors.js';
import {
  lease,
  release,
  validateLease,
  withLeases,
  type Lease,
  type LeaseDb,
} from '../../helpers/idmap/leases.js';
import { contains, intersect, totalSize, type IdRange } from '../../helpers/idmap/rangeset.js';
import { procStart } from '../../helpers/host/proc.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const worker = path.join(here, 'fixtures', 'lease-worker.js');
const user = [{ start: 100000, size: 65536 }];

function tempDir(): string {
  return mkdtempSync(path.join(tmpdir(), 'sandtray-leases-'));
}

function emptyDb(): LeaseDb {
  return { version: 1, leases: [] };
}

function assertDisjoint(leases: Lease[]): void {
  for (const kind of ['uid', 'gid'] as const) {
    for (let i = 0; i < leases.length; i++) {
      for (let j = i + 1; j < leases.length; j++) {
        const a = leases[i]!;
        const b = leases[j]!;
        assert.deepEqual(intersect(a[kind], b[kind]), [], `${a.sandbox} and ${b.sandbox} share ${kind}s`);
      }
    }
  }
}

test('lease skips the shared block and earlier leases', () => {
  const db = emptyDb();
  const a = lease(db, 'a', 1000, user, user, 65536 - 30000);
  assert.deepEqual(a.uid, [{ start: 135535, size: 999 }]);
  assert.deepEqual(a.gid, a.uid);
  assert.equal(a.size, 1000);
  const b = lease(db, 'b', 1000, user, user, 65536 - 30000);
  assert.deepEqual(b.uid, [{ start: 136534, size: 999 }]);
  assert.equal(db.leases.length, 2);
});

test('shared block spanning fragments is taken in ascending order', () => {
  const ranges = [
    { start: 300000, size: 100 },
    { start: 100000, size: 50 },
  ];
  // sharedSize 61: 60 shared ids = 100000..100049 and 300000..300009.
  const l = lease(emptyDb(), 'x', 11, ranges, ranges, 61);
  assert.deepEqual(l.uid, [{ start: 300010, size: 10 }]);
});

test('lease is idempotent for the same size and refuses another size', () => {
  const db = emptyDb();
  const a = lease(db, 'a', 100, user, user, 0);
  assert.equal(lease(db, 'a', 100, user, user, 0), a);
  assert.equal(db.leases.length, 1);
  assert.throws(() => lease(db, 'a', 200, user, user, 0), (e: unknown) => e instanceof SandtrayError && e.code === 'IDMAP');
});

test('exhaustion is an IDMAP error and changes nothing', () => {
  const small = [{ start: 100000, size: 300 }];
  const db = emptyDb();
  lease(db, 'a', 101, small, small, 101);
  lease(db, 'b', 101, small, small, 101);
  assert.throws(
    () => lease(db, 'c', 2, small, small, 101),
    (e: unknown) => e instanceof SandtrayError && e.code === 'IDMAP' && /needs 1, 0 are free/.test(e.message),
  );
  assert.equal(db.leases.length, 2);
  // gid exhaustion alone also fails, before anything is pushed.
  assert.throws(() => lease(emptyDb(), 'd', 50, user, [], 0), SandtrayError);
});

test('fragmentation after releases: holes are reused, then combined', () => {
  const db = emptyDb();
  const ranges = [{ start: 100000, size: 1000 }];
  for (const n of ['a', 'b', 'c', 'd', 'e']) lease(db, n, 101, ranges, ranges, 0);
  assert.deepEqual(db.leases.map((l) => l.uid[0]!.start), [100000, 100100, 100200, 100300, 100400]);
  assert.ok(release(db, 'b'));
  assert.ok(release(db, 'd'));
  assert.equal(release(db, 'd'), null);
  // Fits the first hole exactly.
  assert.deepEqual(lease(db, 'f', 101, ranges, ranges, 0).uid, [{ start: 100100, size: 100 }]);
  // 650 ids: the hole at 100300 and the tail together.
  const g = lease(db, 'g', 601, ranges, ranges, 0);
  assert.deepEqual(g.uid, [
    { start: 100300, size: 100 },
    { start: 100500, size: 500 },
  ]);
  assertDisjoint(db.leases);
  assert.throws(() => lease(db, 'h', 2, ranges, ranges, 0), SandtrayError);
});

test('validateLease notices ranges an admin shrank', () => {
  const l = lease(emptyDb(), 'a', 100, user, user, 0);
  assert.equal(validateLease(l, user, user), null);
  const shrunk = [{ start: 100000, size: 50 }];
  assert.match(validateLease(l, shrunk, user) ?? '', /uids 100050-100098 leased to sandbox a are no longer/);
  assert.match(validateLease(l, user, []) ?? '', /^gids/);
  assert.match(validateLease({ ...l, size: 101 }, user, user) ?? '', /holds 99 ids, not 100/);
});

test('withLeases saves changes atomically with mode 0600 and skips writing when unchanged', async () => {
  const dir = tempDir();
  try {
    const file = path.join(dir, 'sub', 'idmap-leases.json');
    const made = await withLeases(file, (db) => lease(db, 'a', 100, user, user, 0));
    const saved = JSON.parse(readFileSync(file, 'utf8')) as LeaseDb;
    assert.deepEqual(saved.leases, [made]);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const mtime = statSync(file).mtimeMs;
    const n = await withLeases(file, (db) => db.leases.length);
    assert.equal(n, 1);
    assert.equal(statSync(file).mtimeMs, mtime);
    assert.equal(existsSync(`${file}.lock`), false);
    await withLeases(file, (db) => release(db, 'a'));
    assert.deepEqual((JSON.parse(readFileSync(file, 'utf8')) as LeaseDb).leases, []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a throwing fn writes nothing and frees the lock', async () => {
  const dir = tempDir();
  try {
    const file = path.join(dir, 'leases.json');
    await assert.rejects(
      withLeases(file, (db) => {
        lease(db, 'a', 100, user, user, 0);
        throw new Error('boom');
      }),
      /boom/,
    );
    assert.equal(existsSync(file), false);
    assert.equal(existsSync(`${file}.lock`), false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a damaged lease file is an IDMAP error, not an empty list', async () => {
  const dir = tempDir();
  try {
    const file = path.join(dir, 'leases.json');
    writeFileSync(file, '{"version":1,"leases":[{"sandbox":"a"}]}');
    await assert.rejects(withLeases(file, () => 0), (e: unknown) => e instanceof SandtrayError && e.code === 'IDMAP');
    writeFileSync(file, 'not json');
    await assert.rejects(withLeases(file, () => 0), (e: unknown) => e instanceof SandtrayError && e.code === 'IDMAP');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the lock names its holder by pid and start time (field 22), null for a dead pid', async () => {
  const mine = procStart(process.pid);
  assert.ok(Number.isSafeInteger(mine) && mine! > 0);
  const dead = spawnSync(process.execPath, ['-e', '0']).pid;
  assert.equal(procStart(dead), null);
  const dir = tempDir();
  try {
    const file = path.join(dir, 'leases.json');
    const seen = await withLeases(file, () => readFileSync(`${file}.lock`, 'utf8'));
    assert.equal(seen, `${process.pid} ${mine}\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a lock held by a live process times out with LOCKED', async () => {
  const dir = tempDir();
  try {
    const file = path.join(dir, 'leases.json');
    writeFileSync(`${file}.lock`, `${process.pid} ${procStart(process.pid)}\n`);
    const t0 = Date.now();
    await assert.rejects(
      withLeases(file, () => 0, { timeoutMs: 300 }),
      (e: unknown) => e instanceof SandtrayError && e.code === 'LOCKED' && e.message.includes(`process ${process.pid}`),
    );
    assert.ok(Date.now() - t0 >= 300);
    assert.ok(existsSync(`${file}.lock`), 'a live lock must not be broken');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a lock with unreadable content is left alone', async () => {
  const dir = tempDir();
  try {
    const file = path.join(dir, 'leases.json');
    writeFileSync(`${file}.lock`, 'garbage');
    await assert.rejects(withLeases(file, () => 0, { timeoutMs: 200 }), (e: unknown) => e instanceof SandtrayError && e.code === 'LOCKED');
    assert.equal(readFileSync(`${file}.lock`, 'utf8'), 'garbage');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('stale locks are broken: dead pid, and reused pid with another start time', async () => {
  const dir = tempDir();
  try {
    const file = path.join(dir, 'leases.json');
    const dead = spawnSync(process.execPath, ['-e', '0']).pid;
    writeFileSync(`${file}.lock`, `${dead} 12345\n`);
    assert.equal(await withLeases(file, () => 'ok', { timeoutMs: 2000 }), 'ok');
    assert.equal(existsSync(`${file}.lock`), false);
    // Our own pid but a start time that is not ours: the pid was reused.
    writeFileSync(`${file}.lock`, `${process.pid} 1\n`);
    assert.equal(await withLeases(file, () => 'ok', { timeoutMs: 2000 }), 'ok');
    assert.deepEqual(
      readdirSync(dir).filter((f) => f !== 'leases.json'),
      [],
      'no temporary or stale files are left behind',
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

interface WorkerMsg {
  kept?: Lease[];
  held?: boolean;
  done?: boolean;
  error?: string;
}

function startWorker(args: string[]): { child: ChildProcess; messages: WorkerMsg[]; next: () => Promise<WorkerMsg>; exit: Promise<number | null> } {
  const child = fork(worker, args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const messages: WorkerMsg[] = [];
  const waiters: ((m: WorkerMsg) => void)[] = [];
  child.on('message', (m: WorkerMsg) => {
    const w = waiters.shift();
    if (w) w(m);
    else messages.push(m);
  });
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const next = (): Promise<WorkerMsg> =>
    messages.length > 0 ? Promise.resolve(messages.shift()!) : new Promise((resolve) => waiters.push(resolve));
  return { child, messages, next, exit };
}

test('concurrent processes get disjoint slices', async () => {
  const dir = tempDir();
  try {
    const file = path.join(dir, 'leases.json');
    const workers = Array.from({ length: 8 }, (_, i) => startWorker(['lease', file, `w${i}`]));
    const replies = await Promise.all(workers.map((w) => w.next()));
    const codes = await Promise.all(workers.map((w) => w.exit));
    for (const r of replies) assert.equal(r.error, undefined);
    assert.deepEqual(codes, Array(8).fill(0));
    const kept = replies.flatMap((r) => r.kept ?? []);
    assert.equal(kept.length, 32);
    const db = JSON.parse(readFileSync(file, 'utf8')) as LeaseDb;
    // What each process was told is exactly what the file holds: no lost update.
    const byName = (a: Lease, b: Lease): number => a.sandbox.localeCompare(b.sandbox);
    assert.deepEqual([...db.leases].sort(byName), [...kept].sort(byName));
    assertDisjoint(db.leases);
    const ranges: IdRange[] = [
      { start: 100000, size: 10000 },
      { start: 300000, size: 10000 },
    ];
    const shared = [{ start: 100000, size: 1000 }];
    for (const l of db.leases) {
      assert.equal(totalSize(l.uid), l.size - 1);
      assert.ok(contains(ranges, l.uid));
      assert.deepEqual(intersect(l.uid, shared), [], `${l.sandbox} overlaps the shared block`);
      assert.equal(validateLease(l, ranges, ranges), null);
    }
    assert.equal(existsSync(`${file}.lock`), false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a waiter gets the lock when a live holder finishes', async () => {
  const dir = tempDir();
  try {
    const file = path.join(dir, 'leases.json');
    const holder = startWorker(['hold', file, 'h', '400']);
    assert.deepEqual(await holder.next(), { held: true });
    const t0 = Date.now();
    const got = await withLeases(file, (db) => lease(db, 'after', 100, user, user, 1001));
    assert.ok(Date.now() - t0 >= 200, 'waited for the holder');
    const db = JSON.parse(readFileSync(file, 'utf8')) as LeaseDb;
    assert.deepEqual(db.leases.map((l) => l.sandbox).sort(), ['after', 'h-held']);
    assertDisjoint(db.leases);
    assert.equal(got.sandbox, 'after');
    assert.equal(await holder.exit, 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the lock of a holder killed with SIGKILL is broken and its unsaved lease is lost', async () => {
  const dir = tempDir();
  try {
    const file = path.join(dir, 'leases.json');
    const holder = startWorker(['hold', file, 'k', '0']);
    assert.deepEqual(await holder.next(), { held: true });
    assert.ok(existsSync(`${file}.lock`));
    holder.child.kill('SIGKILL');
    await holder.exit;
    const n = await withLeases(file, (db) => db.leases.length, { timeoutMs: 2000 });
    assert.equal(n, 0);
    assert.equal(existsSync(`${file}.lock`), false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
