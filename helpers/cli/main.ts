// The sandtray command line: dispatch, help, and the one place errors are printed.
import { COMMANDS, pathsText } from './commands.js';
import { printError } from './output.js';

function help(): string {
  return [
    'sandtray: unprivileged sandboxes and per-VPN isolated shells',
    '',
    'Usage: sandtray COMMAND [ARGS]',
    '',
    ...Object.values(COMMANDS).map((c) => `  ${c.help}`),
    '  paths                                where Sandtray keeps its files',
    '',
    'Read commands take --json. Profiles are YAML files (*.sandtray); see `sandtray profile schema`.',
  ].join('\n');
}

/** Runs the CLI with argv (without node and script) and returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (!cmd || cmd === 'help' || cmd === '--help' || cmd === '-h') {
    console.log(help());
    return cmd ? 0 : 2;
  }
  if (cmd === 'paths') {
    console.log(pathsText());
    return 0;
  }
  const c = COMMANDS[cmd];
  if (!c) {
    process.stderr.write(`sandtray: unknown command "${cmd}"\n  hint: run \`sandtray help\` for the list of commands.\n`);
    return 2;
  }
  try {
    return await c.run(rest);
  } catch (err) {
    printError(err, rest.includes('--json'));
    return 1;
  }
}
