// What Sandtray trusts on disk (core/trust.ts), checked as the test user on real folders. Each
// refusal comes after its positive control: the same plant does steer a naive path operation.
// Plants by another user are in test/integration/security-state.test.ts.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SandtrayError } from '../../helpers/core/errors.js';
import { runtimeFallbackRoot, sandtrayPaths } from '../../helpers/core/paths.js';
import { checkStateDir, ensureStateDir, isOwnStateDir, readTrustedProfile, removeStatePath, writeStateFile } from '../../helpers/core/trust.js';
import { changedKeys, describeChanges, profileChanges, type Applied, type LayerFile } from '../../helpers/runtime/applied.js';
import { loadLayerFile } from '../../helpers/profile/load.js';
import type { VpnStatus } from '../../helpers/vpn/status.js';
import { writeFileAtomic } from '../../helpers/runtime/store.js';

const base = fs.mkdtempSync(path.join(os.tmpdir(), 'sandtray-trust-'));
after(() => {
  // Undo the modes the tests set, so everything can be removed.
  for (const d of walkDirs(base)) fs.chmodSync(d, 0o700);
  fs.rmSync(base, { recursive: true, force: true });
});

function walkDirs(dir: string): string[] {
  const out = [dir];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) out.push(...walkDirs(path.join(dir, e.name)));
  return out;
}

let n = 0;
/** A fresh folder of ours for one test. */
function fresh(): string {
  const d = path.join(base, `t${++n}`);
  fs.mkdirSync(d, { mode: 0o700 });
  return d;
}

function errorOf(fn: () => unknown): SandtrayError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof SandtrayError, `expected a SandtrayError, got ${String(e)}`);
    return e;
  }
  assert.fail('expected a refusal');
}

const modeOf = (p: string) => fs.lstatSync(p).mode & 0o7777;

test('state folders are made one at a time, 0700, and what is made is returned with links resolved', () => {
  const d = fresh();
  const target = path.join(d, 'a', 'b', 'sandtray');
  assert.equal(ensureStateDir(target), target);
  for (const p of [path.join(d, 'a'), path.join(d, 'a', 'b'), target]) assert.equal(modeOf(p), 0o700, p);
  // A link of our own above the folder (a dotfiles setup) is followed; the folder itself is real.
  fs.symlinkSync(path.join(d, 'a'), path.join(d, 'alias'));
  assert.equal(ensureStateDir(path.join(d, 'alias', 'b', 'sandtray')), target);
  // Reading bits of others on a folder of ours are taken away; nothing else changes.
  fs.chmodSync(target, 0o755);
  ensureStateDir(target);
  assert.equal(modeOf(target), 0o700);
  assert.equal(checkStateDir(path.join(d, 'missing', 'x')), null, 'nothing is made by a check');
  assert.ok(!fs.existsSync(path.join(d, 'missing')));
});

test('a folder above the state that others can write is refused with the fix; a sticky one (like /tmp) is not', () => {
  const d = fresh();
  const open = path.join(d, 'open');
  fs.mkdirSync(open);
  fs.chmodSync(open, 0o777);
  // Positive control: a naive recursive mkdir takes it, and the folder made there can be renamed
  // away or replaced by anyone, since anyone may write the folder holding it.
  const naive = path.join(open, 'naive', 'sandtray');
  fs.mkdirSync(naive, { recursive: true, mode: 0o700 });
  assert.ok(fs.statSync(naive).isDirectory());
  assert.equal(modeOf(open) & 0o002, 0o002);
  const e = errorOf(() => ensureStateDir(path.join(open, 'state', 'sandtray')));
  assert.equal(e.code, 'UNTRUSTED_PATH');
  assert.match(e.message, new RegExp(`Refusing to keep state in ${open.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} .*writable by group and others \\(mode 0777\\)`));
  assert.match(e.hint ?? '', /chmod go-w/);
  assert.ok(!fs.existsSync(path.join(open, 'state')), 'nothing made under the refused folder');
  fs.chmodSync(open, 0o1777);
  assert.equal(ensureStateDir(path.join(open, 'state', 'sandtray')), path.join(open, 'state', 'sandtray'));
});

