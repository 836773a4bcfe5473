// State folders and profile files no one else can steer, with a second unprivileged user as the
// other local user. Each refusal follows its positive control: the plant is really there, the other
// user really controls it, and a naive path operation really is steered by it.
//
// The runtime fallback (no XDG_RUNTIME_DIR) is os.tmpdir()/sandtray-UID. Most tests point TMPDIR at
// a folder made like /tmp (world-writable, sticky) so they never touch the real /tmp/sandtray-UID,
// which the test user shares with anything else it runs; one test uses the real one, and only when
// it is free (no other test file runs without XDG_RUNTIME_DIR).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { sandtrayEnv, type Env } from '../lib/sandtray.js';
import { procStart } from '../../helpers/host/proc.js';
import { deriveState } from '../../helpers/runtime/state.js';
import { runtimeSchema } from '../../helpers/runtime/runtime-schema.js';

/** The second unprivileged user: SANDTRAY_TEST_USER2, else this user's name with "2" (.ci/run makes it). */
const USER2 = process.env['SANDTRAY_TEST_USER2'] ?? `${os.userInfo().username}2`;
const UID = process.getuid!();
let uid2 = -1;

/** Runs argv as the second user through sudo (allowed for that user only, never root). */
async function asUser2(argv: string[]): Promise<{ exitCode: number; out: string; stdout: string }> {
  // From /, a folder the other user may enter (find and sh want their working directory).
  const r = await execa('sudo', ['-n', '-u', USER2, '--', ...argv], { reject: false, timeout: 20_000, stdin: 'ignore', cwd: '/' });
  return { exitCode: r.exitCode ?? -1, out: `${String(r.stdout)}${String(r.stderr)}`, stdout: String(r.stdout) };
}
async function user2Ok(script: string): Promise<string> {
  const r = await asUser2(['/bin/sh', '-c', script]);
  assert.equal(r.exitCode, 0, `as ${USER2}: ${script}: ${r.out}`);
  return r.stdout;
}

const re = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

const e: Env = sandtrayEnv('secstate');
/** Folders like /tmp (1777), one per test that plants in it. */
const shareds: string[] = [];
const victims: string[] = [];
const sleepers: number[] = [];
const PROFILE = 'apiVersion: sandtray/v1\nhostname: trusted\n';
let mine = '';

function sharedTmp(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'sandtray-test-shared-'));
  fs.chmodSync(d, 0o1777);
  shareds.push(d);
  return d;
}

/** A folder in the test user's home, as the owner's precious files. */
function victimDir(): string {
  const d = fs.mkdtempSync(path.join(os.homedir(), '.sandtray-test-victim-'));
  victims.push(d);
  return d;
}

/** The environment of a session without XDG_RUNTIME_DIR (su, cron, ssh without logind). */
function fallbackEnv(tmp: string | null): Record<string, string> {
  const env: Record<string, string> = { ...e.env };
  delete env['XDG_RUNTIME_DIR'];
  if (tmp) env['TMPDIR'] = tmp;
  return env;
}

/**
 * Removes what the second user planted under dir (only it may), and whatever of ours ended up
 * inside its folders first (it may not remove that); then dir itself: as that user when it is
 * the plant, else as us.
 */
async function removePlants(dir: string, dirIsPlant: boolean): Promise<void> {
  await execa('find', [dir, '-mindepth', '1', '-user', String(UID), '-prune', '-exec', 'rm', '-rf', '--', '{}', '+'], { reject: false });
  await asUser2(['find', dir, '-mindepth', dirIsPlant ? '0' : '1', '-maxdepth', dirIsPlant ? '0' : '1', '-user', USER2, '-exec', 'rm', '-rf', '--', '{}', '+']);
  if (!dirIsPlant) fs.rmSync(dir, { recursive: true, force: true });
}

/** Names, owners and modes below dir: to show a refused plant was left as it was. */
function snapshot(dir: string): string[] {
  const out: string[] = [];
  const visit = (p: string): void => {
    const st = fs.lstatSync(p);
    out.push(`${path.relative(dir, p) || '.'} ${st.uid} ${(st.mode & 0o7777).toString(8)} ${st.isSymbolicLink() ? `-> ${fs.readlinkSync(p)}` : ''}`);
    if (st.isDirectory()) {
      let names: string[] = [];
      try {
        names = fs.readdirSync(p);
      } catch {
        return;
      }
      for (const n of names.sort()) visit(path.join(p, n));
    }
  };
  visit(dir);
  return out;
}

