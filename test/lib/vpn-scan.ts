// Looking everywhere a secret could have gone: files under a folder, and the argv and environment
// of every process the test user can read.
import fs from 'node:fs';
import path from 'node:path';

/** Every readable file under dir (recursively) whose bytes contain one of the needles. */
export function filesContaining(dir: string, needles: readonly string[]): string[] {
  const hits: string[] = [];
  const walk = (d: string): void => {
    let entries: fs.Dirent[] = [];
    try {
      entries = fs.readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const ent of entries) {
      const p = path.join(d, ent.name);
      if (ent.isDirectory()) walk(p);
      else if (ent.isFile()) {
        try {
          const buf = fs.readFileSync(p);
          for (const n of needles) if (buf.includes(n)) hits.push(`${p}: ${n}`);
        } catch {
          // unreadable: owned by an id of the sandbox
        }
      }
    }
  };
  walk(dir);
  return hits;
}

/** Processes whose argv or environment contains one of the needles (every process we may read). */
export function processesContaining(needles: readonly string[]): string[] {
  const hits: string[] = [];
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    for (const f of ['cmdline', 'environ']) {
      try {
        const buf = fs.readFileSync(`/proc/${d}/${f}`);
        for (const n of needles) {
          if (buf.includes(n)) hits.push(`${d}/${f} (${n}): ${fs.readFileSync(`/proc/${d}/cmdline`, 'utf8').replace(/\0/g, ' ').slice(0, 120)}`);
        }
      } catch {
        // gone, or another user's
      }
    }
  }
  return hits;
}