test('a state folder that is a symbolic link is refused; its target is never used', () => {
  const d = fresh();
  const elsewhere = path.join(d, 'elsewhere');
  fs.mkdirSync(elsewhere);
  fs.symlinkSync(elsewhere, path.join(d, 'sandtray'));
  // Positive control: the old check (mkdir -p, then stat) accepted it as a directory.
  fs.mkdirSync(path.join(d, 'sandtray'), { recursive: true });
  assert.ok(fs.statSync(path.join(d, 'sandtray')).isDirectory());
  const e = errorOf(() => ensureStateDir(path.join(d, 'sandtray')));
  assert.equal(e.code, 'UNTRUSTED_PATH');
  assert.match(e.message, /is a symbolic link/);
  assert.equal(isOwnStateDir(path.join(d, 'sandtray')), false, 'what a link leads to is not read as state');
});

test('the runtime fallback /tmp/sandtray-UID must be a real folder of ours with mode 0700', () => {
  const saved = process.env['TMPDIR'];
  const tmp = fresh();
  fs.chmodSync(tmp, 0o1777);
  process.env['TMPDIR'] = tmp;
  try {
    const root = runtimeFallbackRoot();
    assert.equal(root, path.join(tmp, `sandtray-${process.getuid!()}`));
    const env: NodeJS.ProcessEnv = { ...process.env, HOME: tmp };
    delete env['XDG_RUNTIME_DIR'];
    assert.equal(sandtrayPaths(env).runtime, path.join(root, 'sandtray'), 'without XDG_RUNTIME_DIR the runtime folder falls back to it');
    // Made by us: accepted, 0700.
    ensureStateDir(path.join(root, 'sandtray'));
    assert.equal(modeOf(root), 0o700);
    // Ours but 0755: refused (the fix is chmod 700 or XDG_RUNTIME_DIR).
    fs.chmodSync(root, 0o755);
    let e = errorOf(() => ensureStateDir(path.join(root, 'sandtray')));
    assert.match(e.message, /mode 0755, not 0700/);
    assert.match(e.hint ?? '', /XDG_RUNTIME_DIR/);
    fs.chmodSync(root, 0o700);
    fs.rmSync(root, { recursive: true });
    // A link there, even one of ours to a private folder: refused.
    const priv = path.join(tmp, 'priv');
    fs.mkdirSync(priv, { mode: 0o700 });
    fs.symlinkSync(priv, root);
    assert.ok(fs.statSync(root).isDirectory(), 'positive control: the link leads to a usable folder');
    e = errorOf(() => ensureStateDir(path.join(root, 'sandtray')));
    assert.match(e.message, /is a symbolic link/);
    assert.match(e.hint ?? '', /set XDG_RUNTIME_DIR|remove/i);
    assert.ok(!fs.existsSync(path.join(priv, 'sandtray')), 'nothing made through the link');
  } finally {
    if (saved === undefined) delete process.env['TMPDIR'];
    else process.env['TMPDIR'] = saved;
  }
});

test('removing state never follows a link planted in its place', () => {
  const d = fresh();
  const state = ensureStateDir(path.join(d, 'run', 'sandtray'));
  const victim = path.join(d, 'victim');
  fs.mkdirSync(victim);
  fs.writeFileSync(path.join(victim, 'canary'), 'keep');
  // Positive control: a link in place of a folder, with a path through it, steers a naive removal.
  const ctl = path.join(d, 'ctl');
  fs.mkdirSync(path.join(ctl, 'box'), { recursive: true });
  fs.writeFileSync(path.join(ctl, 'box', 'canary'), 'x');
  fs.symlinkSync(ctl, path.join(d, 'ctl-link'));
  fs.rmSync(path.join(d, 'ctl-link', 'box'), { recursive: true, force: true });
  assert.ok(!fs.existsSync(path.join(ctl, 'box', 'canary')), 'a naive rm through a link deletes what it leads to');

  fs.symlinkSync(victim, path.join(state, 'box'));
  assert.equal(removeStatePath(path.join(state, 'box')), 'link');
  assert.equal(fs.readFileSync(path.join(victim, 'canary'), 'utf8'), 'keep');
  assert.ok(!fs.existsSync(path.join(state, 'box')));
  // A real folder is removed whole; a missing one is nothing.
  fs.mkdirSync(path.join(state, 'box', 'sub'), { recursive: true });
  assert.equal(removeStatePath(path.join(state, 'box')), 'dir');
  assert.equal(removeStatePath(path.join(state, 'box')), null);
  // A link in place of the folder holding it: refused, not followed.
  fs.mkdirSync(path.join(victim, 'box'));
  fs.writeFileSync(path.join(victim, 'box', 'canary'), 'keep');
  fs.rmSync(state, { recursive: true });
  fs.symlinkSync(victim, state);
  assert.equal(errorOf(() => removeStatePath(path.join(state, 'box'))).code, 'UNTRUSTED_PATH');
  assert.equal(fs.readFileSync(path.join(victim, 'box', 'canary'), 'utf8'), 'keep');
});

