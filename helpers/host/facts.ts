// What the plan needs to know about the host, gathered once so that planning stays pure.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface HostFacts {
  uid: number;
  gid: number;
  user: string;
  /** /bin, /lib... are symlinks into /usr (merged /usr). */
  mergedUsr: Record<string, boolean>;
  /** Top-level entries that exist on the host among those we may bind. */
  exists: Record<string, boolean>;
  /**
   * What each present HOST_ETC_FILES entry is: 'file' (regular), 'link:TEXT' (a link whose target
   * lies in /usr, TEXT as written), or 'other' (folders, other links). Absent: bound as before.
   */
  etcKinds?: Record<string, string>;
}

export const ROOT_LINKS = ['bin', 'sbin', 'lib', 'lib32', 'lib64', 'libx32'] as const;

/** The host /etc files a shell and common tools need, bound read-only when present. */
export const HOST_ETC_FILES = [
  'alternatives', 'ld.so.cache', 'ld.so.conf', 'ld.so.conf.d', 'localtime', 'timezone', 'locale.alias',
  'locale.conf', 'default/locale', 'inputrc', 'terminfo', 'ssl', 'ca-certificates', 'ca-certificates.conf',
  'services', 'protocols', 'mime.types', 'login.defs', 'shells', 'debian_version', 'os-release', 'lsb-release',
  'gai.conf', 'host.conf', 'profile.d', 'bash_completion', 'bash_completion.d', 'nanorc', 'vim', 'magic',
  'magic.mime', 'manpath.config', 'environment',
] as const;

/** Reads the host facts for the current user. */
export function readHostFacts(): HostFacts {
  const uid = process.getuid?.() ?? 0;
  const gid = process.getgid?.() ?? 0;
  let user = process.env['USER'] ?? '';
  try {
    user = os.userInfo().username;
  } catch {
    // No passwd entry (containers, LDAP outages): fall back to $USER or the uid.
    if (!user) user = String(uid);
  }
  const mergedUsr: Record<string, boolean> = {};
  const exists: Record<string, boolean> = {};
  for (const l of ROOT_LINKS) {
    try {
      const st = fs.lstatSync(`/${l}`);
      exists[`/${l}`] = true;
      mergedUsr[l] = st.isSymbolicLink();
    } catch {
      exists[`/${l}`] = false;
    }
  }
  const etcKinds: Record<string, string> = {};
  for (const f of HOST_ETC_FILES) {
    const p = `/etc/${f}`;
    exists[p] = fs.existsSync(p);
    if (exists[p]) etcKinds[f] = etcKind(p);
  }
  for (const p of ['/bin/bash', '/usr/bin/bash', '/opt']) exists[p] = fs.existsSync(p);
  return { uid, gid, user, mergedUsr, exists, etcKinds };
}

function etcKind(p: string): string {
  try {
    const st = fs.lstatSync(p);
    if (st.isFile()) return 'file';
    if (st.isSymbolicLink()) {
      const text = fs.readlinkSync(p);
      const real = fs.realpathSync(p);
      // Only a link that reaches /usr the same way inside, where /usr is the host's, and no
      // other link on the way: otherwise it is bound, which follows it on the host.
      const direct = path.posix.resolve(path.posix.dirname(p), text);
      if (real.startsWith('/usr/') && direct === real && /^[A-Za-z0-9._/+-]+$/.test(text)) return `link:${text}`;
    }
  } catch {
    // gone meanwhile: bound, and bwrap says so
  }
  return 'other';
}
