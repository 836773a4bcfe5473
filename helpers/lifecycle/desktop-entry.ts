// `sandtray export NAME APP` / `unexport NAME [APP]`: desktop entries (.desktop files in
// $XDG_DATA_HOME/applications, by default ~/.local/share/applications) that run one of a sandbox's
// apps through `sandtray open NAME APP`, so it appears in the desktop's application menu.
//
// Every value that comes from a profile is escaped as the Desktop Entry Specification says (`\n`,
// `\s`, `\\`...), so no title or icon can end its line and add a key of its own. The file is
// written to a new temporary file (created exclusively, never through a link) and renamed over the
// old one; a file of the same name that Sandtray did not write (no X-Sandtray-Sandbox key, a link,
// another sandbox's entry) is left alone and refused.
//
// Plain Node only: `delete` (lifecycle/delete.ts) removes a sandbox's entries through this module.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { SandtrayError } from '../core/errors.js';
import { sandtrayPaths, type Paths } from '../core/paths.js';

/** The key that marks an entry as Sandtray's, with the sandbox it belongs to. */
export const SANDBOX_KEY = 'X-Sandtray-Sandbox';
export const APP_KEY = 'X-Sandtray-App';
const GROUP = '[Desktop Entry]';

/** The app of a profile, as far as an entry needs it (profile/schema.ts AppEntry). */
export interface EntryApp {
  name: string;
  title: string | null;
  icon: string | null;
}

/** $XDG_DATA_HOME/applications (~/.local/share/applications): beside Sandtray's own data folder. */
export function applicationsDir(paths: Paths = sandtrayPaths()): string {
  return path.join(path.dirname(paths.data), 'applications');
}

/** The entry's file name: sandtray-NAME-APP.desktop (names are [a-z0-9-], so two pairs can share one; the keys inside tell them apart). */
export function entryFileName(sandbox: string, app: string): string {
  return `sandtray-${sandbox}-${app}.desktop`;
}

/**
 * A value of type string or localestring, escaped: `\\`, `\n`, `\t`, `\r`, and a space at either
 * end as `\s` (readers trim whitespace around the value). Other control characters have no escape
 * in the spec: they are refused.
 */
export function escapeValue(v: string): string {
  if (/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(v)) {
    throw new SandtrayError('INVALID_ARGUMENT', `${JSON.stringify(v)} holds a control character a desktop entry cannot hold`, 'Use text without control characters.');
  }
  const s = v.replace(/[\\\n\t\r]/g, (c) => ({ '\\': '\\\\', '\n': '\\n', '\t': '\\t', '\r': '\\r' })[c]!);
  return s.replace(/^ /, '\\s').replace(/ $/, '\\s');
}

/** The reverse of escapeValue, as readers of desktop entries do it. */
export function unescapeValue(v: string): string {
  return v.replace(/\\(.)/g, (all, c: string) => ({ s: ' ', n: '\n', t: '\t', r: '\r', '\\': '\\' } as Record<string, string>)[c] ?? all);
}

/** Characters that make an Exec argument need quotes (the spec's reserved characters). */
const RESERVED = /[\s"'\\><~|&;$*?#()`]/;

/**
 * One argument of an Exec line, before the value's own escaping (escapeValue): quoted in double
 * quotes when it holds a reserved character, with `"`, `` ` ``, `$` and `\` escaped by a backslash
 * inside them, and `%` doubled (a lone `%` starts a field code). The result is also what a POSIX
 * shell reads back as the same word.
 */
export function quoteExecArg(a: string): string {
  if (!a || /[\u0000-\u001f\u007f]/.test(a)) {
    throw new SandtrayError('INVALID_ARGUMENT', `${JSON.stringify(a)} cannot be an argument of a desktop entry's Exec line`, 'Run Sandtray from a path without control characters.');
  }
  const q = RESERVED.test(a) ? `"${a.replace(/["`$\\]/g, '\\$&')}"` : a;
  return q.replace(/%/g, '%%');
}

/** The Exec value for argv: quoted words, then escaped as a string value. */
export function execValue(argv: readonly string[]): string {
  return escapeValue(argv.map(quoteExecArg).join(' '));
}

/**
 * The words of an Exec value as a launcher reads them (the spec's rules: the string value
 * unescaped, then double-quoted arguments with `\"`, `` \` ``, `\$`, `\\` inside; `%%` is `%`).
 * Field codes are not expanded (Sandtray's entries have none).
 */
export function parseExec(value: string): string[] {
  const line = unescapeValue(value);
  const words: string[] = [];
  let cur: string | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === ' ') {
      if (cur !== null) words.push(cur);
      cur = null;
    } else if (c === '"') {
      cur ??= '';
      for (i++; i < line.length && line[i] !== '"'; i++) {
        if (line[i] === '\\' && '"`$\\'.includes(line[i + 1] ?? '')) i++;
        cur += line[i];
      }
      if (i >= line.length) throw new Error(`unterminated quote in Exec value ${JSON.stringify(value)}`);
    } else if (c === '%' && line[i + 1] === '%') {
      cur = (cur ?? '') + '%';
      i++;
    } else cur = (cur ?? '') + c;
  }
  if (cur !== null) words.push(cur);
  return words;
}

/** The keys of the [Desktop Entry] group, values unescaped (the first of a repeated key wins, as readers disagree). */
export function parseEntry(text: string): Map<string, string> {
  const keys = new Map<string, string>();
  let inMain = false;
  for (const line of text.split('\n')) {
    if (line.startsWith('[')) {
      inMain = line.trimEnd() === GROUP;
      continue;
    }
    if (!inMain || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq < 0) continue;
    const k = line.slice(0, eq).trim();
    if (!keys.has(k)) keys.set(k, unescapeValue(line.slice(eq + 1).trim()));
  }
  return keys;
}

