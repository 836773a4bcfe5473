// "Open in system terminal": the user's terminal emulator running `sandtray shell NAME`.
import { spawn } from 'node:child_process';
import { SandtrayError, which } from '../../helpers/api/index.js';

/** Terminal emulators we know, with the flag that precedes the command (null: the command follows directly). */
export const TERMINALS: readonly [string, string | null][] = [
  ['x-terminal-emulator', '-e'],
  ['gnome-terminal', '--'],
  ['ptyxis', '--'],
  ['kgx', '--'],
  ['konsole', '-e'],
  ['xfce4-terminal', '-x'],
  ['mate-terminal', '-x'],
  ['tilix', '-e'],
  ['kitty', null],
  ['alacritty', '-e'],
  ['foot', null],
  ['wezterm', 'start --'],
  ['xterm', '-e'],
];

/** argv that opens `command` in the first terminal emulator found; null when there is none. */
export function terminalArgv(command: readonly string[], find: (tool: string) => string | null = which): string[] | null {
  for (const [tool, flag] of TERMINALS) {
    const file = find(tool);
    if (file) return [file, ...(flag ? flag.split(' ') : []), ...command];
  }
  return null;
}

/** Starts the terminal detached from us (it outlives the app); returns the emulator's path. */
export function openInSystemTerminal(command: readonly string[], find?: (tool: string) => string | null): string {
  const argv = terminalArgv(command, find);
  if (!argv) throw new SandtrayError('MISSING_TOOL', 'No terminal emulator found', 'Install one (e.g. gnome-terminal, konsole or xterm), or use "Open shell" for a tab in Sandtray.');
  const child = spawn(argv[0]!, argv.slice(1), { detached: true, stdio: 'ignore' });
  child.on('error', () => undefined);
  child.unref();
  return argv[0]!;
}
