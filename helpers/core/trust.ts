// What Sandtray trusts on disk: its state folders and the profile files it follows must belong to
// the user (or root) and be writable by no one else, checked on every component of their path, as
// ssh's StrictModes and glib's g_get_user_runtime_dir do.
//
// A path is walked one component at a time, as the kernel resolves it:
// - every directory a name is looked up in belongs to the user or root, and is not writable by
//   group or others unless it is sticky (/tmp: others may add names there, but not rename or
//   remove ours, and whatever they add is refused when we look at it);
// - every symbolic link followed belongs to the user or root (it lies in a directory checked
//   above, so no one else can swap it);
// - what the walk ends on is checked by the caller's rule: a state folder is a real directory
//   (never a link) of the user's, writable by no one else; a profile file a regular file of the
//   user's or root's, writable by no one else.
// The runtime fallback /tmp/sandtray-UID is held to more: a real directory of the user's, mode 0700.
//
// Removals and writes then happen only inside folders that passed: a link planted where a state
// folder should be is removed as a link, never followed.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { SandtrayError } from './errors.js';
import { runtimeFallbackRoot, sandtrayPaths } from './paths.js';

const MAX_LINKS = 40;

function myUid(): number {
  return process.getuid?.() ?? 0;
}

/** Makes control characters in a path visible before it is printed. */
export function shown(p: string): string {
  // eslint-disable-next-line no-control-regex
  return p.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

let passwdCache: Map<number, string> | null = null;

/** "uid 1002 (alice)", or "uid 1002" when the name is unknown. */
export function ownerName(uid: number): string {
  if (!passwdCache) {
    passwdCache = new Map();
    try {
      for (const line of fs.readFileSync('/etc/passwd', 'utf8').split('\n')) {
        const [name, , id] = line.split(':');
        if (name && id && /^\d+$/.test(id) && !passwdCache.has(Number(id))) passwdCache.set(Number(id), name);
      }
    } catch {
      // names are only for the message
    }
  }
  const name = passwdCache.get(uid);
  return name ? `uid ${uid} (${shown(name)})` : `uid ${uid}`;
}

function modeText(mode: number): string {
  return `mode ${(mode & 0o7777).toString(8).padStart(4, '0')}`;
}

function writableBy(mode: number): string {
  const g = (mode & 0o020) !== 0;
  const o = (mode & 0o002) !== 0;
  return g && o ? 'group and others' : g ? 'its group' : 'others';
}

/** Why a component of a path cannot be trusted. */
export interface Distrust {
  /** The component at fault. */
  at: string;
  /** What is wrong with it, e.g. "is owned by uid 1002 (bob)". */
  reason: string;
  /** Its owner, when the owner is the problem. */
  owner?: number;
  /** True when the fix is ours to make (our own component with a bad mode). */
  ours: boolean;
  kind: 'owner' | 'mode' | 'link' | 'type';
}

class DistrustError extends Error {
  constructor(readonly d: Distrust) {
    super(`${d.at} ${d.reason}`);
  }
}

function distrust(d: Distrust): never {
  throw new DistrustError(d);
}

/** The rule for a directory that names are looked up in (a parent). */
function checkParent(dir: string, st: fs.Stats, fallback = runtimeFallbackRoot()): void {
  const uid = myUid();
  if (dir === fallback) return checkFallbackRoot(dir, st);
  if (st.uid !== uid && st.uid !== 0) distrust({ at: dir, reason: `is owned by ${ownerName(st.uid)}`, owner: st.uid, ours: false, kind: 'owner' });
  if ((st.mode & 0o022) !== 0 && (st.mode & 0o1000) === 0) {
    distrust({ at: dir, reason: `is writable by ${writableBy(st.mode)} (${modeText(st.mode)})`, ours: st.uid === uid, kind: 'mode' });
  }
}

/** /tmp/sandtray-UID: a real directory of ours, mode 0700, nothing less. */
function checkFallbackRoot(dir: string, st: fs.Stats): void {
  const uid = myUid();
  if (st.isSymbolicLink()) distrust({ at: dir, reason: `is a symbolic link (owned by ${ownerName(st.uid)})`, owner: st.uid, ours: st.uid === uid, kind: 'link' });
  if (!st.isDirectory()) distrust({ at: dir, reason: 'is not a directory', owner: st.uid, ours: st.uid === uid, kind: 'type' });
  if (st.uid !== uid) distrust({ at: dir, reason: `is owned by ${ownerName(st.uid)}`, owner: st.uid, ours: false, kind: 'owner' });
  if ((st.mode & 0o7777) !== 0o700) distrust({ at: dir, reason: `has ${modeText(st.mode)}, not 0700`, ours: true, kind: 'mode' });
}

/** The rule for a state folder of ours: a real directory of the user's that no one else can write. */
function checkStateDirStat(dir: string, st: fs.Stats): void {
  const uid = myUid();
  if (dir === runtimeFallbackRoot()) return checkFallbackRoot(dir, st);
  if (st.isSymbolicLink()) distrust({ at: dir, reason: `is a symbolic link (owned by ${ownerName(st.uid)}), not a folder`, owner: st.uid, ours: st.uid === uid, kind: 'link' });
  if (!st.isDirectory()) distrust({ at: dir, reason: 'is not a directory', owner: st.uid, ours: st.uid === uid, kind: 'type' });
  if (st.uid !== uid) distrust({ at: dir, reason: `is owned by ${ownerName(st.uid)}, not by you`, owner: st.uid, ours: false, kind: 'owner' });
  if ((st.mode & 0o022) !== 0) distrust({ at: dir, reason: `is writable by ${writableBy(st.mode)} (${modeText(st.mode)})`, ours: true, kind: 'mode' });
}

function lstatOrNull(p: string): fs.Stats | null {
  try {
    return fs.lstatSync(p);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return null;
    throw err;
  }
}

interface WalkEnd {
  /** The path with every link resolved. */
  real: string;
  /** lstat of what the walk ended on; null when it does not exist (only with create: false). */
  st: fs.Stats | null;
}

/**
 * Walks an absolute path as the kernel would, checking every directory looked up and every link
 * followed. With create, missing directories are made one at a time (mkdir 0700, never recursive)
 * and checked like the rest. With finalLink 'refuse' the last component must not be a link.
 */
function walk(target: string, opts: { create: boolean; finalLink: 'follow' | 'refuse' }): WalkEnd {
  if (!path.isAbsolute(target)) throw new SandtrayError('INTERNAL', `Not an absolute path: ${shown(target)}`);
  const uid = myUid();
  // Looked up once per walk: it reads the environment (TMPDIR), which costs on every component.
  const fallback = runtimeFallbackRoot();
  let cur = '/';
  checkParent('/', fs.lstatSync('/'), fallback);
  const todo = target.split('/').filter(Boolean).reverse();
  let links = 0;
  while (todo.length) {
    const name = todo.pop()!;
    if (name === '.') continue;
    if (name === '..') {
      cur = path.dirname(cur);
      continue;
    }
    const next = path.join(cur, name);
    const last = todo.length === 0;
    let st = lstatOrNull(next);
    if (!st) {
      if (!opts.create) return { real: path.join(next, ...todo.reverse()), st: null };
      try {
        fs.mkdirSync(next, { mode: 0o700 });
        // Made by us just now: make the mode exact whatever the umask (nobody else can rename it).
        const made = fs.lstatSync(next);
        if (made.isDirectory() && made.uid === uid) fs.chmodSync(next, 0o700);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      st = fs.lstatSync(next);
    }
    if (st.isSymbolicLink()) {
      if (last && opts.finalLink === 'refuse') return { real: next, st };
      if (next === fallback) checkFallbackRoot(next, st);
      if (st.uid !== uid && st.uid !== 0) distrust({ at: next, reason: `is a symbolic link owned by ${ownerName(st.uid)}`, owner: st.uid, ours: false, kind: 'link' });
      if (++links > MAX_LINKS) distrust({ at: next, reason: 'leads through too many symbolic links', ours: false, kind: 'link' });
      const to = fs.readlinkSync(next);
      todo.push(...to.split('/').filter(Boolean).reverse());
      if (path.isAbsolute(to)) cur = '/';
      continue;
    }
    if (last) return { real: next, st };
    if (!st.isDirectory()) distrust({ at: next, reason: 'is not a directory', owner: st.uid, ours: st.uid === uid, kind: 'type' });
    checkParent(next, st, fallback);
    cur = next;
  }
  return { real: cur, st: fs.lstatSync(cur) };
}

// ---- state folders ----

function stateError(dir: string, d: Distrust): SandtrayError {
  const fallback = runtimeFallbackRoot();
  const uid = myUid();
  let hint: string;
  if (d.at === fallback) {
    hint = d.ours && d.kind === 'mode'
      ? `Set XDG_RUNTIME_DIR to a folder only you can write (e.g. /run/user/${uid}, which a logind session provides), or run \`chmod 700 ${shown(d.at)}\`.`
      : `Set XDG_RUNTIME_DIR to a folder only you can write (e.g. /run/user/${uid}, which a logind session provides), or remove ${shown(d.at)}${d.owner !== undefined && d.owner !== uid ? ` (owned by ${ownerName(d.owner)}; only that user or root can)` : ''} and try again.`;
  } else if (d.kind === 'mode' && d.ours) {
    hint = `Run \`chmod go-w ${shown(d.at)}\` (and check nothing in it was planted by someone else), or point Sandtray elsewhere (see \`sandtray paths\`; XDG_CONFIG_HOME, XDG_DATA_HOME, XDG_STATE_HOME, XDG_RUNTIME_DIR).`;
  } else if (d.kind === 'link' && d.ours) {
    hint = `Sandtray keeps state only in real folders: remove the link ${shown(d.at)} (\`rm ${shown(d.at)}\`) and try again, or point Sandtray elsewhere (see \`sandtray paths\`).`;
  } else {
    hint = `Sandtray keeps state only in folders that belong to you or root and that no one else can write. Point it elsewhere (see \`sandtray paths\`; XDG_CONFIG_HOME, XDG_DATA_HOME, XDG_STATE_HOME, XDG_RUNTIME_DIR), or remove ${shown(d.at)}.`;
  }
  const where = d.at === dir ? '' : ` (for ${shown(dir)})`;
  return new SandtrayError('UNTRUSTED_PATH', `Refusing to keep state in ${shown(d.at)}${where}: it ${d.reason}, so another user could steer your sandboxes`, hint);
}

function asStateError(dir: string, err: unknown): unknown {
  if (err instanceof DistrustError) return stateError(dir, err.d);
  if (err instanceof SandtrayError) return err;
  const e = err as NodeJS.ErrnoException;
  return new SandtrayError('HOST_UNSUPPORTED', `Cannot use ${shown(dir)} for Sandtray's state: ${e.message}`, 'Check that the folders above it exist and are yours, or point Sandtray elsewhere (see `sandtray paths`; XDG_CONFIG_HOME, XDG_DATA_HOME, XDG_STATE_HOME, XDG_RUNTIME_DIR).', err);
}

/** A state folder that passed: its path with links resolved. */
function finishStateDir(dir: string, end: WalkEnd): string {
  const st = end.st!;
  checkStateDirStat(end.real, st);
  // Ours and not writable by others: only reading bits remain to take away.
  if ((st.mode & 0o077) !== 0) fs.chmodSync(end.real, 0o700);
  return end.real;
}

/**
 * Creates (mkdir 0700, one component at a time) and checks a state folder and every folder above
 * it. Returns its path with links resolved; throws UNTRUSTED_PATH with the fix otherwise.
 */
export function ensureStateDir(dir: string): string {
  try {
    return finishStateDir(dir, walk(path.resolve(dir), { create: true, finalLink: 'refuse' }));
  } catch (err) {
    throw asStateError(dir, err);
  }
}

/**
 * Checks a state folder and what is above it without creating anything. Returns its path with
 * links resolved, or null when it (or a folder above it) does not exist yet.
 */
export function checkStateDir(dir: string): string | null {
  try {
    const end = walk(path.resolve(dir), { create: false, finalLink: 'refuse' });
    if (!end.st) return null;
    return finishStateDir(dir, end);
  } catch (err) {
    throw asStateError(dir, err);
  }
}

/**
 * Checks the folders above dir (throws UNTRUSTED_PATH when they are not to be trusted) and tells
 * whether dir itself is a real directory of ours that no one else can write, that is, whether what
 * is in it may be read as our state. A link or anything else found there is not state.
 */
export function isOwnStateDir(dir: string): boolean {
  const parent = checkStateDir(path.dirname(path.resolve(dir)));
  if (parent === null) return false;
  const st = lstatOrNull(path.join(parent, path.basename(dir)));
  return st !== null && st.isDirectory() && st.uid === myUid() && (st.mode & 0o022) === 0;
}

/**
 * Removes a state folder or file. The folder holding it is checked first; what is removed is the
 * entry in that checked folder: a symbolic link planted there is removed as a link, never followed.
 * Returns what was there: 'dir', 'file', 'link' or null.
 */
export function removeStatePath(p: string): 'dir' | 'file' | 'link' | null {
  const parent = checkStateDir(path.dirname(path.resolve(p)));
  if (parent === null) return null;
  const entry = path.join(parent, path.basename(p));
  const st = lstatOrNull(entry);
  if (!st) return null;
  if (st.isSymbolicLink()) {
    fs.unlinkSync(entry);
    return 'link';
  }
  if (st.isDirectory()) {
    if (st.uid !== myUid()) throw stateError(p, { at: entry, reason: `is owned by ${ownerName(st.uid)}, not by you`, owner: st.uid, ours: false, kind: 'owner' });
    // Node's rm does not follow links inside the tree; the top is a real directory of ours in a
    // folder no one else can write, so nothing can be swapped under it.
    fs.rmSync(entry, { recursive: true, force: true });
    return 'dir';
  }
  fs.rmSync(entry, { force: true });
  return 'file';
}

/**
 * Writes a state file atomically: a new temporary file (O_CREAT|O_EXCL, which never follows or
 * reuses a link) with an unguessable name in the checked folder, fsync, then rename over the name
 * (rename replaces a link planted there, never writes through it).
 *
 * durable: false leaves out the fsync, for files that mean nothing after the machine goes down
 * (the runtime record of processes a crash ends anyway): readers still see the old text or the
 * new one whole, since the rename is what makes it visible.
 */
export function writeStateFile(file: string, data: string, mode = 0o600, opts: { durable?: boolean } = {}): void {
  const dir = checkStateDir(path.dirname(path.resolve(file)));
  if (dir === null) throw new SandtrayError('INTERNAL', `Cannot write ${shown(file)}: its folder does not exist`, 'Retry the command; if it persists, report it as a bug.');
  const target = path.join(dir, path.basename(file));
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${crypto.randomBytes(6).toString('hex')}.tmp`);
  const fd = fs.openSync(tmp, 'wx', mode);
  try {
    try {
      fs.writeSync(fd, data);
      if (opts.durable !== false) fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, target);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw err;
  }
}

/** Reads a small state file without following a link in its place (ELOOP then). */
export function readStateFile(file: string): string {
  const fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK);
  try {
    return fs.readFileSync(fd, 'utf8');
  } finally {
    fs.closeSync(fd);
  }
}

// ---- profile files ----

const MAX_PROFILE_BYTES = 256 * 1024;

/** A profile file read after its checks: the text and its hash. */
export interface TrustedFile {
  /** The path as given, made absolute. */
  file: string;
  /** With links resolved. */
  real: string;
  text: string;
  sha256: string;
}

function profileError(file: string, d: Distrust, final: boolean): SandtrayError {
  const uid = myUid();
  const profiles = path.join(sandtrayPaths().config, 'profiles');
  const copy = `copy it into ${shown(profiles)} (\`mkdir -p ${shown(profiles)} && cp ${shown(file)} ${shown(profiles)}/\`) and use it by name`;
  let hint: string;
  if (d.kind === 'mode' && d.ours) hint = `If the ${final ? 'file' : 'folder'} is as you want it, run \`chmod go-w ${shown(d.at)}\`; or read it, then ${copy}.`;
  else hint = `Read the file, then ${copy}.`;
  const what = d.at === file ? 'it' : final ? `it (${shown(d.at)})` : d.kind === 'link' ? `the link ${shown(d.at)}` : `the folder ${shown(d.at)}`;
  const who = d.owner !== undefined && d.owner !== uid && d.owner !== 0 ? 'that user' : 'another user';
  return new SandtrayError('UNTRUSTED_PATH', `Refusing profile ${shown(file)}: ${what} ${d.reason}, so ${who} could change what your sandbox does after you approved it`, hint);
}

/**
 * Reads a profile file only when it, and every folder and link on its path, belongs to the user or
 * root and is writable by no one else. Throws UNTRUSTED_PATH with the reason and the fix otherwise.
 */
export function readTrustedProfile(file: string): TrustedFile {
  const abs = path.resolve(file);
  const uid = myUid();
  let end: WalkEnd;
  try {
    end = walk(abs, { create: false, finalLink: 'follow' });
  } catch (err) {
    if (err instanceof DistrustError) throw profileError(abs, err.d, false);
    if (err instanceof SandtrayError) throw err;
    throw new SandtrayError('INVALID_PROFILE', `Cannot read profile ${shown(file)}: ${(err as Error).message}`, 'Check the permissions of the file and its folders.', err);
  }
  if (!end.st) throw new SandtrayError('NOT_FOUND', `Profile file ${shown(file)} does not exist`, 'Check the path, or list profiles with `sandtray profile list`.');
  const check = (st: fs.Stats): void => {
    const d = (x: Omit<Distrust, 'at'>): never => {
      throw profileError(abs, { at: end.real, ...x }, true);
    };
    if (!st.isFile()) throw new SandtrayError('INVALID_PROFILE', `${shown(file)} is not a regular file`, 'Pass a .sandtray profile file.');
    if (st.uid !== uid && st.uid !== 0) d({ reason: `is owned by ${ownerName(st.uid)}`, owner: st.uid, ours: false, kind: 'owner' });
    if ((st.mode & 0o022) !== 0) d({ reason: `is writable by ${writableBy(st.mode)} (${modeText(st.mode)})`, ours: st.uid === uid, kind: 'mode' });
    if (st.size > MAX_PROFILE_BYTES) {
      throw new SandtrayError('INVALID_PROFILE', `${shown(file)} is larger than ${MAX_PROFILE_BYTES} bytes`, 'A profile is a short YAML file; check that this is the right file.');
    }
  };
  check(end.st);
  // Read through one descriptor of that very file (no link followed, no FIFO waited on).
  let fd: number;
  try {
    fd = fs.openSync(end.real, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK);
  } catch (err) {
    throw new SandtrayError('INVALID_PROFILE', `Cannot read profile ${shown(file)}: ${(err as Error).message}`, 'Check the file permissions.', err);
  }
  try {
    const st = fs.fstatSync(fd);
    if (st.ino !== end.st.ino || st.dev !== end.st.dev) throw new SandtrayError('INVALID_PROFILE', `Profile ${shown(file)} changed while it was read`, 'Try again.');
    check(st);
    const bytes = fs.readFileSync(fd);
    if (bytes.length > MAX_PROFILE_BYTES) throw new SandtrayError('INVALID_PROFILE', `${shown(file)} is larger than ${MAX_PROFILE_BYTES} bytes`, 'A profile is a short YAML file; check that this is the right file.');
    return { file: abs, real: end.real, text: bytes.toString('utf8'), sha256: crypto.createHash('sha256').update(bytes).digest('hex') };
  } finally {
    fs.closeSync(fd);
  }
}