before(async () => {
  // The second user must exist and be usable: a missing setup is a failure, never a skip.
  const who = await asUser2(['id', '-u']);
  assert.equal(who.exitCode, 0, `cannot run commands as ${USER2} (sudo -n -u ${USER2}); .ci/run sets this up: ${who.out}`);
  uid2 = Number(who.stdout.trim());
  assert.ok(uid2 > 0 && uid2 !== UID);
  mine = path.join(e.dir, 'mine.sandtray');
  fs.writeFileSync(mine, PROFILE, { mode: 0o644 });
  await e.ok(['create', 'box', '-p', mine]);
});

after(async () => {
  for (const pid of sleepers) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
  for (const d of shareds) await removePlants(d, false);
  for (const d of victims) fs.rmSync(d, { recursive: true, force: true });
  await e.cleanup();
});

test('without XDG_RUNTIME_DIR, a runtime folder planted by another user is refused and left alone', { timeout: 60_000 }, async () => {
  const tmp = sharedTmp();
  const root = path.join(tmp, `sandtray-${UID}`);
  const env = fallbackEnv(tmp);
  await user2Ok(`mkdir ${q(root)} && chmod 777 ${q(root)} && touch ${q(path.join(root, 'by-other-user'))}`);

  // Positive control: the plant is there, the other user's, and this is where Sandtray looks.
  assert.equal(fs.lstatSync(root).uid, uid2);
  assert.match(await e.ok(['paths'], { env }), new RegExp(`^runtime ${re(path.join(root, 'sandtray'))}$`, 'm'));
  // A naive mkdir -p takes it, and the other user then moves what we made there away (orphaning
  // every sandbox recorded in it) or replaces it.
  const naive = path.join(root, 'sandtray');
  fs.mkdirSync(naive, { recursive: true, mode: 0o700 });
  assert.equal(fs.lstatSync(naive).uid, UID, 'the naive folder is ours...');
  await user2Ok(`mv ${q(naive)} ${q(path.join(root, 'taken'))}`);
  assert.ok(!fs.existsSync(naive), '...and the other user took it away');
  fs.rmdirSync(path.join(root, 'taken'));

  const before = snapshot(root);
  for (const args of [['start', 'box'], ['stop', 'box'], ['delete', 'box'], ['list'], ['create', 'other', '-p', mine]]) {
    const r = await e.run(args, { env });
    assert.equal(r.exitCode, 1, `sandtray ${args.join(' ')}: ${r.stdout}${r.stderr}`);
    assert.match(r.stderr, new RegExp(`Refusing to keep state in ${re(root)}\\b.*it is owned by uid ${uid2} \\(${re(USER2)}\\)`), args.join(' '));
    assert.match(r.stderr, /hint: Set XDG_RUNTIME_DIR to a folder only you can write/);
    assert.match(r.stderr, new RegExp(`or remove ${re(root)} \\(owned by uid ${uid2}`));
  }
  assert.deepEqual(snapshot(root), before, 'the planted folder is left as it was');
  assert.match(await e.ok(['list']), /^box\s+STOPPED/m, 'the sandbox is untouched');
});

test('a link planted there by another user is refused, and nothing is made through it', { timeout: 60_000 }, async () => {
  const tmp = sharedTmp();
  const root = path.join(tmp, `sandtray-${UID}`);
  const lured = victimDir();
  await user2Ok(`ln -s ${q(lured)} ${q(root)}`);
  // Positive control: the link is the other user's and leads to a folder of ours we can write.
  assert.equal(fs.lstatSync(root).uid, uid2);
  assert.ok(fs.lstatSync(root).isSymbolicLink() && fs.statSync(root).isDirectory());
  fs.mkdirSync(path.join(root, 'naive-probe'));
  assert.ok(fs.existsSync(path.join(lured, 'naive-probe')), 'a naive mkdir goes through it');
  fs.rmdirSync(path.join(lured, 'naive-probe'));

  const r = await e.run(['start', 'box'], { env: fallbackEnv(tmp) });
  assert.equal(r.exitCode, 1, r.stdout + r.stderr);
  assert.match(r.stderr, new RegExp(`Refusing to keep state in ${re(root)}\\b.*is a symbolic link \\(owned by uid ${uid2}`));
  assert.deepEqual(fs.readdirSync(lured), [], 'nothing made through the link');
});

