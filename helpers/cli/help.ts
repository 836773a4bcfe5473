// Help, suggestions, the man page and the shell completion scripts, all made from the command
// table (cli/table.ts). Loads no engine code: `--help` and `completion` are as quick as Node.
import fs from 'node:fs';
import { SandtrayError } from '../api/base.js';
import { EXIT_CODES, specOf, TABLE, type CommandSpec, type OptionSpec } from './table.js';

const USAGE_ERRORS = new WeakSet<object>();

/** An error of wrong usage (unknown option, missing argument...): `sandtray` exits 2 for it. */
export function usageError(message: string, hint?: string): SandtrayError {
  const e = new SandtrayError('INVALID_ARGUMENT', message, hint);
  USAGE_ERRORS.add(e);
  return e;
}

/** util.parseArgs's error as a usage error, in a line: `unknown option --jsn`. main.ts adds the "did you mean". */
export function parseError(err: unknown): SandtrayError {
  const e = err as { code?: string; message?: string };
  const m = /^Unknown option '([^']+)'/.exec(e.message ?? '');
  if (e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && m) return usageError(`unknown option ${m[1]}`);
  const pos = /^Unexpected argument '([^']+)'/.exec(e.message ?? '');
  if (e.code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL' && pos) return usageError(`unexpected argument "${pos[1]}"`);
  return usageError((e.message ?? String(err)).replace(/\.$/, ''));
}

/** Whether err is a usage error (exit code 2). */
export function isUsageError(err: unknown): boolean {
  return typeof err === 'object' && err !== null && USAGE_ERRORS.has(err);
}

/** The visible commands, in table order. */
export function visibleCommands(): [string, CommandSpec][] {
  return Object.entries(TABLE as Record<string, CommandSpec>).filter(([, c]) => !c.hidden);
}

/** Edit distance with transpositions (optimal string alignment), for "did you mean": `lsit` is 1 from `list`. */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}

/** The closest of candidates to word, when close enough to be a slip (a third of its length, at least 1; or a prefix). */
export function closest(word: string, candidates: readonly string[]): string | null {
  let best: string | null = null;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = editDistance(word, c);
    if (d < bestD) [best, bestD] = [c, d];
  }
  if (best !== null && bestD <= Math.max(1, Math.floor(word.length / 3))) return best;
  const prefixed = candidates.filter((c) => word.length >= 2 && c.startsWith(word));
  return prefixed.length === 1 ? prefixed[0]! : null;
}

/** Text folded at width columns, between words. */
export function wrap(text: string, width: number): string {
  const lines: string[] = [];
  let line = '';
  for (const w of text.split(/\s+/)) {
    if (line && line.length + 1 + w.length > width) {
      lines.push(line);
      line = w;
    } else line = line ? `${line} ${w}` : w;
  }
  return [...lines, line].join('\n');
}

function optionLabel(name: string, o: OptionSpec): string {
  return `${o.short ? `-${o.short}, ` : '    '}--${name}${o.arg ? ` ${o.arg}` : ''}`;
}

const HELP_OPTION: OptionSpec = { type: 'boolean', short: 'h', description: 'show this help' };

/** `sandtray COMMAND --help`. */
export function commandHelp(name: string): string {
  const c = specOf(name);
  if (!c) throw usageError(`unknown command "${name}"`, suggestCommand(name));
  const opts: [string, OptionSpec][] = [...Object.entries(c.options), ['help', HELP_OPTION]];
  const width = Math.max(...opts.map(([n, o]) => optionLabel(n, o).length));
  return [
    `Usage: ${c.usage.map((u, i) => `${i ? '       ' : ''}sandtray ${u}`).join('\n')}`,
    '',
    wrap(`${c.summary[0]!.toUpperCase()}${c.summary.slice(1)}.${c.description ? ` ${c.description}` : ''}`, 78),
    '',
    'Options:',
    ...opts.map(([n, o]) => `  ${optionLabel(n, o).padEnd(width)}  ${o.description}`),
    ...(c.examples.length ? ['', 'Examples:', ...c.examples.map((e) => `  ${e}`)] : []),
  ].join('\n');
}

