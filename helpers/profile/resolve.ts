// Finds named profiles (user config first, then the shipped examples) and expands a sandbox's layers.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SandtrayError } from '../core/errors.js';
import { sandtrayPaths, type Paths } from '../core/paths.js';
import { expandLayers, type Expanded, type LayerSource } from './expand.js';
import { loadProfileFile, PROFILE_EXT } from './load.js';
import { API_VERSION, NAME_RE, type Layer } from './schema.js';

/** Folder of the example profiles shipped with Sandtray. */
export const SHIPPED_PROFILES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../resources/profiles');

/** Turns a --profile argument into what a record stores: a name, or an absolute file path. */
export function profileRef(arg: string): string {
  if (arg.includes('/') || arg.endsWith(PROFILE_EXT)) return path.resolve(arg);
  if (!NAME_RE.test(arg)) throw new SandtrayError('INVALID_ARGUMENT', `"${arg}" is neither a profile name nor a path`, 'Pass a profile name from `sandtray profile list` or a path to a .sandtray file.');
  return arg;
}

/** File behind a profile reference. */
export function profileFile(ref: string, paths: Paths = sandtrayPaths()): string {
  if (path.isAbsolute(ref)) return ref;
  const candidates = [path.join(paths.config, 'profiles', `${ref}${PROFILE_EXT}`), path.join(SHIPPED_PROFILES, `${ref}${PROFILE_EXT}`)];
  const found = candidates.find((c) => fs.existsSync(c));
  if (!found) throw new SandtrayError('NOT_FOUND', `Profile "${ref}" not found (looked in ${candidates.join(' and ')})`, 'See `sandtray profile list`, or pass a path to a .sandtray file.');
  return found;
}

/** Every named profile with its file. */
export function listProfiles(paths: Paths = sandtrayPaths()): { name: string; file: string; shipped: boolean }[] {
  const out = new Map<string, { name: string; file: string; shipped: boolean }>();
  for (const [dir, shipped] of [[SHIPPED_PROFILES, true], [path.join(paths.config, 'profiles'), false]] as const) {
    let files: string[] = [];
    try {
      files = fs.readdirSync(dir);
    } catch {
      continue;
    }
    for (const f of files) {
      if (!f.endsWith(PROFILE_EXT)) continue;
      const name = f.slice(0, -PROFILE_EXT.length);
      if (NAME_RE.test(name)) out.set(name, { name, file: path.join(dir, f), shipped });
    }
  }
  return [...out.values()].sort((a, b) => a.name.localeCompare(b.name));
}

/** What a sandbox's record says its profile is made of (runtime/store.ts keeps the record). */
export interface ProfileRecord {
  name: string;
  profiles: string[];
  overrides: Partial<Layer> | null;
}

/** One profile file a sandbox's profile was built from, with its content's hash. */
export interface LayerFile {
  /** The reference in the record: a profile name or an absolute path. */
  ref: string;
  /** The file it resolved to. */
  file: string;
  sha256: string;
  layer: Layer;
}

/**
 * Loads every layer of a sandbox record and expands them. Each profile file is checked before it is
 * read (see loadProfileFile); layerFiles tells what was read, with its hash, so a start can record it.
 */
export function expandRecord(rec: ProfileRecord, paths?: Paths): Expanded & { layerFiles: LayerFile[] } {
  const layerFiles: LayerFile[] = [];
  const layers: LayerSource[] = rec.profiles.map((ref) => {
    const loaded = loadProfileFile(profileFile(ref, paths));
    layerFiles.push({ ref, file: loaded.file, sha256: loaded.sha256, layer: loaded.layer });
    return { origin: path.isAbsolute(ref) ? `profile ${loaded.file}` : `profile ${ref} (${loaded.file})`, layer: loaded.layer };
  });
  if (rec.overrides) layers.push({ origin: 'sandbox overrides', layer: { apiVersion: API_VERSION, ...rec.overrides } });
  return { ...expandLayers(rec.name, layers), layerFiles };
}