/**
 * The command that runs this very CLI: `NODE /path/bin/sandtray.js` for a checkout or npm install
 * (both absolute, so the entry works whatever PATH the desktop gives it), Electron's binary in
 * Node mode for the packaged app, and `sandtray` from PATH when the script cannot be found.
 */
export function cliCommand(argv: readonly string[] = process.argv, execPath = process.execPath, electron = process.versions['electron']): string[] {
  const script = argv[1] ? path.resolve(argv[1]) : null;
  if (!script || !fs.statSync(script, { throwIfNoEntry: false })?.isFile()) return ['sandtray'];
  return electron ? ['/usr/bin/env', 'ELECTRON_RUN_AS_NODE=1', execPath, script] : [execPath, script];
}

/** The text of the entry that runs `open SANDBOX APP` with cli. */
export function entryText(sandbox: string, app: EntryApp, cli: readonly string[]): string {
  const title = app.title ?? app.name;
  const lines = [
    GROUP,
    'Type=Application',
    'Version=1.4',
    `Name=${escapeValue(`${title} (${sandbox})`)}`,
    `Comment=${escapeValue(`${title} in the Sandtray sandbox ${sandbox}`)}`,
    `Exec=${execValue([...cli, 'open', sandbox, app.name])}`,
    ...(app.icon ? [`Icon=${escapeValue(app.icon)}`] : []),
    'Terminal=false',
    'Categories=Utility;',
    // The window's class (X11) or app id (Wayland) is the program's own: the app's name is the
    // best guess at it (see README, "Desktop entries").
    `StartupWMClass=${escapeValue(app.name)}`,
    `${SANDBOX_KEY}=${escapeValue(sandbox)}`,
    `${APP_KEY}=${escapeValue(app.name)}`,
  ];
  return `${lines.join('\n')}\n`;
}

type Found = { kind: 'none' } | { kind: 'ours'; sandbox: string; app: string } | { kind: 'foreign'; why: string };

/** What is at file: nothing, an entry Sandtray wrote (for which sandbox and app), or something else. Never follows a link. */
function whatIsAt(file: string): Found {
  const st = fs.lstatSync(file, { throwIfNoEntry: false });
  if (!st) return { kind: 'none' };
  if (st.isSymbolicLink()) return { kind: 'foreign', why: 'it is a symbolic link' };
  if (!st.isFile()) return { kind: 'foreign', why: 'it is not a regular file' };
  let text: string;
  try {
    const fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK);
    try {
      text = fs.readFileSync(fd, 'utf8');
    } finally {
      fs.closeSync(fd);
    }
  } catch (err) {
    return { kind: 'foreign', why: `it cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})` };
  }
  const keys = parseEntry(text);
  const sandbox = keys.get(SANDBOX_KEY);
  if (sandbox === undefined) return { kind: 'foreign', why: `it has no ${SANDBOX_KEY} key, so Sandtray did not write it` };
  return { kind: 'ours', sandbox, app: keys.get(APP_KEY) ?? '' };
}

function refuse(file: string, why: string): SandtrayError {
  return new SandtrayError('ALREADY_EXISTS', `${file} exists and is not this app's entry: ${why}. It was left alone`, 'Move or remove that file yourself if you want Sandtray\'s entry there.');
}

/** Writes (or rewrites) the entry of one app; returns its path. */
export function exportEntry(sandbox: string, app: EntryApp, cli: readonly string[] = cliCommand(), dir = applicationsDir()): string {
  const text = entryText(sandbox, app, cli);
  fs.mkdirSync(dir, { recursive: true, mode: 0o755 });
  const file = path.join(dir, entryFileName(sandbox, app.name));
  const found = whatIsAt(file);
  if (found.kind === 'foreign') throw refuse(file, found.why);
  if (found.kind === 'ours' && (found.sandbox !== sandbox || found.app !== app.name)) throw refuse(file, `it is the entry of app "${found.app}" of sandbox "${found.sandbox}"`);
  // A new file ('wx' never opens what is there, link or not), then renamed over the name: readers
  // see the old entry or the new one, and a link in its place is replaced, never followed.
  const tmp = path.join(dir, `.${entryFileName(sandbox, app.name)}.${crypto.randomBytes(6).toString('hex')}.tmp`);
  try {
    fs.writeFileSync(tmp, text, { flag: 'wx', mode: 0o644 });
    fs.renameSync(tmp, file);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw err;
  }
  return file;
}

/**
 * Removes the entry of one app (app given) or every entry of the sandbox; returns the files
 * removed. Only entries Sandtray wrote for this sandbox go: with app given, anything else of that
 * name is refused; without it, anything else is skipped.
 */
export function unexportEntries(sandbox: string, app?: string, dir = applicationsDir()): string[] {
  if (app !== undefined) {
    const file = path.join(dir, entryFileName(sandbox, app));
    const found = whatIsAt(file);
    if (found.kind === 'none') return [];
    if (found.kind === 'foreign') throw refuse(file, found.why);
    if (found.sandbox !== sandbox || found.app !== app) throw refuse(file, `it is the entry of app "${found.app}" of sandbox "${found.sandbox}"`);
    fs.rmSync(file);
    return [file];
  }
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const n of names.sort()) {
    if (!n.startsWith(`sandtray-${sandbox}-`) || !n.endsWith('.desktop')) continue;
    const file = path.join(dir, n);
    const found = whatIsAt(file);
    if (found.kind !== 'ours' || found.sandbox !== sandbox || n !== entryFileName(sandbox, found.app)) continue;
    fs.rmSync(file);
    removed.push(file);
  }
  return removed;
}