/** `sandtray help`, `sandtray --help`. */
export function mainHelp(): string {
  const cmds = visibleCommands();
  const width = Math.max(...cmds.map(([n]) => n.length));
  return [
    'sandtray: unprivileged sandboxes and per-VPN isolated shells',
    '',
    'Usage: sandtray COMMAND [OPTIONS] [ARGS]',
    '       sandtray COMMAND --help | sandtray help COMMAND',
    '       sandtray --version',
    '',
    'Commands:',
    ...cmds.map(([n, c]) => `  ${n.padEnd(width)}  ${c.summary}`),
    '',
    'Read commands take --json. Profiles are YAML files (*.sandtray); see `sandtray profile schema`.',
    '',
    'Exit codes:',
    ...EXIT_CODES.map(([n, t]) => `  ${n}  ${t}`),
    '  exec and run exit with the code of the command they ran.',
  ].join('\n');
}

/** A "did you mean" hint for an unknown command. */
export function suggestCommand(word: string): string {
  const near = closest(word, visibleCommands().map(([n]) => n));
  return near ? `Did you mean \`sandtray ${near}\`? Run \`sandtray help\` for the list of commands.` : 'Run `sandtray help` for the list of commands.';
}

/** A "did you mean" hint for an unknown option of a command. */
export function suggestOption(cmd: string, option: string): string {
  const c = specOf(cmd);
  const names = c ? [...Object.keys(c.options), 'help'] : ['help'];
  const bare = option.replace(/^-+/, '').replace(/=.*$/, '');
  const near = option.startsWith('--') ? closest(bare, names) : null;
  return `${near ? `Did you mean --${near}? ` : ''}See \`sandtray ${cmd} --help\`.`;
}

/**
 * Whether args ask for help (-h or --help) before any `--`, skipping the values of the command's
 * string options (`--set --help` sets a key; `exec NAME -- ls --help` runs ls).
 */
export function wantsHelp(cmd: string, args: readonly string[]): boolean {
  const c = specOf(cmd);
  const takesValue = (a: string): boolean => {
    if (!c) return false;
    if (a.startsWith('--')) return !a.includes('=') && c.options[a.slice(2)]?.type === 'string';
    return a.length === 2 && Object.values(c.options).some((o) => o.short === a[1] && o.type === 'string');
  };
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--') return false;
    if (a === '-h' || a === '--help') return true;
    if (takesValue(a)) i++;
  }
  return false;
}

let versionCache: string | undefined;
/** The package's version, from its package.json (three folders up from dist/helpers/cli and from the bundle). */
export function version(): string {
  if (versionCache === undefined) {
    try {
      versionCache = String((JSON.parse(fs.readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version?: string }).version ?? 'unknown');
    } catch {
      versionCache = 'unknown';
    }
  }
  return versionCache;
}

