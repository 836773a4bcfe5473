// `sandtray __complete INDEX WORD...`: the candidates for the last word, one per line, for the
// shell scripts of `sandtray completion` (cli/help.ts). Commands and flags come from the command
// table; sandbox and profile names from a directory listing (no record or profile is parsed); an
// app's name alone reads the sandbox's profile. A line `:file`, `:dir` or `:command` asks the shell
// to complete that itself.
import fs from 'node:fs';
import path from 'node:path';
import { sandtrayPaths } from '../api/base.js';
import { LIST_FORMATS, specOf, STATE_NAMES, type CommandSpec, type Completion } from './table.js';
import { visibleCommands } from './help.js';

const NAME_RE = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const PROFILE_EXT = '.sandtray';

function sandboxNames(): string[] {
  try {
    const dir = path.join(sandtrayPaths().data, 'sandboxes');
    return fs.readdirSync(dir).filter((n) => NAME_RE.test(n) && fs.existsSync(path.join(dir, n, 'sandbox.json'))).sort();
  } catch {
    return [];
  }
}

function profileNames(): string[] {
  const shipped = new URL('../../../resources/profiles/', import.meta.url).pathname;
  const names = new Set<string>();
  let config: string[] = [];
  try {
    config = [path.join(sandtrayPaths().config, 'profiles')];
  } catch {
    // no home to find it in
  }
  for (const dir of [shipped, ...config]) {
    try {
      for (const f of fs.readdirSync(dir)) if (f.endsWith(PROFILE_EXT) && NAME_RE.test(f.slice(0, -PROFILE_EXT.length))) names.add(f.slice(0, -PROFILE_EXT.length));
    } catch {
      // no such folder
    }
  }
  return [...names].sort();
}

async function appNames(sandbox: string | undefined): Promise<string[]> {
  if (!sandbox) return [];
  try {
    const { readRecord } = await import('../api/inspect.js');
    const { expandRecord } = await import('../api/profiles.js');
    return expandRecord(readRecord(sandbox)).profile.apps.map((a) => a.name);
  } catch {
    return [];
  }
}

async function candidates(kind: Completion | undefined, positionals: string[], cmd: string): Promise<string[]> {
  switch (kind) {
    case 'sandbox':
      return sandboxNames();
    case 'profile':
      return profileNames();
    case 'app':
      return appNames(positionals[0]);
    case 'state':
      return cmd === 'list' ? [...STATE_NAMES, 'BROKEN'] : [...STATE_NAMES];
    case 'format':
      return [...LIST_FORMATS];
    case 'shell':
      return ['bash', 'zsh', 'fish'];
    case 'file':
      return [':file'];
    case 'dir':
      return [':dir'];
    case 'command':
      return cmd === 'help' ? visibleCommands().map(([n]) => n) : [':command'];
    default:
      return [];
  }
}

/** What the positional at index i (sub-command first, when there are some) completes to. */
function positionalKind(cmd: string, spec: CommandSpec, positionals: string[]): Completion | 'subcommand' | undefined {
  const i = positionals.length;
  if (spec.subcommands) {
    if (i === 0) return 'subcommand';
    const sub = `${cmd} ${positionals[0]}`;
    const j = i - 1;
    if (sub === 'profile show') return j === 0 ? 'profile' : 'none';
    if (sub === 'profile validate' || sub === 'vpn import') return 'file';
    if (sub === 'vpn status' || sub === 'vpn verify' || sub === 'idmap release') return j === 0 ? 'sandbox' : 'none';
    if (sub === 'secret set' || sub === 'secret delete') return j === 0 ? 'sandbox' : 'none';
    if (sub === 'file push' || sub === 'file pull') return j === 0 ? 'sandbox' : 'file';
    return 'none';
  }
  if (!spec.args?.length) return undefined;
  return spec.args[Math.min(i, spec.args.length - 1)];
}

/** The candidates for the last of words (the words after `sandtray`), filtered by what it starts with. */
export async function completeWords(words: string[]): Promise<string[]> {
  const cur = words.length ? words[words.length - 1]! : '';
  const before = words.slice(0, -1);
  const keep = (list: string[]): string[] => list.filter((c) => c.startsWith(':') || c.startsWith(cur));
  if (!before.length) return keep(cur.startsWith('-') ? ['--help', '--version'] : visibleCommands().map(([n]) => n));
  const cmd = before[0]!;
  const spec = specOf(cmd);
  if (!spec || spec.hidden) return [];
  const options = Object.entries(spec.options);
  const byFlag = (a: string) => options.find(([n, o]) => a === `--${n}` || (o.short !== undefined && a === `-${o.short}`));
  const positionals: string[] = [];
  let afterDashes = -1;
  for (let i = 1; i < before.length; i++) {
    const a = before[i]!;
    if (afterDashes >= 0) {
      afterDashes++;
      continue;
    }
    if (a === '--') {
      afterDashes = 0;
      continue;
    }
    if (a.startsWith('-') && a !== '-') {
      const o = byFlag(a);
      if (o && o[1].type === 'string') i++;
      continue;
    }
    positionals.push(a);
  }
  // Past `--`: the command, then its arguments (files).
  if (afterDashes >= 0) return keep(afterDashes === 0 ? [':command'] : [':file']);
  // The value of an option.
  const last = before[before.length - 1]!;
  const flag = byFlag(last);
  if (flag && flag[1].type === 'string' && before.length > 1) return keep(await candidates(flag[1].complete, positionals, cmd));
  if (cur.startsWith('-')) return keep([...options.map(([n]) => `--${n}`), '--help']);
  const kind = positionalKind(cmd, spec, positionals);
  if (kind === 'subcommand') return keep([...spec.subcommands!]);
  return keep(await candidates(kind, positionals, cmd));
}

/** `sandtray __complete INDEX WORD...`: INDEX is the number of words (the last is being completed). */
export async function completeCommand(args: string[]): Promise<number> {
  const [index, ...words] = args;
  const n = Number(index);
  const upTo = Number.isInteger(n) && n >= 1 ? words.slice(0, n) : words;
  while (upTo.length < (Number.isInteger(n) && n >= 1 ? n : 0)) upTo.push('');
  const out = await completeWords(upTo);
  if (out.length) process.stdout.write(`${out.join('\n')}\n`);
  return 0;
}
