// What the plan needs to know about the host, gathered once so that planning stays pure.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { HOST_ETC_FILES, ROOT_LINKS, type HostFacts } from '../plan/host-facts.js';

export { HOST_ETC_FILES, ROOT_LINKS, type HostFacts } from '../plan/host-facts.js';

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