test('state files are written to a new file and renamed: never through a link planted at their name', () => {
  const d = fresh();
  const run = ensureStateDir(path.join(d, 'box'));
  const canary = path.join(d, 'owned-file');
  fs.writeFileSync(canary, 'precious');
  // Positive control: writing by name (what a predictable temp name allowed) writes through the link.
  const ctlCanary = path.join(d, 'ctl-file');
  fs.writeFileSync(ctlCanary, 'precious');
  fs.symlinkSync(ctlCanary, path.join(run, 'ctl.json'));
  fs.writeFileSync(path.join(run, 'ctl.json'), '{}');
  assert.equal(fs.readFileSync(ctlCanary, 'utf8'), '{}');

  fs.symlinkSync(canary, path.join(run, 'vpn.json'));
  const status: VpnStatus = { type: 'wireguard', state: 'connecting', since: new Date().toISOString(), message: null, device: 'wg0', addresses: [], routes: [], dns: [], domains: [], endpoint: null, mtu: null };
  writeFileAtomic(path.join(run, 'vpn.json'), JSON.stringify(status, null, 2));
  assert.equal(fs.readFileSync(canary, 'utf8'), 'precious', 'the file the link named is untouched');
  const st = fs.lstatSync(path.join(run, 'vpn.json'));
  assert.ok(st.isFile() && !st.isSymbolicLink());
  assert.equal(st.mode & 0o777, 0o600);
  assert.equal(JSON.parse(fs.readFileSync(path.join(run, 'vpn.json'), 'utf8')).device, 'wg0');
  assert.deepEqual(fs.readdirSync(run).sort(), ['ctl.json', 'vpn.json'], 'no temporary file left');
  // The folder itself is checked: a folder others can write is refused.
  fs.chmodSync(run, 0o777);
  assert.equal(errorOf(() => writeStateFile(path.join(run, 'state.json'), '{}')).code, 'UNTRUSTED_PATH');
});

test('profile files: ours and not writable by others is read; writable by others, or in such a folder, is refused with the fix', () => {
  const d = fresh();
  const text = 'apiVersion: sandtray/v1\nhostname: trusted\n';
  const good = path.join(d, 'good.sandtray');
  fs.writeFileSync(good, text, { mode: 0o644 });
  const t = readTrustedProfile(good);
  assert.equal(t.text, text);
  assert.equal(t.sha256, crypto.createHash('sha256').update(text).digest('hex'));
  assert.equal(loadLayerFile(good).hostname, 'trusted');
  // A link of ours to it is followed.
  fs.symlinkSync(good, path.join(d, 'alias.sandtray'));
  assert.equal(readTrustedProfile(path.join(d, 'alias.sandtray')).text, text);

  // The same content, writable by others: the plain parser takes it (positive control); we refuse.
  const open = path.join(d, 'open.sandtray');
  fs.writeFileSync(open, text);
  fs.chmodSync(open, 0o666);
  assert.equal(fs.readFileSync(open, 'utf8'), text);
  let e = errorOf(() => loadLayerFile(open));
  assert.equal(e.code, 'UNTRUSTED_PATH');
  assert.match(e.message, /Refusing profile .*open\.sandtray: it is writable by group and others \(mode 0666\)/);
  assert.match(e.hint ?? '', /chmod go-w .*open\.sandtray/);
  assert.match(e.hint ?? '', /copy it into .*profiles/);
  fs.chmodSync(open, 0o664);
  assert.match(errorOf(() => loadLayerFile(open)).message, /writable by its group/);
  fs.chmodSync(open, 0o644);
  assert.equal(loadLayerFile(open).hostname, 'trusted', 'after chmod go-w it is accepted');

  // A good file in a folder others can write (they could replace it): refused, naming the folder.
  const shared = path.join(d, 'shared');
  fs.mkdirSync(shared);
  fs.writeFileSync(path.join(shared, 'p.sandtray'), text, { mode: 0o644 });
  fs.chmodSync(shared, 0o777);
  e = errorOf(() => loadLayerFile(path.join(shared, 'p.sandtray')));
  assert.match(e.message, /the folder .*shared is writable by group and others/);
  // Sticky, like /tmp: others cannot rename or replace our file there.
  fs.chmodSync(shared, 0o1777);
  assert.equal(loadLayerFile(path.join(shared, 'p.sandtray')).hostname, 'trusted');
  // Never a FIFO (no waiting on it) or a folder.
  const fifo = path.join(d, 'fifo.sandtray');
  assert.equal(spawnSync('mkfifo', ['-m', '0644', fifo]).status, 0);
  assert.equal(errorOf(() => loadLayerFile(fifo)).code, 'INVALID_PROFILE');
  assert.equal(errorOf(() => loadLayerFile(d)).code, 'INVALID_PROFILE');
  assert.equal(errorOf(() => loadLayerFile(path.join(d, 'none.sandtray'))).code, 'NOT_FOUND');
});

