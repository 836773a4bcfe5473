// Help, suggestions and exit codes of the `sandtray` command line, run as users run it (the bundled
// bin/sandtray.js), all made from the one command table (helpers/cli/table.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { BIN, ROOT, sandtrayEnv } from '../lib/sandtray.js';
import { TABLE, STATE_NAMES } from '../../helpers/cli/table.js';
import { COMMANDS } from '../../helpers/cli/commands.js';
import { closest, editDistance, wantsHelp } from '../../helpers/cli/help.js';
import { STATES } from '../../helpers/runtime/state.js';

const visible = Object.entries(TABLE).filter(([, c]) => !('hidden' in c && c.hidden)).map(([n]) => n);

test('the command table and the commands name the same commands', () => {
  assert.deepEqual(Object.keys(COMMANDS).sort(), Object.keys(TABLE).filter((n) => n !== 'help').sort());
  assert.deepEqual([...STATE_NAMES], [...STATES], 'the states completion offers are the engine\'s');
});

test('every command answers --help, -h and `help COMMAND` alike: usage, options, an example; exit 0', async () => {
  const e = sandtrayEnv('help');
  try {
    for (const name of visible) {
      const long = await e.run([name, '--help']);
      assert.equal(long.exitCode, 0, `${name} --help: ${long.stderr}`);
      assert.match(long.stdout, new RegExp(`^Usage: sandtray ${name}\\b`), name);
      assert.match(long.stdout, /\nOptions:\n(.*\n)*\s+-h, --help\s+show this help/, name);
      assert.match(long.stdout, /\nExamples:\n {2}\S/, name);
      for (const [opt, o] of Object.entries(TABLE[name as keyof typeof TABLE].options)) {
        assert.match(long.stdout, new RegExp(`--${opt}\\b.*${(o as { description: string }).description.slice(0, 20).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`), `${name} --help lists --${opt}`);
      }
      assert.equal((await e.run([name, '-h'])).stdout, long.stdout, `${name} -h`);
      assert.equal((await e.run(['help', name])).stdout, long.stdout, `help ${name}`);
    }
    // After `--` it is the command's own flag; as an option's value it is a value.
    assert.ok(wantsHelp('exec', ['x', '--help']));
    assert.ok(!wantsHelp('exec', ['x', '--', 'ls', '--help']));
    assert.ok(!wantsHelp('create', ['x', '--set', '--help']));
    assert.ok(!wantsHelp('create', ['x', '-c', '-h']));

    const top = await e.run(['--help']);
    assert.equal(top.exitCode, 0);
    for (const name of visible) assert.match(top.stdout, new RegExp(`^ {2}${name} +\\S`, 'm'), `--help lists ${name}`);
    assert.match(top.stdout, /Exit codes:\n {2}0 +success\n {2}1 +failure.*\n {2}2 +wrong usage/);
    assert.equal((await e.run(['help'])).stdout, top.stdout);
    const bare = await e.run([]);
    assert.equal(bare.exitCode, 2, 'no command is wrong usage');
    assert.equal(bare.stderr.trim(), top.stdout.trim());

    const version = await e.run(['--version']);
    assert.equal(version.exitCode, 0);
    assert.equal(version.stdout, `sandtray ${(JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version}`);
  } finally {
    await e.cleanup();
  }
});

test('unknown commands and options: a suggestion, exit 2; failures exit 1', async () => {
  const e = sandtrayEnv('usage');
  try {
    const cmd = await e.run(['lsit']);
    assert.equal(cmd.exitCode, 2);
    assert.match(cmd.stderr, /unknown command "lsit"\n {2}hint: Did you mean `sandtray list`\?/);
    const far = await e.run(['frobnicate']);
    assert.equal(far.exitCode, 2);
    assert.doesNotMatch(far.stderr, /Did you mean/);
    assert.equal((await e.run(['help', 'lsit'])).exitCode, 2);

    const opt = await e.run(['list', '--jsn']);
    assert.equal(opt.exitCode, 2);
    assert.match(opt.stderr, /unknown option --jsn\n {2}hint: Did you mean --json\? See `sandtray list --help`\./);
    const json = await e.run(['info', 'x', '--bogus', '--json']);
    assert.equal(json.exitCode, 2);
    assert.equal((JSON.parse(json.stdout) as { error: { code: string } }).error.code, 'INVALID_ARGUMENT');

    for (const args of [['stop', '--timeout', 'x', 'a'], ['exec', 'a'], ['create'], ['wait', 'a', '--state', 'FROZEN'], ['pid', 'abc'], ['completion', 'tcsh'], ['list', '--format', 'xml'], ['profile', 'nope'], ['vpn', 'nope'], ['idmap', 'nope'], ['create', 'x', '-p']]) {
      const r = await e.run(args);
      assert.equal(r.exitCode, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, /^ {2}hint: \S/m, `a hint for ${args.join(' ')}`);
    }
    for (const args of [['info', 'ghost'], ['start', 'ghost'], ['exec', 'ghost', '--', 'true']]) {
      assert.equal((await e.run(args)).exitCode, 1, args.join(' '));
    }
  } finally {
    await e.cleanup();
  }
});