test('when no one planted it, the fallback is made 0700 and ours, and a sandbox runs from it', { timeout: 90_000 }, async () => {
  const tmp = sharedTmp();
  const root = path.join(tmp, `sandtray-${UID}`);
  const env = fallbackEnv(tmp);
  await e.ok(['start', 'box'], { env });
  try {
    const st = fs.lstatSync(root);
    assert.ok(st.isDirectory() && !st.isSymbolicLink());
    assert.equal(st.uid, UID);
    assert.equal(st.mode & 0o7777, 0o700);
    assert.ok(fs.existsSync(path.join(root, 'sandtray', 'box', 'state.json')));
    assert.match(await e.ok(['list'], { env }), /^box\s+RUNNING/m);
    // The other user cannot come in afterwards either.
    const r = await asUser2(['touch', path.join(root, 'x')]);
    assert.notEqual(r.exitCode, 0);
  } finally {
    await e.ok(['stop', 'box', '--force'], { env });
  }
  assert.ok(!fs.existsSync(path.join(root, 'sandtray', 'box')));
});

test('the real /tmp/sandtray-UID: a plant there is refused', { timeout: 60_000 }, async (t) => {
  const root = path.join(os.tmpdir(), `sandtray-${UID}`);
  const env = fallbackEnv(null);
  const existing = fs.lstatSync(root, { throwIfNoEntry: false });
  if (existing && existing.uid === UID) {
    // Ours already (this user ran Sandtray without XDG_RUNTIME_DIR): the other user cannot plant
    // anything in its place; the plant itself is shown above with TMPDIR pointing elsewhere.
    t.diagnostic(`${root} already belongs to this user; checking that ${USER2} cannot take it`);
    assert.notEqual((await asUser2(['mkdir', root])).exitCode, 0);
    assert.notEqual((await asUser2(['touch', path.join(root, 'x')])).exitCode, 0);
    return;
  }
  let planted = false;
  if (!existing) {
    await user2Ok(`mkdir ${q(root)} && chmod 777 ${q(root)}`);
    planted = true;
  }
  try {
    const owner = fs.lstatSync(root).uid;
    assert.notEqual(owner, UID, 'positive control: the folder there is not ours');
    const before = snapshot(root);
    const r = await e.run(['start', 'box'], { env });
    assert.equal(r.exitCode, 1, r.stdout + r.stderr);
    assert.match(r.stderr, new RegExp(`Refusing to keep state in ${re(root)}\\b.*owned by uid ${owner}`));
    assert.match(r.stderr, new RegExp(`set XDG_RUNTIME_DIR .*or remove ${re(root)}`, 'i'));
    assert.deepEqual(snapshot(root), before);
  } finally {
    if (planted) await removePlants(root, true);
  }
});

test('stop and delete never remove what a link swapped in by another user leads to', { timeout: 60_000 }, async () => {
  const tmp = sharedTmp();
  const root = path.join(tmp, `sandtray-${UID}`);
  const victim = victimDir();
  for (const n of ['box', 'ctl']) {
    fs.mkdirSync(path.join(victim, n));
    fs.writeFileSync(path.join(victim, n, 'canary'), 'precious');
  }
  // The other user owns the fallback and makes its `sandtray` folder a link into the owner's home.
  await user2Ok(`mkdir ${q(root)} && chmod 777 ${q(root)} && ln -s ${q(victim)} ${q(path.join(root, 'sandtray'))}`);
  // Positive control: removing a sandbox's runtime folder by its path (what stop did) deletes
  // the owner's folder at the end of the link.
  fs.rmSync(path.join(root, 'sandtray', 'ctl'), { recursive: true, force: true });
  assert.ok(!fs.existsSync(path.join(victim, 'ctl', 'canary')), 'the naive removal went through the link');

  const env = fallbackEnv(tmp);
  for (const args of [['stop', 'box'], ['delete', 'box'], ['delete', '--force', 'box']]) {
    const r = await e.run(args, { env });
    assert.equal(r.exitCode, 1, `sandtray ${args.join(' ')}: ${r.stdout}${r.stderr}`);
    assert.match(r.stderr, /Refusing to keep state in/);
  }
  assert.equal(fs.readFileSync(path.join(victim, 'box', 'canary'), 'utf8'), 'precious');
  assert.match(await e.ok(['list']), /^box\s+STOPPED/m);
});

