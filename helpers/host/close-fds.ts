// Closing inherited file descriptors before anything enters a sandbox.
//
// Node (libuv) marks the descriptors it opens close-on-exec, but passes on any descriptor it
// inherited without that flag: a terminal emulator's, a desktop session's, a parent script's.
// Such a descriptor would reach pid 1 or an attached process inside the sandbox: a host file
// the sandbox was never meant to see. bwrap and nsenter do not close them, so every chain we
// spawn starts with this bash step (bash, unlike dash, can close descriptors above 9).
//
// Where the .deb installed Sandtray's launcher (resources/bin/sandtray-launch, the same loop in a
// file), the step runs that file instead: AppArmor attaches Sandtray's profile to it by its path,
// which is what lets the chain create user namespaces on Ubuntu's restricted kernels (see
// resources/apparmor/sandtray). Both forms take the same arguments: KEEP, then the command.
import fs from 'node:fs';
import path from 'node:path';

const SCRIPT = 'for f in /proc/self/fd/*; do f=${f##*/}; [ "$f" -gt "$1" ] 2>/dev/null && exec {f}>&-; done; shift; exec "$@"';

/** Where the .deb installs the launcher. */
export const INSTALLED_LAUNCHER = '/usr/lib/sandtray/sandtray-launch';

/**
 * True when `file` is a regular file that root owns and only root can change, and so is every
 * folder above it: only then may the chain run it instead of the inline script. A launcher
 * another user could replace would run that user's code with our descriptors.
 */
export function trustedLauncher(file: string): boolean {
  try {
    const st = fs.lstatSync(file);
    if (!st.isFile() || st.uid !== 0 || (st.mode & 0o022) !== 0 || (st.mode & 0o111) === 0) return false;
    for (let dir = path.dirname(file); ; dir = path.dirname(dir)) {
      const d = fs.lstatSync(dir);
      if (!d.isDirectory() || d.uid !== 0 || (d.mode & 0o022) !== 0) return false;
      if (dir === '/') return true;
    }
  } catch {
    return false;
  }
}

/**
 * argv prefix that closes every descriptor above `keep`, then executes the rest of argv: the
 * installed launcher when it is there and trusted, else the same loop through `bash -c`.
 */
export function closeFdsPrefix(keep = 2, launcher: string = INSTALLED_LAUNCHER): string[] {
  if (trustedLauncher(launcher)) return [launcher, String(keep)];
  // --norc: bash would read ~/.bashrc when its stdin is a socket, as Node's pipes are.
  return ['/bin/bash', '--norc', '--noprofile', '-c', SCRIPT, 'sandtray-closefds', String(keep)];
}

// O_CLOEXEC as /proc/self/fdinfo shows it, in octal flags.
const O_CLOEXEC = 0o2000000;

/**
 * Descriptors above `keep` that this process holds without close-on-exec: the only ones a child
 * spawned by Node would inherit beyond those passed to it (every descriptor Node and libuv open
 * is close-on-exec; those passed in stdio are put in place in the child). null when /proc cannot
 * tell, which counts as "maybe".
 */
export function inheritableFds(keep = 2): number[] | null {
  let names: string[];
  try {
    names = fs.readdirSync('/proc/self/fdinfo');
  } catch {
    return null;
  }
  const out: number[] = [];
  for (const n of names) {
    const fd = Number(n);
    if (!(fd > keep)) continue;
    let text: string;
    try {
      text = fs.readFileSync(`/proc/self/fdinfo/${n}`, 'utf8');
    } catch {
      continue; // closed meanwhile (the readdir's own descriptor, for one)
    }
    const m = /^flags:\s*([0-7]+)$/m.exec(text);
    if (!m) return null;
    if ((parseInt(m[1]!, 8) & O_CLOEXEC) === 0) out.push(fd);
  }
  return out;
}

/**
 * closeFdsPrefix, left out where it has nothing to do: no installed launcher to go through, and
 * this process holds no descriptor a child would inherit. The launch chain spawns two steps per
 * start, and the bash step costs more than the program it starts. Call it right before the spawn,
 * in the same synchronous run, so no descriptor can appear in between.
 */
export function closeFdsPrefixIfNeeded(keep = 2, launcher: string = INSTALLED_LAUNCHER): string[] {
  const prefix = closeFdsPrefix(keep, launcher);
  if (prefix[0] !== '/bin/bash') return prefix;
  const open = inheritableFds(2);
  return open !== null && open.length === 0 ? [] : prefix;
}

/**
 * For a chain whose first program closes inherited descriptors itself (the launch step,
 * runtime/launch-step.ts): the installed launcher where it is there and trusted, which AppArmor
 * needs to let the chain make user namespaces; else nothing, no bash step.
 */
export function launcherPrefix(keep = 2, launcher: string = INSTALLED_LAUNCHER): string[] {
  return trustedLauncher(launcher) ? [launcher, String(keep)] : [];
}
