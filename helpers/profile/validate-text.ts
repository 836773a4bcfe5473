// Validates profile text as an editor shows it: every problem with the line it points at, with the
// engine's own schema and host checks, so the desktop's editor and `sandtray profile validate` agree.
import path from 'node:path';
import { LineCounter, parseDocument, isMap, isPair, isScalar, type Node } from 'yaml';
import { asSandtrayError } from '../core/errors.js';
import { checkProfile, type HostProblems } from './check.js';
import { expandLayers } from './expand.js';
import { formatIssues, formatPath } from './issues.js';
import { parseLayer } from './load.js';
import { API_VERSION, layerSchema, type Profile } from './schema.js';

/** One problem of a profile text: where (key path), what, and the 1-based line it points at. */
export interface ProfileIssue {
  path: string;
  message: string;
  line: number | null;
}

export interface TextValidation {
  valid: boolean;
  issues: ProfileIssue[];
  /** The expanded profile, once the text parses and matches the schema (host problems may remain). */
  profile: Profile | null;
}

type Doc = ReturnType<typeof parseDocument>;

/** 1-based line of a node, or null. */
function lineOf(node: { range?: [number, number, number] | null } | null | undefined, lc: LineCounter): number | null {
  const at = node?.range?.[0];
  return at === undefined ? null : lc.linePos(at).line;
}

/** The node at a key path, or the deepest existing ancestor (a missing key points at its parent). */
function nodeAt(doc: Doc, keys: readonly PropertyKey[]): Node | null {
  for (let n = keys.length; n >= 0; n--) {
    const node = doc.getIn(keys.slice(0, n) as unknown[], true) as Node | undefined;
    if (node && typeof node === 'object' && 'range' in node) return node;
  }
  return doc.contents as Node | null;
}

/** Line of the key `name` inside the map at keys (for "unknown key" issues). */
function keyLine(doc: Doc, keys: readonly PropertyKey[], name: string, lc: LineCounter): number | null {
  const parent = keys.length ? doc.getIn(keys as unknown[], true) : doc.contents;
  if (isMap(parent)) {
    for (const item of parent.items) {
      if (isPair(item) && isScalar(item.key) && item.key.value === name) return lineOf(item.key, lc);
    }
  }
  return lineOf(nodeAt(doc, keys), lc);
}

/** The value at a key path of parsed YAML, or undefined. */
function valueAt(raw: unknown, keys: readonly PropertyKey[]): unknown {
  let v: unknown = raw;
  for (const k of keys) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[k];
  }
  return v;
}

/** Parses a "key.path: problem" line from an engine error back into an issue. */
function issueFromLine(line: string, doc: Doc, lc: LineCounter): ProfileIssue {
  const m = /^([A-Za-z0-9_.[\]]+): (.*)$/.exec(line.trim());
  if (!m) return { path: '(profile)', message: line.trim(), line: null };
  const keys = m[1]!.split(/\.|\[(\d+)\]/).filter((k) => k !== undefined && k !== '').map((k) => (/^\d+$/.test(k) ? Number(k) : k));
  return { path: m[1]!, message: m[2]!, line: lineOf(nodeAt(doc, keys), lc) };
}

/**
 * Validates text as a profile saved in baseDir (relative mount sources resolve against it). Host
 * problems (a missing folder) are issues too: such a profile would be refused at create.
 */
export function validateProfileText(text: string, baseDir: string, hostProblems: HostProblems): TextValidation {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: true, uniqueKeys: true, strict: true });
  if (doc.errors.length) {
    return {
      valid: false,
      issues: doc.errors.map((e) => ({ path: '(yaml)', message: (e.message.split('\n')[0] ?? e.message).replace(/ at line \d+, column \d+:?$/, ''), line: e.linePos?.[0]?.line ?? lc.linePos(e.pos[0]).line })),
      profile: null,
    };
  }
  const raw: unknown = doc.toJS({ maxAliasCount: 50 });
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    return { valid: false, issues: [{ path: '(top level)', message: `must be a mapping that starts with "apiVersion: ${API_VERSION}"`, line: 1 }], profile: null };
  }
  const parsed = layerSchema.safeParse(raw);
  if (!parsed.success) {
    const messages = formatIssues(parsed.error.issues);
    const issues = parsed.error.issues.map((i, n) => {
      const where = formatPath(i.path);
      const missing = i.path.length > 0 && i.code !== 'unrecognized_keys' && valueAt(raw, i.path) === undefined;
      const message = missing ? `is required (${i.message.replace(/^Invalid input: /, '')})` : (messages[n] ?? i.message).replace(`${where}: `, '');
      const line = i.code === 'unrecognized_keys' && i.keys[0] !== undefined ? keyLine(doc, i.path, i.keys[0], lc) : lineOf(nodeAt(doc, i.path), lc);
      return { path: i.code === 'unrecognized_keys' && !i.path.length ? '(top level)' : where, message, line };
    });
    return { valid: false, issues, profile: null };
  }
  const layer = parseLayer(text, 'editor', baseDir);
  const { profile } = expandLayers('preview', [{ origin: 'editor', layer }]);
  try {
    checkProfile(profile, hostProblems);
  } catch (err) {
    const lines = asSandtrayError(err).message.split('\n').slice(1);
    return { valid: false, issues: lines.map((l) => issueFromLine(l, doc, lc)), profile };
  }
  return { valid: true, issues: [], profile };
}

/** Folder a profile named in the editor is saved to. */
export function userProfilesDir(configDir: string): string {
  return path.join(configDir, 'profiles');
}
