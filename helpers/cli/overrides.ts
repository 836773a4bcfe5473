// --set key.path=value flags -> a validated override layer.
import YAML from 'yaml';
import { SandtrayError } from '../core/errors.js';
import { formatIssues } from '../profile/issues.js';
import { API_VERSION, layerSchema, type Layer } from '../profile/schema.js';

/** Builds the per-sandbox override layer from `--set` flags; values are YAML scalars or lists. */
export function parseOverrides(sets: readonly string[]): Omit<Layer, 'apiVersion'> | null {
  if (!sets.length) return null;
  const obj: Record<string, unknown> = {};
  for (const s of sets) {
    const eq = s.indexOf('=');
    if (eq <= 0) throw new SandtrayError('INVALID_ARGUMENT', `--set ${s}: expected KEY=VALUE, e.g. --set network.mode=nat`, 'Keys are profile keys, dotted for nested ones.');
    const keys = s.slice(0, eq).split('.');
    if (keys.some((k) => !/^[A-Za-z_][A-Za-z0-9_]*$/.test(k))) throw new SandtrayError('INVALID_ARGUMENT', `--set ${s}: "${s.slice(0, eq)}" is not a profile key`, 'See `sandtray profile schema`.');
    let value: unknown;
    try {
      value = YAML.parse(s.slice(eq + 1));
    } catch {
      value = s.slice(eq + 1);
    }
    let cur = obj;
    keys.slice(0, -1).forEach((k) => {
      if (typeof cur[k] !== 'object' || cur[k] === null) cur[k] = {};
      cur = cur[k] as Record<string, unknown>;
    });
    cur[keys[keys.length - 1]!] = value;
  }
  const parsed = layerSchema.safeParse({ apiVersion: API_VERSION, ...obj });
  if (!parsed.success) throw new SandtrayError('INVALID_PROFILE', `Invalid --set:\n  ${formatIssues(parsed.error.issues).join('\n  ')}`, 'See `sandtray profile schema` for the keys and their types.');
  const { apiVersion: _v, ...rest } = parsed.data;
  return rest;
}
