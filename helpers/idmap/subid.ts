// Reads a user's subordinate uid/gid ranges: getsubids when present (it follows nsswitch), else the files.
import path from 'node:path';
import { accessSync, constants, readFileSync } from 'node:fs';
import { hostEnv, spawnTool } from '../host/spawn.js';
import { SandtrayError } from '../core/errors.js';
import { normalize, type IdRange } from './rangeset.js';
import { hostSubIdAdvice, subIdAdviceFor } from './subid-advice.js';

export type SubIdKind = 'uid' | 'gid';

export interface SubIdUser {
  name: string;
  uid: number;
}

/** A line we refused to use, with its 1-based number in the file (or getsubids output). */
export interface SubIdProblem {
  line: number;
  text: string;
  reason: string;
}

export interface SubIdParse {
  ranges: IdRange[];
  problems: SubIdProblem[];
}

export interface SubIdResult extends SubIdParse {
  source: string;
}

// (uid_t)-1 is "no id" to the kernel, so the last usable id is 4294967294.
const ID_END = 0xffffffff;
const FIELDS = ['owner', 'start', 'count'] as const;

// shadow parses these numbers with strtoul(..., 0): a leading 0 means octal and 0x hex there, so
// we refuse both rather than guess which range the admin meant. Checked by hand, not by a schema:
// every start reads these files, and building and first running a zod schema cost more than the
// rest of the lookup.
const DECIMAL = /^(0|[1-9][0-9]{0,9})$/;
const NOT_DECIMAL = 'not a plain decimal number (shadow would read a leading 0 as octal)';

function parseEntry(fields: string[]): { owner: string; range: IdRange } | { reason: string } {
  if (fields.length !== 3) return { reason: `expected owner:start:count, found ${fields.length} field(s)` };
  const [owner, startText, countText] = fields as [string, string, string];
  if (!/^[^\s:]+$/.test(owner)) return { reason: `${FIELDS[0]}: empty owner or owner with spaces` };
  if (!DECIMAL.test(startText)) return { reason: `${FIELDS[1]}: ${NOT_DECIMAL}` };
  if (!DECIMAL.test(countText)) return { reason: `${FIELDS[2]}: ${NOT_DECIMAL}` };
  const start = Number(startText);
  const size = Number(countText);
  if (size < 1) return { reason: 'count must be at least 1' };
  if (start + size > ID_END) return { reason: 'range goes past the largest valid id 4294967294' };
  return { owner, range: { start, size } };
}

/**
 * Parses /etc/subuid or /etc/subgid text for one user, matching the owner by name or by uid as
 * shadow does. Malformed lines are reported whoever they belong to: we cannot tell whose a
 * broken line was, and shadow silently skips them, so the admin needs to hear about them.
 */
export function parseSubIdFile(text: string, user: SubIdUser): SubIdParse {
  const ranges: IdRange[] = [];
  const problems: SubIdProblem[] = [];
  const uidText = String(user.uid);
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '' || line.trimStart().startsWith('#')) return;
    const entry = parseEntry(line.split(':'));
    if ('reason' in entry) {
      problems.push({ line: i + 1, text: line, reason: entry.reason });
      return;
    }
    if (entry.owner === user.name || entry.owner === uidText) ranges.push(entry.range);
  });
  return { ranges: normalize(ranges), problems };
}

/** Parses `getsubids` output (`0: sandtest 100000 65536` per range). */
export function parseGetsubidsOutput(text: string): SubIdParse {
  const ranges: IdRange[] = [];
  const problems: SubIdProblem[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    const m = /^[0-9]+: (\S+) (\S+) (\S+)$/.exec(line);
    const entry = m ? parseEntry([m[1]!, m[2]!, m[3]!]) : { reason: 'expected "N: owner start count"' };
    if ('reason' in entry) problems.push({ line: i + 1, text: line, reason: entry.reason });
    else ranges.push(entry.range);
  });
  return { ranges: normalize(ranges), problems };
}

/**
 * Tests set this to a directory holding `subuid` and `subgid` files read instead of the system's
 * (malformed lines, shrunk or tiny ranges). It grants nothing: newuidmap still checks the real
 * /etc/subuid, so a range the user does not own fails at start. `doctor` and `idmap` name it.
 */
