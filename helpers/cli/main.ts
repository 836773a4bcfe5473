// The sandtray command line: dispatch, help, and the one place errors are printed and exit codes
// chosen: 0 success, 1 failure, 2 wrong usage (cli/table.ts EXIT_CODES).
import { COMMANDS } from './commands.js';
import { commandHelp, isUsageError, mainHelp, suggestCommand, suggestOption, usageError, version, wantsHelp } from './help.js';
import { printError, printLine } from './output.js';

/** Prints err, with a "did you mean" for an unknown option of cmd; its exit code. */
function fail(err: unknown, cmd: string | null, json: boolean): number {
  if (cmd && isUsageError(err)) {
    const m = /^unknown option (\S+)/.exec((err as Error).message);
    if (m) err = usageError((err as Error).message, suggestOption(cmd, m[1]!));
    else if (!(err as { hint?: string }).hint) err = usageError((err as Error).message, `See \`sandtray ${cmd} --help\`.`);
  }
  printError(err, json);
  return isUsageError(err) ? 2 : 1;
}

/** Runs the CLI with argv (without node and script) and returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (!cmd || cmd === '--help' || cmd === '-h') {
    // `sandtray` alone is wrong usage: the help on stderr, exit 2.
    if (cmd) printLine(mainHelp());
    else process.stderr.write(`${mainHelp()}\n`);
    return cmd ? 0 : 2;
  }
  if (cmd === '--version' || cmd === '-V') {
    printLine(`sandtray ${version()}`);
    return 0;
  }
  if (cmd === 'help') {
    if (!rest.length) {
      printLine(mainHelp());
      return 0;
    }
    try {
      printLine(commandHelp(rest[0] === '-h' || rest[0] === '--help' ? 'help' : rest[0]!));
      return 0;
    } catch (err) {
      return fail(err, null, false);
    }
  }
  const c = Object.hasOwn(COMMANDS, cmd) ? COMMANDS[cmd] : undefined;
  if (!c) return fail(usageError(`unknown command "${cmd}"`, suggestCommand(cmd)), null, false);
  if (cmd !== '__complete' && wantsHelp(cmd, rest)) {
    printLine(commandHelp(cmd));
    return 0;
  }
  try {
    return await c.run(rest);
  } catch (err) {
    return fail(err, cmd, rest.includes('--json'));
  }
}