test('shipped example profiles pass the checks in this checkout', () => {
  const dir = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../../resources/profiles');
  for (const f of fs.readdirSync(dir).filter((x) => x.endsWith('.sandtray'))) loadLayerFile(path.join(dir, f));
});

const layer = (y: Record<string, unknown>) => ({ apiVersion: 'sandtray/v1' as const, ...y });
const lf = (ref: string, sha: string, l: Record<string, unknown>, file = `/p/${ref}.sandtray`): LayerFile => ({ ref, file, sha256: sha, layer: layer(l) });

test('changed keys: nested, by index, added and removed', () => {
  assert.deepEqual(changedKeys(layer({ home: 'private', env: { A: '1' } }), layer({ home: '/home/u', env: { A: '1', B: '2' } })), ['env.B', 'home']);
  assert.deepEqual(changedKeys(layer({ mounts: [{ source: '/a', target: '/a' }] }), layer({ mounts: [{ source: '/b', target: '/a' }, { source: '/c', target: '/c' }] })), ['mounts[0].source', 'mounts[1].source', 'mounts[1].target']);
  assert.deepEqual(changedKeys(layer({ hostname: 'x' }), layer({})), ['hostname']);
});

test('a start notices only layers whose content changed; the message names the keys, visibly', () => {
  const prev: Applied = { version: 1, at: '', by: 'start', layers: [lf('dev', 'h1', { home: 'private' }), lf('/p/x.sandtray', 'h2', { hostname: 'x' })] };
  assert.deepEqual(profileChanges(null, [lf('dev', 'zz', {})]), [], 'nothing recorded: nothing to compare');
  assert.deepEqual(profileChanges(prev, [lf('dev', 'h1', { home: 'private' }), lf('/p/x.sandtray', 'h2', { hostname: 'x' })]), []);
  // Comments only: the hash differs, the keys do not.
  assert.deepEqual(profileChanges(prev, [lf('dev', 'h9', { home: 'private' })]), []);
  const changes = profileChanges(prev, [lf('dev', 'h3', { home: '/home/u', 'env': { 'K\u001b[2J': 'v' } }), lf('/p/x.sandtray', 'h2', { hostname: 'x' })]);
  assert.equal(changes.length, 1);
  const [line] = describeChanges(changes, 'start');
  assert.equal(line, 'warning: profile dev (/p/dev.sandtray) changed since the last start: env.K\\x1b[2J, home');
  // A name that now resolves to another file says so.
  const moved = profileChanges(prev, [lf('dev', 'h1', { home: 'private' }, '/c/dev.sandtray')]);
  assert.match(describeChanges(moved, 'create')[0]!, /changed since the sandbox was created \(it is now read from \/c\/dev\.sandtray, not \/p\/dev\.sandtray\)/);
});
