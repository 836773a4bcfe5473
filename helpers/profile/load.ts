// Reads profile files: YAML text -> validated layer, with sources resolved against the file.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { SandtrayError } from '../core/errors.js';
import { formatIssues } from './issues.js';
import { API_VERSION, layerSchema, type Layer } from './schema.js';

export const PROFILE_EXT = '.sandtray';
const MAX_PROFILE_BYTES = 256 * 1024;

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
  const layer = parsed.data;
  if (layer.mounts) {
    layer.mounts = layer.mounts.map((m) => ({ ...m, source: resolveSource(m.source, baseDir) }));
  }
  if (layer.home && layer.home !== 'private' && layer.home !== 'tmpfs') layer.home = resolveSource(layer.home, baseDir);
  if (layer.network?.vpn) layer.network.vpn = { ...layer.network.vpn, config: resolveSource(layer.network.vpn.config, baseDir) };
  return layer;
}

/** Reads and parses a profile file. */
export function loadLayerFile(file: string): Layer {
  const abs = path.resolve(file);
  let text: string;
  try {
    const st = fs.statSync(abs);
    if (!st.isFile()) throw new SandtrayError('INVALID_PROFILE', `${file} is not a regular file`, 'Pass a .sandtray profile file.');
    if (st.size > MAX_PROFILE_BYTES) {
      throw new SandtrayError('INVALID_PROFILE', `${file} is larger than ${MAX_PROFILE_BYTES} bytes`, 'A profile is a short YAML file; check that this is the right file.');
    }
    text = fs.readFileSync(abs, 'utf8');
  } catch (err) {
    if (err instanceof SandtrayError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new SandtrayError('NOT_FOUND', `Profile file ${file} does not exist`, 'Check the path, or list profiles with `sandtray profile list`.');
    throw new SandtrayError('INVALID_PROFILE', `Cannot read profile ${file}: ${(err as Error).message}`, 'Check the file permissions.', err);
  }
  return parseLayer(text, abs, path.dirname(abs));
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
