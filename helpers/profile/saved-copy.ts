// What changes when profile text is saved into the user's profiles folder rather than read where it
// ships: a relative mount source resolves against the file's own folder, so the shipped `dev`
// example's `.` (the folder a sandbox is created from) would mean ~/.config in a copy. Such sources are problems in the
// editor: the copy must name the folder itself. Shipped examples keep their names (read-only).
import YAML from 'yaml';
import type { ProfileIssue } from './validate-text.js';

/** Relative mount sources, as problems with their lines. */
export function relativeSourceIssues(text: string, folder: string): ProfileIssue[] {
  let doc: unknown;
  try {
    doc = YAML.parse(text);
  } catch {
    return []; // the schema check reports the YAML error
  }
  const mounts = (doc as { mounts?: unknown } | null)?.mounts;
  if (!Array.isArray(mounts)) return [];
  const lines = text.split('\n');
  const out: ProfileIssue[] = [];
  mounts.forEach((m, i) => {
    const source = (m as { source?: unknown } | null)?.source;
    if (typeof source !== 'string' || source.startsWith('/') || source.startsWith('~')) return;
    const escaped = source.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const at = lines.findIndex((l) => new RegExp(`^\\s*(-\\s*)?source:\\s*["']?${escaped}["']?\\s*(#.*)?$`).test(l));
    out.push({
      path: `mounts[${i}].source`,
      message: `"${source}" is relative: in your profiles folder it would mean a folder under ${folder}. Name the folder itself, e.g. /home/you/project`,
      line: at < 0 ? null : at + 1,
    });
  });
  return out;
}
