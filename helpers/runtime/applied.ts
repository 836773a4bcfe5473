// What each profile file held when the owner last approved it (create) or started the sandbox,
// so that a start can say which keys changed since: a profile file keeps steering its sandbox,
// and the owner should see it when it does.
//
// Kept next to the record (data/sandboxes/NAME/applied-profiles.json): the runtime directory goes
// away at stop, and "since the last start" must survive it.
import path from 'node:path';
import { z } from 'zod';
import { SandtrayError } from '../core/errors.js';
import { readStateFile, shown } from '../core/trust.js';
import { logEvent } from './log.js';
import { sandtrayPaths, type Paths } from '../core/paths.js';
import { readRecord, sandboxDirs, writeFileAtomic, type SandboxDirs } from './store.js';
import { expandRecord, type LayerFile } from '../profile/resolve.js';

/** One profile layer of a sandbox as read for a create or a start. */
export type { LayerFile } from '../profile/resolve.js';

const appliedSchema = z.object({
  version: z.literal(1),
  /** When these were recorded, and by what. */
  at: z.string(),
  by: z.enum(['create', 'start']),
  layers: z.array(z.object({ ref: z.string(), file: z.string(), sha256: z.string(), layer: z.unknown() })),
});
export type Applied = z.infer<typeof appliedSchema>;

/** What changed in one profile layer. */
export interface ProfileChange {
  ref: string;
  file: string;
  /** The file a name resolves to now, when it used to resolve to another. */
  previousFile: string | null;
  /** Changed, added or removed keys, dotted, e.g. `home`, `mounts[1].source`, `env.TOKEN`. */
  keys: string[];
}

export function appliedFile(dirs: Pick<SandboxDirs, 'data'>): string {
  return path.join(dirs.data, 'applied-profiles.json');
}