test('edit distance counts a swap of two letters as one slip', () => {
  assert.equal(editDistance('lsit', 'list'), 1);
  assert.equal(editDistance('', 'abc'), 3);
  assert.equal(editDistance('kitten', 'sitting'), 3);
  assert.equal(closest('stat', ['start', 'stop', 'list']), 'start');
  assert.equal(closest('xyz', ['start', 'stop']), null);
  assert.equal(closest('compl', ['completion', 'create']), 'completion');
});

test("README's command table and the command table agree", () => {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('\n## Commands\n'), readme.indexOf('\n## ', readme.indexOf('\n## Commands\n') + 5));
  const rows = section.split('\n').filter((l) => l.startsWith('| `'));
  const named = new Set(rows.flatMap((r) => [...r.split(' | ')[0]!.matchAll(/`([a-z_]+)/g)].map((m) => m[1]!)));
  for (const name of visible) assert.ok(named.has(name), `README's Commands table has ${name}`);
  for (const n of named) assert.ok(visible.includes(n), `README names "${n}", which the command table has`);
  // Every option of every command appears in its README row or in the README section.
  for (const name of visible) {
    for (const opt of Object.keys(TABLE[name as keyof typeof TABLE].options)) {
      if (opt === 'json') continue;
      assert.ok(section.includes(`--${opt}`), `README's Commands section mentions ${name} --${opt}`);
    }
  }
  assert.match(section, /exit codes?/i);
  // Each sub-command is in its command's README row and in its usage lines.
  for (const name of visible) {
    const spec = TABLE[name as keyof typeof TABLE] as { subcommands?: readonly string[]; usage: readonly string[] };
    const row = rows.filter((r) => new RegExp(`^\\| \`${name}\\b`).test(r)).join('\n');
    for (const sub of spec.subcommands ?? []) {
      assert.ok(row.includes(sub), `README's ${name} row names ${sub}`);
      assert.ok(spec.usage.some((u) => u.startsWith(`${name} ${sub}`)), `${name} --help shows ${sub}`);
    }
  }
});

test('file push/pull and network.ports are in both README and --help', async () => {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const e = sandtrayEnv('help-readme');
  try {
    const file = await e.ok(['file', '--help']);
    for (const s of ['file push NAME HOSTFILE PATH', 'file pull NAME PATH HOSTPATH']) {
      assert.ok(file.includes(s), `file --help: ${s}`);
      assert.ok(readme.includes(s), `README: ${s}`);
    }
    assert.match(await e.ok(['help', 'create']), /network\.ports=/);
    assert.match(readme, /ports: \[\{host: 8080, sandbox: 80\}/);
    assert.match(await e.ok(['--help']), /^ +file +copy a file into or out of a running sandbox/m);
  } finally {
    await e.cleanup();
  }
});

test('the bundle and the modules give the same help', async () => {
  const e = sandtrayEnv('help-bundle');
  try {
    const viaModules = `import(${JSON.stringify(path.join(ROOT, 'dist', 'helpers', 'cli', 'main.js'))}).then((m) => m.main(process.argv.slice(1))).then((c) => { process.exitCode = c; })`;
    for (const args of [['exec', '--help'], ['lsit'], ['man'], ['completion', 'bash']]) {
      const bundled = await execa(process.execPath, [BIN, ...args], { env: e.env, extendEnv: false, reject: false, stdin: 'ignore' });
      const modules = await execa(process.execPath, ['--input-type=module', '-e', viaModules, '--', ...args], { env: e.env, extendEnv: false, reject: false, stdin: 'ignore' });
      assert.equal(bundled.stdout, modules.stdout, args.join(' '));
      assert.equal(bundled.exitCode, modules.exitCode, args.join(' '));
    }
  } finally {
    await e.cleanup();
  }
});