test('a link in place of a sandbox\'s runtime folder is not its state and goes as a link: stop, delete and start', { timeout: 90_000 }, async () => {
  await e.ok(['create', 'swap', '-p', mine]);
  const runtime = path.join(e.env['XDG_RUNTIME_DIR']!, 'sandtray', 'swap');
  const victim = victimDir();
  fs.writeFileSync(path.join(victim, 'canary'), 'precious');
  // A forged state naming a live process of the owner: whoever reads it as state takes that
  // process for the sandbox's pid 1 and signals it.
  const sleeper = (await import('node:child_process')).spawn('sleep', ['300'], { stdio: 'ignore', detached: true });
  sleeper.unref();
  sleepers.push(sleeper.pid!);
  const init = { pid: sleeper.pid!, start: procStart(sleeper.pid!)! };
  const forged = { phase: 'running', actor: null, init, monitor: null, startedAt: new Date().toISOString(), namespaces: {}, idmap: null, mounts: [], network: 'none', env: {}, shell: '/bin/sh', command: [], workdir: '/', idmapNote: null, helpers: [] };
  fs.writeFileSync(path.join(victim, 'state.json'), JSON.stringify(forged));
  const plant = (): void => {
    fs.mkdirSync(path.dirname(runtime), { recursive: true, mode: 0o700 });
    fs.rmSync(runtime, { recursive: true, force: true });
    fs.symlinkSync(victim, runtime);
  };
  plant();
  // Positive control: read through the link, the forged file is a RUNNING sandbox to the engine's
  // own state derivation.
  assert.equal(deriveState(runtimeSchema.parse(JSON.parse(fs.readFileSync(path.join(runtime, 'state.json'), 'utf8')))), 'RUNNING');

  const stop = await e.run(['stop', 'swap']);
  assert.equal(stop.exitCode, 1, stop.stdout + stop.stderr);
  assert.match(stop.stderr, /is not running/);
  assert.equal(fs.lstatSync(runtime, { throwIfNoEntry: false }), undefined, 'the link is gone');
  assert.equal(procStart(init.pid), init.start, 'the owner\'s process was not signalled');

  plant();
  await e.ok(['start', 'swap']);
  assert.ok(fs.lstatSync(runtime).isDirectory(), 'start replaced the link with a real folder');
  await e.ok(['stop', 'swap']);

  plant();
  await e.ok(['delete', 'swap']);
  assert.equal(fs.lstatSync(runtime, { throwIfNoEntry: false }), undefined);
  assert.equal(fs.readFileSync(path.join(victim, 'canary'), 'utf8'), 'precious');
  assert.ok(fs.existsSync(path.join(victim, 'state.json')));
  assert.equal(procStart(init.pid), init.start, 'the owner\'s process is still alive');
});

test('a profile file another user owns or can write is refused with the reason; the same text in a folder of ours is accepted', { timeout: 60_000 }, async () => {
  const tmp = sharedTmp();
  const theirs = path.join(tmp, 'shared.sandtray');
  await user2Ok(`umask 000 && printf %s ${q(PROFILE)} > ${q(theirs)} && chmod 666 ${q(theirs)}`);
  // Positive control: the file is the other user's, it reads as a valid profile, and the other
  // user can change it at any time.
  assert.equal(fs.lstatSync(theirs).uid, uid2);
  assert.equal(fs.readFileSync(theirs, 'utf8'), PROFILE);
  await user2Ok(`printf '# still mine\\n' >> ${q(theirs)}`);
  const copy = path.join(e.dir, 'copy.sandtray');
  fs.writeFileSync(copy, fs.readFileSync(theirs), { mode: 0o644 });
  await e.ok(['create', 'accepted', '-p', copy]);

  const r = await e.run(['create', 'refused', '-p', theirs]);
  assert.equal(r.exitCode, 1, r.stdout + r.stderr);
  assert.match(r.stderr, new RegExp(`Refusing profile ${re(theirs)}: it is owned by uid ${uid2} \\(${re(USER2)}\\), so that user could change what your sandbox does`));
  assert.match(r.stderr, /hint: Read the file, then copy it into .*sandtray\/profiles/);
  // Group-writable only, still theirs: refused all the same.
  await user2Ok(`chmod 664 ${q(theirs)}`);
  assert.match((await e.run(['create', 'refused', '-p', theirs])).stderr, /is owned by uid/);
  const names = (JSON.parse(await e.ok(['list', '--json'])) as { name: string }[]).map((s) => s.name);
  assert.ok(names.includes('accepted') && !names.includes('refused'));
  await e.ok(['delete', 'accepted']);
});

