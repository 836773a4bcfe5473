// --set key.path=value flags -> a validated override layer.
import YAML from 'yaml';
import { SandtrayError } from '../api/base.js';
import { API_VERSION, formatIssues, layerSchema, resolveLayerSources, type Layer } from '../api/profiles.js';

/**
 * Builds the per-sandbox override layer from `--set` flags; values are YAML scalars or lists. A
 * value YAML reads as a number, a boolean or nothing where the profile wants a string is taken as
 * written: `--set hostname=007` is "007", `--set env.X=` is "". Host paths (mount sources, a home
 * folder, a VPN file) are resolved here, against the current folder, and "~" is the user's home.
 */
export function parseOverrides(sets: readonly string[], cwd: string = process.cwd()): Omit<Layer, 'apiVersion'> | null {
  if (!sets.length) return null;
  const obj: Record<string, unknown> = {};
  /** The text of each scalar value, by its key path, for when the profile wants a string there. */
  const texts = new Map<string, string>();
  for (const s of sets) {
    const eq = s.indexOf('=');
    if (eq <= 0) throw new SandtrayError('INVALID_ARGUMENT', `--set ${s}: expected KEY=VALUE, e.g. --set network.mode=nat`, 'Keys are profile keys, dotted for nested ones.');
    const keys = s.slice(0, eq).split('.');
    if (keys.some((k) => !/^[A-Za-z_][A-Za-z0-9_]*$/.test(k))) throw new SandtrayError('INVALID_ARGUMENT', `--set ${s}: "${s.slice(0, eq)}" is not a profile key`, 'See `sandtray profile schema`.');
    const text = s.slice(eq + 1);
    let value: unknown;
    try {
      value = YAML.parse(text);
    } catch {
      value = text;
    }
    // Nothing at all ("", "~", "null") is no value: the text, which the schema then judges.
    if (value === null || value === undefined) value = text;
    // An environment value is its text, always (`env.ZIP=007` is "007").
    if (keys.length === 2 && keys[0] === 'env') value = text;
    if (typeof value !== 'object') texts.set(keys.join('.'), text);
    let cur = obj;
    keys.slice(0, -1).forEach((k) => {
      if (typeof cur[k] !== 'object' || cur[k] === null) cur[k] = {};
      cur = cur[k] as Record<string, unknown>;
    });
    cur[keys[keys.length - 1]!] = value;
  }
  let parsed = layerSchema.safeParse({ apiVersion: API_VERSION, ...obj });
  if (!parsed.success) {
    // Where a string is wanted and YAML read a number or a boolean, the text as written.
    let changed = false;
    for (const i of parsed.error.issues) {
      const key = i.path.join('.');
      if (i.code !== 'invalid_type' || i.expected !== 'string' || !texts.has(key)) continue;
      let cur = obj;
      for (const k of i.path.slice(0, -1)) cur = cur[k as string] as Record<string, unknown>;
      cur[i.path[i.path.length - 1] as string] = texts.get(key);
      changed = true;
    }
    if (changed) parsed = layerSchema.safeParse({ apiVersion: API_VERSION, ...obj });
  }
  if (!parsed.success) throw new SandtrayError('INVALID_PROFILE', `Invalid --set:\n  ${formatIssues(parsed.error.issues).join('\n  ')}`, 'See `sandtray profile schema` for the keys and their types.');
  const { apiVersion: _v, ...rest } = parsed.data;
  return resolveLayerSources(rest, cwd);
}
