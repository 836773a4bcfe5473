// Mount sources opened without following a link someone else could re-point, and mount targets
// that do not lead out of the sandbox through a link planted inside it.
//
// bwrap resolves a bind's source path when it mounts it, following every symbolic link. A link
// planted where a sandbox can write (a writable mount, its home) would then re-point another
// mount's source at the next start: a read-only mount of ~/work/shared becomes ~/.ssh once the
// sandbox replaced `shared` by a link (the class of Flatpak's CVE-2024-42472). So the engine
// opens every source itself, one component at a time, following only links in folders we
// cannot write (the system's own: /lib64, /var/run), and hands bwrap the descriptor (`--bind-fd`). Between the
// engine's walk and the mount nothing is looked up again.
//
// Likewise bwrap creates a mount point by following links under the new root; a target below a
// folder the sandbox writes (its home, a writable mount) is checked for links planted there.
import fs from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import { randomBytes } from 'node:crypto';
import { SandtrayError } from '../core/errors.js';
import { xauthorityFor } from '../plan/graphics.js';

/** O_PATH (Linux, the same on x86_64 and aarch64): a handle to a place, not opened for I/O. */
const O_PATH = 0o10000000;
const MAX_LINKS = 40;

export class UnsafeLink extends Error {
  constructor(readonly link: string, readonly target: string, readonly owner: number) {
    super(`${link} is a symbolic link to ${target}`);
  }
}

/**
 * Folders one walk reached before, by their path, for the walks of one start that follow: about
 * forty mount sources share a handful of folders (/etc, the sandbox's own), each looked up once.
 * A folder enters only when it was reached through no link, so its path is its real place; the
 * handle stays on the same folder whatever happens to its path meanwhile.
 */
export class WalkCache {
  readonly dirs = new Map<string, number>();

  close(): void {
    for (const fd of this.dirs.values()) fs.closeSync(fd);
    this.dirs.clear();
  }
}

/**
 * Opens `p` (absolute) as an O_PATH descriptor, walking it component by component and following
 * only symbolic links that sit in folders we cannot write. Returns null when it does not exist;
 * throws UnsafeLink for a link in a folder we (and so a sandbox) could change. With a cache, the
 * walk starts at the deepest folder of p it holds, and leaves the folders it passes there.
 */
export function openNoUserLinks(p: string, cache?: WalkCache): number | null {
  const parts = p.split('/').filter((x) => x && x !== '.');
  let dir = -1;
  let at = '/';
  // Whether dir is this walk's own to close (not the cache's).
  let own = true;
  if (cache && !parts.includes('..')) {
    for (let k = parts.length - 1; k > 0 && dir < 0; k--) {
      const key = `/${parts.slice(0, k).join('/')}`;
      const fd = cache.dirs.get(key);
      if (fd !== undefined) {
        dir = fd;
        own = false;
        at = key;
        parts.splice(0, k);
      }
    }
  }
  if (dir < 0) dir = fs.openSync('/', O_PATH | fs.constants.O_DIRECTORY);
  let links = 0;
  const leave = (): void => {
    if (own) fs.closeSync(dir);
  };
  try {
    while (parts.length) {
      const name = parts.shift()!;
      let next: number;
      try {
        next = fs.openSync(`/proc/self/fd/${dir}/${name}`, O_PATH | fs.constants.O_NOFOLLOW);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
        throw err;
      }
      const st = fs.fstatSync(next);
      const here = path.posix.join(at, name);
      if (st.isSymbolicLink()) {
        fs.closeSync(next);
        const target = fs.readlinkSync(`/proc/self/fd/${dir}/${name}`);
        // Whoever may write the folder holding a link may replace it; a sandbox runs as us, so a
        // link in a folder we can write is one a sandbox could re-point. Links in folders we
        // cannot write (/etc/localtime, /lib64, /var/run) are followed, whoever owns them: inside
        // a user namespace root's own show as the overflow id.
        if (canWrite(`/proc/self/fd/${dir}`)) throw new UnsafeLink(here, target, st.uid);
        if (++links > MAX_LINKS) throw new SandtrayError('INVALID_PROFILE', `${p}: too many levels of symbolic links`);
        parts.unshift(...target.split('/').filter((x) => x && x !== '.'));
        if (target.startsWith('/')) {
          leave();
          dir = fs.openSync('/', O_PATH | fs.constants.O_DIRECTORY);
          own = true;
          at = '/';
        }
        continue;
      }
      leave();
      dir = next;
      own = true;
      at = name === '..' ? path.posix.dirname(at) : here;
      if (cache && parts.length && links === 0 && name !== '..' && st.isDirectory() && !cache.dirs.has(at)) {
        cache.dirs.set(at, dir);
        own = false;
      }
    }
    // The cache's handle stays the cache's: the caller gets one of its own.
    const out = own ? dir : fs.openSync(`/proc/self/fd/${dir}`, O_PATH);
    dir = -1;
    return out;
  } finally {
    if (dir >= 0) leave();
  }
}