test('our own profile file, in a folder the other user owns, or writable by others, is refused with the fix', { timeout: 60_000 }, async () => {
  const tmp = sharedTmp();
  const theirDir = path.join(tmp, 'their-folder');
  await user2Ok(`mkdir ${q(theirDir)} && chmod 777 ${q(theirDir)}`);
  const ours = path.join(theirDir, 'ours.sandtray');
  fs.writeFileSync(ours, PROFILE, { mode: 0o644 });
  // Positive control: the file is ours and not writable by others, yet the other user can swap it.
  assert.equal(fs.lstatSync(ours).uid, UID);
  await user2Ok(`mv ${q(ours)} ${q(`${ours}.old`)} && printf %s ${q(PROFILE.replace('trusted', 'swapped'))} > ${q(ours)}`);
  assert.match(fs.readFileSync(ours, 'utf8'), /swapped/);
  let r = await e.run(['create', 'refused', '-p', ours]);
  assert.equal(r.exitCode, 1);
  assert.match(r.stderr, new RegExp(`Refusing profile ${re(ours)}: the folder ${re(theirDir)} is owned by uid ${uid2}`));
  await user2Ok(`rm -f ${q(ours)} && mv ${q(`${ours}.old`)} ${q(ours)}`);
  assert.equal(fs.lstatSync(ours).uid, UID);
  r = await e.run(['create', 'refused', '-p', ours]);
  assert.equal(r.exitCode, 1);
  assert.match(r.stderr, new RegExp(`Refusing profile ${re(ours)}: the folder ${re(theirDir)} is owned by uid ${uid2}`));

  // Ours, in a folder of ours, but writable by everyone: refused with `chmod go-w`, then accepted.
  const loose = path.join(e.dir, 'loose.sandtray');
  fs.writeFileSync(loose, PROFILE);
  fs.chmodSync(loose, 0o666);
  r = await e.run(['create', 'loose', '-p', loose]);
  assert.equal(r.exitCode, 1);
  assert.match(r.stderr, /it is writable by group and others \(mode 0666\)/);
  assert.match(r.stderr, new RegExp(`chmod go-w ${re(loose)}`));
  fs.chmodSync(loose, 0o644);
  await e.ok(['create', 'loose', '-p', loose]);
  // A profile file that becomes writable by others after create is not followed at the next start.
  fs.chmodSync(loose, 0o646);
  r = await e.run(['start', 'loose']);
  assert.equal(r.exitCode, 1);
  assert.match(r.stderr, /Refusing profile .*loose\.sandtray: it is writable by others/);
  assert.match(await e.ok(['list']), /^loose\s+STOPPED/m);
  fs.chmodSync(loose, 0o644);
  await e.ok(['delete', 'loose']);
});

test('start says which keys of a profile file changed since it was created or last started', { timeout: 120_000 }, async () => {
  const file = path.join(e.dir, 'changing.sandtray');
  fs.writeFileSync(file, 'apiVersion: sandtray/v1\nhostname: first\n', { mode: 0o644 });
  await e.ok(['create', 'changing', '-p', file]);
  try {
    // Unchanged since create: nothing said.
    let r = await e.run(['start', 'changing']);
    assert.equal(r.exitCode, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /changed/);
    await e.ok(['stop', 'changing']);

    fs.writeFileSync(file, 'apiVersion: sandtray/v1\nhostname: second\nenv: {FOO: "1"}\n');
    r = await e.run(['start', 'changing']);
    assert.equal(r.exitCode, 0, r.stderr);
    assert.match(r.stderr, new RegExp(`^warning: profile ${re(file)} changed since the last start: env\\.FOO, hostname$`, 'm'));
    assert.match(await e.ok(['exec', 'changing', '--', 'hostname']), /^second$/m, 'and the change is applied');
    await e.ok(['stop', 'changing']);

    // Started with it once: the next start is quiet again.
    r = await e.run(['start', 'changing']);
    assert.doesNotMatch(r.stderr, /changed/);
    await e.ok(['stop', 'changing']);

    // Only a comment: the keys are the same, nothing to say.
    fs.appendFileSync(file, '# a comment\n');
    r = await e.run(['start', 'changing']);
    assert.doesNotMatch(r.stderr, /changed/);
    await e.ok(['stop', 'changing']);

    // The lifecycle log keeps the line too.
    assert.match(await e.ok(['log', 'changing']), /warning: profile .*changing\.sandtray changed since the last start: env\.FOO, hostname/);
  } finally {
    await e.run(['delete', '--force', 'changing']);
  }
});

