// Reads profile files: YAML text -> validated layer, with sources resolved against the file.
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { SandtrayError } from '../core/errors.js';
import { readTrustedProfile } from '../core/trust.js';
import { formatIssues } from './issues.js';
import { API_VERSION, layerSchema, type Layer } from './schema.js';

export const PROFILE_EXT = '.sandtray';

/** Parses profile text into a layer; throws INVALID_PROFILE listing every problem. */
export function parseLayer(text: string, origin: string, baseDir?: string): Layer {
  const doc = YAML.parseDocument(text, { prettyErrors: true, uniqueKeys: true, strict: true });
  if (doc.errors.length) {
    const lines = doc.errors.map((e) => e.message.split('\n')[0] ?? e.message);
    throw invalid(origin, lines);
  }
  const raw: unknown = doc.toJS({ maxAliasCount: 50 });
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw invalid(origin, [`(top level): must be a mapping with "apiVersion: ${API_VERSION}"`]);
  }
  const parsed = layerSchema.safeParse(raw);
  if (!parsed.success) throw invalid(origin, formatIssues(parsed.error.issues));
  return resolveLayerSources(parsed.data, baseDir);
}

/**
 * The layer with its host paths (mount sources, a home folder, a VPN file) absolute: "~" is the
 * user's home, relative paths are relative to baseDir (the profile's folder; the current folder
 * for `--set`).
 */
export function resolveLayerSources<L extends Omit<Layer, 'apiVersion'>>(layer: L, baseDir?: string): L {
  if (layer.mounts) {
    layer.mounts = layer.mounts.map((m) => ({ ...m, source: resolveSource(m.source, baseDir) }));
  }
  if (layer.home && layer.home !== 'private' && layer.home !== 'tmpfs') layer.home = resolveSource(layer.home, baseDir);
  if (layer.network?.vpn) layer.network.vpn = { ...layer.network.vpn, config: resolveSource(layer.network.vpn.config, baseDir) };
  return layer;
}

/** A profile file as it was read and parsed: what a start applies, and the hash to notice changes. */
export interface LoadedLayer {
  /** The file, absolute, as referenced. */
  file: string;
  layer: Layer;
  /** sha256 of the bytes parsed. */
  sha256: string;
}

/**
 * Reads and parses a profile file. The file and every folder on its path must belong to the user or
 * root and be writable by no one else (core/trust.ts), or it is refused with the reason and the fix:
 * a sandbox follows its profile files, so whoever can write them steers the sandbox.
 */
export function loadProfileFile(file: string): LoadedLayer {
  const t = readTrustedProfile(file);
  return { file: t.file, layer: parseLayer(t.text, t.file, path.dirname(t.file)), sha256: t.sha256 };
}

/** Reads and parses a profile file (see loadProfileFile). */
export function loadLayerFile(file: string): Layer {
  return loadProfileFile(file).layer;
}

function resolveSource(src: string, baseDir?: string): string {
  if (src === '~' || src.startsWith('~/')) return path.join(os.homedir(), src.slice(1));
  if (path.isAbsolute(src)) return path.normalize(src);
  return path.resolve(baseDir ?? process.cwd(), src);
}

function invalid(origin: string, lines: string[]): SandtrayError {
  return new SandtrayError(
    'INVALID_PROFILE',
    `Invalid profile ${origin}:\n  ${lines.join('\n  ')}`,
    'Fix the keys above; `sandtray profile schema` prints the full schema.',
  );
}