/** What was recorded last; null when nothing was (a sandbox made before this was kept) or it is damaged. */
export function readApplied(dirs: Pick<SandboxDirs, 'data'>): Applied | null {
  try {
    const parsed = appliedSchema.safeParse(JSON.parse(readStateFile(appliedFile(dirs))));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/** Records the layers a create or start used (written atomically into the checked sandbox folder). */
export function writeApplied(dirs: Pick<SandboxDirs, 'data'>, files: readonly LayerFile[], by: Applied['by']): void {
  const applied: Applied = { version: 1, at: new Date().toISOString(), by, layers: files.map((f) => ({ ref: f.ref, file: f.file, sha256: f.sha256, layer: f.layer })) };
  // The same layers recorded by the same step (most starts): the record already says so, and a
  // synced rewrite is a noticeable part of a warm start. `at` then stays that of the first time.
  const prev = readApplied(dirs);
  if (prev && prev.by === by && JSON.stringify(prev.layers) === JSON.stringify(applied.layers)) return;
  writeFileAtomic(appliedFile(dirs), `${JSON.stringify(applied, null, 2)}\n`);
}

/** Leaf values by dotted path: objects by key, arrays by index. */
function flatten(v: unknown, prefix: string, out: Map<string, string>): Map<string, string> {
  if (v !== null && typeof v === 'object') {
    const entries = Array.isArray(v) ? v.map((x, i) => [`${prefix}[${i}]`, x] as const) : Object.entries(v).map(([k, x]) => [prefix ? `${prefix}.${k}` : k, x] as const);
    if (!entries.length) out.set(prefix, Array.isArray(v) ? '[]' : '{}');
    for (const [k, x] of entries) flatten(x, k, out);
  } else {
    out.set(prefix, JSON.stringify(v));
  }
  return out;
}

/** Keys whose values differ between two layers. */
export function changedKeys(before: unknown, after: unknown): string[] {
  const a = flatten(before, '', new Map());
  const b = flatten(after, '', new Map());
  const keys = new Set<string>();
  for (const [k, v] of a) if (b.get(k) !== v) keys.add(k);
  for (const k of b.keys()) if (!a.has(k)) keys.add(k);
  return [...keys].sort();
}

/** The layers that changed since what was recorded; none when nothing was recorded. */
export function profileChanges(prev: Applied | null, now: readonly LayerFile[]): ProfileChange[] {
  if (!prev) return [];
  const out: ProfileChange[] = [];
  for (const cur of now) {
    const old = prev.layers.find((l) => l.ref === cur.ref);
    if (!old) continue; // the record's list of profiles changed: nothing of it was approved before
    if (old.sha256 === cur.sha256 && old.file === cur.file) continue;
    const keys = changedKeys(old.layer, cur.layer);
    const previousFile = old.file === cur.file ? null : old.file;
    // Same keys and values (comments, spacing) from the same file: nothing a sandbox sees changed.
    if (!keys.length && !previousFile) continue;
    out.push({ ref: cur.ref, file: cur.file, previousFile, keys });
  }
  return out;
}

const MAX_KEYS_SHOWN = 12;

/** One line per changed layer, for a terminal: `warning: profile ... changed since ...: home, mounts[0].source`. */
export function describeChanges(changes: readonly ProfileChange[], since: Applied['by'] | null): string[] {
  const when = since === 'create' ? 'since the sandbox was created' : 'since the last start';
  return changes.map((c) => {
    const name = path.isAbsolute(c.ref) ? shown(c.file) : `${shown(c.ref)} (${shown(c.file)})`;
    const keys = c.keys.length > MAX_KEYS_SHOWN ? `${c.keys.slice(0, MAX_KEYS_SHOWN).map(shown).join(', ')} and ${c.keys.length - MAX_KEYS_SHOWN} more` : c.keys.map(shown).join(', ');
    const moved = c.previousFile ? ` (it is now read from ${shown(c.file)}, not ${shown(c.previousFile)})` : '';
    return `warning: profile ${name} changed ${when}${moved}${keys ? `: ${keys}` : ''}`;
  });
}

/** How a start treats profile files that changed since the last start. */
export interface ProfileChangeOptions {
  /** Called with one warning line per changed profile (the lifecycle log gets them too). */
  onProfileChange?: (lines: string[], changes: ProfileChange[]) => void;
  /** Refuse with PROFILE_CHANGED instead of starting (a caller that asks the owner first, then starts again without it). */
  refuseProfileChanges?: boolean;
}

/**
 * Compares what a start is about to apply with what was recorded; tells the caller and the
 * lifecycle log which keys changed, or refuses when asked to. Returns the changes.
 */
export function noticeProfileChanges(dirs: Pick<SandboxDirs, 'data' | 'log'>, files: readonly LayerFile[], opts: ProfileChangeOptions = {}): ProfileChange[] {
  const prev = readApplied(dirs);
  const changes = profileChanges(prev, files);
  if (!changes.length) return changes;
  const lines = describeChanges(changes, prev?.by ?? null);
  if (opts.refuseProfileChanges) {
    throw new SandtrayError(
      'PROFILE_CHANGED',
      lines.map((l) => l.replace(/^warning: /, '')).join('\n'),
      'Review the profile, then start again to apply it.',
    );
  }
  for (const l of lines) logEvent(dirs.log, l);
  opts.onProfileChange?.(lines, changes);
  return changes;
}

/**
 * What a start of this sandbox would say about its profile files now, without starting it: one
 * warning line per changed file (none when nothing changed or nothing was recorded). For callers
 * that ask the owner before an operation that would stop the sandbox first (restart).
 */
export function pendingProfileChanges(name: string, paths: Paths = sandtrayPaths()): string[] {
  const rec = readRecord(name, paths);
  const dirs = sandboxDirs(name, paths);
  const prev = readApplied(dirs);
  return describeChanges(profileChanges(prev, expandRecord(rec, paths).layerFiles), prev?.by ?? null);
}