// roff: a line starting with . or ' is a request; backslashes and leading dots are escaped.
function roff(s: string): string {
  return s.replace(/\\/g, '\\e').replace(/-/g, '\\-').replace(/^([.'])/gm, '\\&$1').replace(/`([^`]+)`/g, '\\fB$1\\fR');
}

/** sandtray(1), in roff, from the table. */
export function manPage(): string {
  const out: string[] = [
    `.TH SANDTRAY 1 "" "sandtray ${roff(version())}" "User Commands"`,
    '.SH NAME',
    'sandtray \\- unprivileged sandboxes and per\\-VPN isolated shells',
    '.SH SYNOPSIS',
    '.B sandtray',
    '.I COMMAND',
    '[\\fIOPTIONS\\fR] [\\fIARGS\\fR]',
    '.br',
    '.B sandtray',
    '.I COMMAND',
    '.B \\-\\-help',
    '.br',
    '.B sandtray \\-\\-version',
    '.SH DESCRIPTION',
    'Sandtray makes sandboxes with Linux namespaces without root or setuid code of its own: app sandboxes with a private home and chosen folders, and VPN sandboxes whose only route out is their tunnel. Sandboxes are described by profiles, YAML files ending in .sandtray; \\fBsandtray profile schema\\fR prints their JSON Schema.',
    '.PP',
    'Errors say what to do next (a hint: line). With \\fB\\-\\-json\\fR they are objects with a code, message and hint.',
    '.SH COMMANDS',
  ];
  for (const [name, c] of visibleCommands()) {
    out.push(`.SS ${roff(name)}`, ...c.usage.map((u, i) => `${i ? '.br\n' : ''}.B sandtray ${roff(u)}`), '.PP');
    out.push(roff(`${c.summary[0]!.toUpperCase()}${c.summary.slice(1)}.${c.description ? ` ${c.description}` : ''}`));
    for (const [n, o] of Object.entries(c.options)) {
      out.push('.TP', `.B ${roff(`${o.short ? `-${o.short}, ` : ''}--${n}${o.arg ? ` ${o.arg}` : ''}`)}`, roff(o.description));
    }
    if (c.examples.length) out.push('.PP', 'Example:', '.RS', '.nf', ...c.examples.map(roff), '.fi', '.RE');
  }
  out.push('.SH "EXIT STATUS"');
  for (const [n, t] of EXIT_CODES) out.push('.TP', `.B ${n}`, roff(t));
  out.push('.PP', '\\fBexec\\fR and \\fBrun\\fR exit with the code of the command they ran.');
  out.push(
    '.SH FILES',
    '.TP', '.I ~/.config/sandtray/profiles', 'your profiles',
    '.TP', '.I ~/.local/share/sandtray', 'sandboxes, their homes, id map leases',
    '.TP', '.I ~/.local/state/sandtray/logs', 'lifecycle logs and what each sandbox printed',
    '.TP', '.I $XDG_RUNTIME_DIR/sandtray', 'runtime state',
    '.SH "SHELL COMPLETION"',
    'bash: \\fBsource <(sandtray completion bash)\\fR; zsh: \\fBsource <(sandtray completion zsh)\\fR; fish: \\fBsandtray completion fish > ~/.config/fish/completions/sandtray.fish\\fR.',
    '.SH "SEE ALSO"',
    '.BR bwrap (1),',
    '.BR pasta (1),',
    '.BR subuid (5)',
  );
  return `${out.join('\n')}\n`;
}

/** A completion script for bash, zsh or fish. Each asks `sandtray __complete` for the candidates (cli/complete.ts). */
export function completionScript(shell: string): string {
  if (shell === 'bash') {
    return `# bash completion for sandtray (generated by \`sandtray completion bash\`)
_sandtray() {
    local cur=\${COMP_WORDS[COMP_CWORD]} IFS=$'\\n' words line
    COMPREPLY=()
    words=$(sandtray __complete "$COMP_CWORD" "\${COMP_WORDS[@]:1:COMP_CWORD}" 2>/dev/null) || return 0
    for line in $words; do
        case $line in
            :file) COMPREPLY+=($(compgen -f -- "$cur")); compopt -o filenames 2>/dev/null ;;
            :dir) COMPREPLY+=($(compgen -d -- "$cur")); compopt -o filenames 2>/dev/null ;;
            :command) COMPREPLY+=($(compgen -c -- "$cur")) ;;
            *) COMPREPLY+=("$line") ;;
        esac
    done
}
complete -F _sandtray sandtray
`;
  }
  if (shell === 'zsh') {
    return `#compdef sandtray
# zsh completion for sandtray (generated by \`sandtray completion zsh\`)
_sandtray() {
    local -a found
    local line
    found=("\${(@f)$(sandtray __complete $((CURRENT - 1)) "\${(@)words[2,CURRENT]}" 2>/dev/null)}")
    for line in $found; do
        case $line in
            :file) _files ;;
            :dir) _files -/ ;;
            :command) _command_names ;;
            '') ;;
            *) compadd -- "$line" ;;
        esac
    done
}
if [[ $zsh_eval_context[-1] == loadautofunc ]]; then _sandtray "$@"; else compdef _sandtray sandtray; fi
`;
  }
  if (shell === 'fish') {
    return `# fish completion for sandtray (generated by \`sandtray completion fish\`)
function __sandtray_complete
    set -l words (commandline -opc) (commandline -ct)
    for line in (sandtray __complete (math (count $words) - 1) $words[2..-1] 2>/dev/null)
        switch $line
            case :file :dir
                __fish_complete_path (commandline -ct)
            case :command
                __fish_complete_command
            case '*'
                echo $line
        end
    end
end
complete -c sandtray -f -a '(__sandtray_complete)'
`;
  }
  throw usageError(`sandtray completion: unknown shell "${shell}"`, 'Use: sandtray completion bash|zsh|fish');
}