export const TEST_SUBID_ENV = 'SANDTRAY_TEST_SUBID_DIR';

/** The test directory of TEST_SUBID_ENV when set to an absolute path, else null. */
export function testSubIdDir(env: NodeJS.ProcessEnv = process.env): string | null {
  const dir = env[TEST_SUBID_ENV];
  return dir && path.isAbsolute(dir) ? dir : null;
}

/** A tool on the caller's PATH only, or null. */
function onPath(tool: string): string | null {
  for (const d of (process.env['PATH'] ?? '').split(':').filter((x) => path.isAbsolute(x))) {
    const p = path.join(d, tool);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      // not here
    }
  }
  return null;
}

/** Reads the user's subordinate ranges of one kind, normalized (sorted, merged). */
export async function readSubIds(
  kind: SubIdKind,
  user: SubIdUser,
  opts: { file?: string; useGetsubids?: boolean | 'auto' } = {},
): Promise<SubIdResult> {
  const testDir = opts.file === undefined ? testSubIdDir() : null;
  if (testDir) opts = { file: path.join(testDir, `sub${kind}`) };
  // getsubids has no `--`, so a name that looks like an option must not reach its argv.
  if (opts.file === undefined && opts.useGetsubids !== false && !user.name.startsWith('-') && (opts.useGetsubids === true || subidFromNss())) {
    const args = kind === 'gid' ? ['-g', user.name] : [user.name];
    // getsubids is looked up on the caller's PATH (none there: the file is read); it runs with
    // the host environment, and asks the system's NSS modules, which read their own configuration.
    const bin = onPath('getsubids');
    const res = bin ? await spawnTool(bin, args, { env: hostEnv(), reject: false, timeout: 10_000, stdin: 'ignore' }) : { exitCode: undefined, stdout: '' };
    if (res.exitCode === 0) return { ...parseGetsubidsOutput(res.stdout), source: `getsubids ${args.join(' ')}` };
    // getsubids prints "Error fetching ranges" and exits 1 both for "no ranges" and for a
    // lookup failure, so the best we can say is that it gave none.
    if (res.exitCode !== undefined) return { ranges: [], problems: [], source: `getsubids ${args.join(' ')}` };
    // No exit code: it could not be started (not installed); fall through to the file.
  }
  const file = opts.file ?? (kind === 'uid' ? '/etc/subuid' : '/etc/subgid');
  let text: string;
  try {
    // Read at once: an asynchronous read would start libuv's thread pool for two short files.
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { ranges: [], problems: [], source: file };
    throw new SandtrayError('IDMAP', `Cannot read ${file}`, 'Check that the file is readable by your user.', err);
  }
  return { ...parseSubIdFile(text, user), source: file };
}

/**
 * Whether nsswitch sends subordinate id lookups somewhere other than the files (`subid: sss`).
 * Only then is getsubids needed; with the files it reads the same lines we parse, and skipping
 * its two spawns keeps a warm start fast.
 */
export function subidFromNss(nsswitch = '/etc/nsswitch.conf'): boolean {
  let text = '';
  try {
    text = readFileSync(nsswitch, 'utf8');
  } catch {
    return false;
  }
  const m = /^\s*subid:\s*(\S+)/m.exec(text);
  return !!m && m[1] !== 'files';
}

/** Both kinds at once. */
export async function readUserSubIds(user: SubIdUser): Promise<{ uid: SubIdResult; gid: SubIdResult }> {
  const [uid, gid] = await Promise.all([readSubIds('uid', user), readSubIds('gid', user)]);
  return { uid, gid };
}

/**
 * Advice for the admin: a `usermod` line giving USER 65536 subordinate ids that no one holds yet
 * in /etc/subuid and /etc/subgid (or in the given taken ranges); see subid-advice.ts.
 */
export function subIdFixCommand(user: string, taken?: readonly IdRange[]): string {
  if (taken === undefined) return hostSubIdAdvice(user, testSubIdDir());
  return subIdAdviceFor(user, taken) ?? `no block of 65536 ids is free: give ${user} a range that no other user holds`;
}