test('a caller that asks first (the desktop) gets PROFILE_CHANGED and nothing starts until it accepts', { timeout: 120_000 }, async () => {
  Object.assign(process.env, e.env);
  const { startSandbox } = await import('../../helpers/lifecycle/start.js');
  const { stopSandbox } = await import('../../helpers/lifecycle/stop.js');
  const { sandboxState } = await import('../../helpers/runtime/state.js');
  const { SandtrayError } = await import('../../helpers/core/errors.js');
  const file = path.join(e.dir, 'asked.sandtray');
  fs.writeFileSync(file, 'apiVersion: sandtray/v1\nhome: private\n', { mode: 0o644 });
  await e.ok(['create', 'asked', '-p', file]);
  try {
    fs.mkdirSync(path.join(e.dir, 'asked-home'), { mode: 0o700 });
    fs.writeFileSync(file, `apiVersion: sandtray/v1\nhome: ${path.join(e.dir, 'asked-home')}\n`);
    await assert.rejects(startSandbox('asked', undefined, { refuseProfileChanges: true }), (err: unknown) => {
      assert.ok(err instanceof SandtrayError);
      assert.equal(err.code, 'PROFILE_CHANGED');
      assert.match(err.message, new RegExp(`^profile ${re(file)} changed since the sandbox was created: home$`));
      return true;
    });
    assert.equal(sandboxState('asked').state, 'STOPPED');
    const heard: string[] = [];
    await startSandbox('asked', undefined, { onProfileChange: (lines) => heard.push(...lines) });
    assert.deepEqual(heard, [`warning: profile ${file} changed since the sandbox was created: home`]);
    assert.equal(sandboxState('asked').state, 'RUNNING');
    await stopSandbox('asked', { force: true });
    // Accepted by that start: asking again finds nothing.
    await startSandbox('asked', undefined, { refuseProfileChanges: true });
    await stopSandbox('asked', { force: true });
  } finally {
    await e.run(['delete', '--force', 'asked']);
  }
});

test('the desktop starts or restarts a sandbox whose profile changed only once the owner accepts it', { timeout: 120_000 }, async () => {
  Object.assign(process.env, e.env);
  const { createHandlers } = await import('../../main/engine/handlers.js');
  const { sandboxState } = await import('../../helpers/runtime/state.js');
  const handlers = createHandlers({ refresh: () => undefined } as unknown as Parameters<typeof createHandlers>[0]);
  const ctx = { senderId: 1 };
  const file = path.join(e.dir, 'desk.sandtray');
  fs.writeFileSync(file, 'apiVersion: sandtray/v1\nhostname: desk-one\n', { mode: 0o644 });
  await e.ok(['create', 'desk', '-p', file]);
  try {
    // Positive control: unchanged, the window's plain start goes through.
    await handlers.start({ name: 'desk' }, ctx);
    assert.equal(sandboxState('desk').state, 'RUNNING');
    fs.writeFileSync(file, 'apiVersion: sandtray/v1\nhostname: desk-two\n');
    // Restart is refused before anything stops: the sandbox keeps running on what was approved.
    await assert.rejects(Promise.resolve(handlers.restart({ name: 'desk' }, ctx)), (err: unknown) => (err as { code?: string }).code === 'PROFILE_CHANGED' && /changed since the last start: hostname/.test((err as Error).message));
    assert.equal(sandboxState('desk').state, 'RUNNING');
    assert.match(await e.ok(['exec', 'desk', '--', 'hostname']), /^desk-one$/m);
    await e.ok(['stop', 'desk']);
    await assert.rejects(Promise.resolve(handlers.start({ name: 'desk' }, ctx)), (err: unknown) => (err as { code?: string }).code === 'PROFILE_CHANGED');
    assert.equal(sandboxState('desk').state, 'STOPPED');
    await handlers.start({ name: 'desk', acceptProfileChanges: true }, ctx);
    assert.match(await e.ok(['exec', 'desk', '--', 'hostname']), /^desk-two$/m);
    // A profile that no longer validates: the window's restart refuses before it stops anything.
    fs.writeFileSync(file, 'apiVersion: sandtray/v1\nhostname: desk-two\nmounts: [{source: /nonexistent-sandtray-source, target: /x}]\n');
    await assert.rejects(Promise.resolve(handlers.restart({ name: 'desk', acceptProfileChanges: true }, ctx)), /nonexistent-sandtray-source does not exist/);
    assert.equal(sandboxState('desk').state, 'RUNNING');
  } finally {
    await e.run(['delete', '--force', 'desk']);
  }
});