function canWrite(dir: string): boolean {
  try {
    fs.accessSync(dir, fs.constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

const BIND_OPTS: Record<string, string> = { '--bind': '--bind-fd', '--ro-bind': '--ro-bind-fd', '--bind-try': '--bind-fd', '--ro-bind-try': '--ro-bind-fd' };
/** How many values each bwrap option the plan uses takes. */
const ARITY: Record<string, number> = {
  '--userns': 1, '--unshare-pid': 0, '--unshare-uts': 0, '--unshare-ipc': 0, '--unshare-cgroup-try': 0, '--unshare-net': 0,
  '--hostname': 1, '--new-session': 0, '--as-pid-1': 0, '--info-fd': 1, '--json-status-fd': 1,
  '--symlink': 2, '--proc': 1, '--dev': 1, '--tmpfs': 1, '--dir': 1, '--chdir': 1, '--clearenv': 0, '--setenv': 2,
  '--remount-ro': 1, '--perms': 1, '--chmod': 2,
};

/** The one device folder a plan may bind with device access (`gpu: true`). */
const DEV_BIND_ALLOWED = '/dev/dri';

/**
 * bwrap has no descriptor form of --dev-bind, so the path goes as is. Only /dev/dri, and only
 * while it is a root-owned folder reached through no link: /dev and /dev/dri belong to root, so
 * no user can re-point them between this check and the mount.
 */
function devBindPath(opt: string, source: string, target: string): boolean {
  if (source !== DEV_BIND_ALLOWED || target !== DEV_BIND_ALLOWED) throw new SandtrayError('INTERNAL', `${opt} is allowed for ${DEV_BIND_ALLOWED} only, not ${source} -> ${target}`);
  let st: fs.Stats;
  try {
    st = fs.lstatSync(source);
  } catch {
    if (opt.endsWith('-try')) return false;
    throw new SandtrayError('INVALID_PROFILE', `${source} does not exist on this host`, 'Set gpu: false, or install the graphics driver.');
  }
  const parent = fs.lstatSync(path.dirname(source));
  if (!st.isDirectory() || st.uid !== 0 || !parent.isDirectory() || parent.uid !== 0) {
    throw new SandtrayError('INVALID_PROFILE', `${source} is not a root-owned folder; it is not bound`, 'Check the host: /dev/dri should be made by the kernel.');
  }
  return true;
}

/**
 * A descriptor of a removed private file holding the sandbox's Xauthority (bwrap copies it into
 * the sandbox with --ro-bind-data). Made in the user's runtime folder when there is one.
 */
function xauthorityFd(display: number, source: string): number | null {
  const data = xauthorityFor(display, source);
  if (!data) return null;
  const rt = process.env['XDG_RUNTIME_DIR'];
  const dir = rt && path.isAbsolute(rt) && fs.existsSync(rt) ? rt : os.tmpdir();
  const file = path.join(dir, `.sandtray-xauth-${randomBytes(8).toString('hex')}`);
  fs.writeFileSync(file, data, { mode: 0o600, flag: 'wx' });
  try {
    return fs.openSync(file, 'r');
  } finally {
    fs.rmSync(file, { force: true });
  }
}

const REGULAR_READ = fs.constants.O_RDONLY | fs.constants.O_NONBLOCK | fs.constants.O_NOCTTY;

/** A regular file opened for reading through openNoUserLinks; null when it is missing or anything else. */
function openRegularFile(p: string, cache?: WalkCache): number | null {
  const at = openNoUserLinks(p, cache);
  if (at === null) return null;
  try {
    const fd = fs.openSync(`/proc/self/fd/${at}`, REGULAR_READ);
    if (fs.fstatSync(fd).isFile()) return fd;
    fs.closeSync(fd);
    return null;
  } catch {
    return null;
  } finally {
    fs.closeSync(at);
  }
}

/**
 * bwrap's options with every bind turned into a bind of a descriptor opened by openNoUserLinks.
 * The descriptors get the numbers firstFd, firstFd+1, ... in the returned list's order.
 */
export function bindByDescriptor(opts: readonly string[], firstFd: number): { opts: string[]; fds: number[]; flags: number[] } {
  const out: string[] = [];
  const fds: number[] = [];
  // The flags each descriptor was opened with, for a prepared launch step to open it again alike.
  const flags: number[] = [];
  const add = (fd: number, how: number): void => void (fds.push(fd), flags.push(how));
  const cache = new WalkCache();
  try {
    for (let i = 0; i < opts.length; ) {
      const o = opts[i]!;
      if (o === '--dev-bind' || o === '--dev-bind-try') {
        const [source, target] = [opts[i + 1]!, opts[i + 2]!];
        i += 3;
        if (devBindPath(o, source, target)) out.push(o, source, target);
        continue;
      }
      if (o === '--x11-cookie') {
        // Not a bwrap option: plan/build.ts's stand-in for the sandbox's private Xauthority file.
        const [display, source, target] = [Number(opts[i + 1]), opts[i + 2]!, opts[i + 3]!];
        i += 4;
        const fd = xauthorityFd(display, source);
        if (fd === null) {
          throw new SandtrayError('INVALID_PROFILE', `${source} holds no cookie for the X display :${display}`, 'Run the sandbox from your desktop session, or set display.x11: false.');
        }
        add(fd, fs.constants.O_RDONLY);
        out.push('--perms', '0600', '--ro-bind-data', String(firstFd + fds.length - 1), target);
        continue;
      }
      if (o === '--copy-file') {
        // Not a bwrap option: plan/build.ts's stand-in for a host file copied into the sandbox's
        // own /etc at start (bwrap's --file reads it from the descriptor). Anything but a regular
        // file by now is bound read-only instead, as before copies.
        const [source, target] = [opts[i + 1]!, opts[i + 2]!];
        i += 3;
        const fd = openRegularFile(source, cache);
        if (fd === null) {
          const bound = openNoUserLinks(source, cache);
          if (bound === null) continue;
          add(bound, O_PATH);
          out.push('--ro-bind-fd', String(firstFd + fds.length - 1), target);
          continue;
        }
        add(fd, REGULAR_READ);
        out.push('--perms', '0644', '--file', String(firstFd + fds.length - 1), target);
        continue;
      }
      const fdOpt = BIND_OPTS[o];
      if (fdOpt) {
        const [source, target] = [opts[i + 1]!, opts[i + 2]!];
        i += 3;
        let fd: number | null;
        try {
          fd = openNoUserLinks(source, cache);
        } catch (err) {
          if (err instanceof UnsafeLink) {
            throw new SandtrayError(
              'INVALID_PROFILE',
              `The mount of ${source} on ${target} passes through a symbolic link: ${err.link} -> ${err.target} in a folder you can write: a program in a sandbox that can write that folder could re-point it at any of your files.`,
              `Name the real folder in the profile (\`readlink -f ${source}\`), or remove the link if you did not make it.`,
            );
          }
          throw err;
        }
        if (fd === null) {
          if (o.endsWith('-try')) continue;
          throw new SandtrayError('INVALID_PROFILE', `The mount source ${source} (for ${target}) does not exist`, 'Create it, mark the mount "optional: true", or change the profile.');
        }
        add(fd, O_PATH);
        out.push(fdOpt, String(firstFd + fds.length - 1), target);
        continue;
      }
      const n = ARITY[o];
      if (n === undefined) throw new SandtrayError('INTERNAL', `Unexpected bwrap option in a plan: ${o}`);
      out.push(...opts.slice(i, i + 1 + n));
      i += 1 + n;
    }
  } catch (err) {
    for (const fd of fds) fs.closeSync(fd);
    throw err;
  } finally {
    cache.close();
  }
  return { opts: out, fds, flags };
}

/**
 * Refuses a mount target that lies below a bind whose host folder the sandbox can write, when a
 * link sits on the way there: bwrap would follow it while creating the mount point (and could
 * create folders and files anywhere the user may). `binds` are the plan's binds in order.
 */
export function checkTargets(binds: readonly { source: string; target: string; writable: boolean }[]): void {
  for (const m of binds) {
    const parent = [...binds].filter((b) => b !== m && b.writable && isBelow(m.target, b.target)).sort((a, b) => b.target.length - a.target.length)[0];
    if (!parent) continue;
    const rel = path.posix.relative(parent.target, m.target).split('/');
    let host = parent.source;
    // Only the folders on the way; the last component is where bwrap mounts (a link there is
    // covered by the mount itself, but bwrap would still create through it).
    for (const part of rel) {
      host = path.join(host, part);
      let st: fs.Stats;
      try {
        st = fs.lstatSync(host);
      } catch {
        break;
      }
      if (st.isSymbolicLink()) {
        const inside = path.posix.join(parent.target, path.relative(parent.source, host));
        throw new SandtrayError(
          'INVALID_PROFILE',
          `The mount on ${m.target} would go through ${inside}, a symbolic link to ${fs.readlinkSync(host)} made inside the sandbox`,
          `Remove the link (${host} on this machine) or change the mount's target.`,
        );
      }
    }
  }
}

function isBelow(p: string, dir: string): boolean {
  return dir === '/' ? p !== '/' : p.startsWith(`${dir}/`);
}
