// The CLI as bin/sandtray.js runs it: one bundled script with V8's code cache (resources/build/
// bundle.mjs, bin/load-cli.js), and, in it as in dist/, each command loading only the engine it
// uses. Nothing here is timed (`npm run bench` measures); these keep the heavy modules off the
// paths that must stay quick, and the bundle saying what the modules say.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { BIN, ROOT, sandtrayEnv } from '../lib/sandtray.js';

const BUNDLE_DIR = path.join(ROOT, 'dist', 'helpers', 'bundle');

/**
 * The project modules and packages a command loads, from the modules tsc wrote (the bundle runs an
 * engine module exactly when a command reaches it the same way): a resolve hook notes each one.
 */
async function loadedBy(args: string[], env: Record<string, string>): Promise<string[]> {
  const log = path.join(env['XDG_STATE_HOME']!, `loaded-${args[0]}.txt`);
  const hooks = `import fs from 'node:fs';
export async function resolve(spec, ctx, next) {
  const r = await next(spec, ctx);
  fs.appendFileSync(${JSON.stringify(log)}, r.url + '\\n');
  return r;
}`;
  const register = `import { register } from 'node:module'; register(${JSON.stringify(`data:text/javascript,${encodeURIComponent(hooks)}`)});`;
  const run = `const { main } = await import(${JSON.stringify(path.join(ROOT, 'dist', 'helpers', 'cli', 'main.js'))}); process.exitCode = await main(process.argv.slice(1));`;
  fs.mkdirSync(path.dirname(log), { recursive: true });
  await execa(process.execPath, ['--import', `data:text/javascript,${encodeURIComponent(register)}`, '--input-type=module', '-e', run, '--', ...args], { env, extendEnv: false, reject: false, stdin: 'ignore' });
  const root = `file://${ROOT}/`;
  return [...new Set(fs.readFileSync(log, 'utf8').split('\n').filter((u) => u.startsWith(root)).map((u) => u.slice(root.length)))];
}

const has = (files: string[], re: RegExp): string[] => files.filter((f) => re.test(f));

test('help loads no engine module and no dependency; list and info no execa and no lifecycle; exec not even yaml or the planner', async () => {
  const e = sandtrayEnv('loads');
  try {
    const help = await loadedBy(['--help'], e.env);
    assert.ok(has(help, /dist\/helpers\/cli\/commands\.js$/).length, 'help loads the command table');
    assert.deepEqual(has(help, /node_modules\//), []);
    assert.deepEqual(has(help, /helpers\/(lifecycle|runtime|inspect|attach|network|vpn)\/|helpers\/plan\/build\.js$/), []);

    for (const cmd of [['list'], ['info', 'nope']]) {
      const files = await loadedBy(cmd, e.env);
      assert.ok(has(files, /helpers\/inspect\/info\.js$/).length, `${cmd[0]} loads inspect/info`);
      assert.deepEqual(has(files, /node_modules\/(execa|cross-spawn)\//), [], cmd[0]);
      assert.deepEqual(has(files, /helpers\/(lifecycle|network|vpn)\//), [], cmd[0]);
    }

    const exec = await loadedBy(['exec', 'nope', '--', 'true'], e.env);
    assert.ok(has(exec, /helpers\/attach\/run-attached\.js$/).length, 'exec loads attach');
    assert.deepEqual(has(exec, /node_modules\/(execa|cross-spawn|yaml|zod)\//), []);
    assert.deepEqual(has(exec, /helpers\/(lifecycle|network|vpn)\/|helpers\/plan\/build\.js$|helpers\/profile\/schema\.js$/), []);
  } finally {
    await e.cleanup();
  }
});

test('the bundle is one script node:vm can run, with a code cache this node accepts', async () => {
  const source = fs.readFileSync(path.join(BUNDLE_DIR, 'sandtray.cjs'), 'utf8');
  // A script compiled by node:vm has no import() callback: every import must have become require().
  assert.doesNotMatch(source, /\bimport\(/);
  const { loadCli, cacheFileOf, BUNDLE_FILE } = (await import(path.join(ROOT, 'bin', 'load-cli.js'))) as {
    loadCli: (file: string) => { main: unknown; script: { cachedDataRejected?: boolean } };
    cacheFileOf: (source: string) => string | null;
    BUNDLE_FILE: string;
  };
  const cache = cacheFileOf(source);
  assert.ok(cache && fs.existsSync(path.join(BUNDLE_DIR, cache)), `the bundle names its code cache (${cache}), and it is there`);
  const { main, script } = loadCli(path.join(BUNDLE_DIR, BUNDLE_FILE));
  assert.equal(typeof main, 'function');
  assert.equal(script.cachedDataRejected, false, 'V8 took the code cache made at build time');
});

test('zod is trimmed to what the engine uses (no message locales)', () => {
  const meta = JSON.parse(fs.readFileSync(path.join(ROOT, 'dist', 'cli-bundle.meta.json'), 'utf8')) as { outputs: Record<string, { inputs: Record<string, { bytesInOutput: number }> }> };
  // What ended up in the script (esbuild also lists what it read and then left out).
  const inputs = Object.values(meta.outputs).flatMap((o) => Object.entries(o.inputs).filter(([, i]) => i.bytesInOutput > 0).map(([f]) => f));
  assert.ok(has(inputs, /node_modules\/zod\//).length);
  assert.deepEqual(has(inputs, /node_modules\/zod\/.*locales\/(?!(en|index)\.js$)/), []);
});

test('the default stop timeout in the help is the one stop uses', async () => {
  const { STOP_TIMEOUT_DEFAULT } = await import('../../helpers/cli/commands.js');
  const { DEFAULT_STOP_TIMEOUT } = await import('../../helpers/lifecycle/stop.js');
  assert.equal(STOP_TIMEOUT_DEFAULT, DEFAULT_STOP_TIMEOUT);
});

test('the default --wait-timeout in the help is the one the tunnel wait uses', async () => {
  const { TUNNEL_WAIT_DEFAULT } = await import('../../helpers/cli/commands.js');
  const { DEFAULT_TUNNEL_WAIT_SEC } = await import('../../helpers/lifecycle/wait-tunnel.js');
  const { TABLE } = await import('../../helpers/cli/table.js');
  assert.equal(TUNNEL_WAIT_DEFAULT, DEFAULT_TUNNEL_WAIT_SEC);
  assert.match(TABLE.start.options['wait-timeout'].description, new RegExp(`default ${DEFAULT_TUNNEL_WAIT_SEC}\\)`));
});

test('the bundle answers as the modules tsc wrote do', async () => {
  const e = sandtrayEnv('bundle');
  try {
    const viaModules = `import(${JSON.stringify(path.join(ROOT, 'dist', 'helpers', 'cli', 'main.js'))}).then((m) => m.main(process.argv.slice(1))).then((c) => { process.exitCode = c; })`;
    for (const args of [['--help'], ['paths'], ['list', '--json'], ['profile', 'list', '--json'], ['info', 'nope'], ['exec', 'nope', '--', 'true'], ['stop', '--timeout', 'x', 'a']]) {
      const bundled = await execa(process.execPath, [BIN, ...args], { env: e.env, extendEnv: false, reject: false, stdin: 'ignore' });
      const modules = await execa(process.execPath, ['--input-type=module', '-e', viaModules, '--', ...args], { env: e.env, extendEnv: false, reject: false, stdin: 'ignore' });
      assert.equal(bundled.stdout, modules.stdout, `stdout of ${args.join(' ')}`);
      assert.equal(bundled.stderr, modules.stderr, `stderr of ${args.join(' ')}`);
      assert.equal(bundled.exitCode, modules.exitCode, `exit code of ${args.join(' ')}`);
    }
  } finally {
    await e.cleanup();
  }
});

/** What a bundled module evaluates with it: the inputs its static imports reach, in the bundle's metafile. */
function bundledReach(from: RegExp): string[] {
  const meta = JSON.parse(fs.readFileSync(path.join(ROOT, 'dist', 'cli-bundle.meta.json'), 'utf8')) as { inputs: Record<string, { imports: { path: string; kind: string; external?: boolean }[] }> };
  const start = Object.keys(meta.inputs).find((k) => from.test(k));
  assert.ok(start, `${from} is in the bundle`);
  const seen = new Set([start]);
  for (const x of seen) for (const i of meta.inputs[x]!.imports) if (i.kind === 'import-statement' && !i.external && !seen.has(i.path)) seen.add(i.path);
  return [...seen];
}

test('in the bundle, exec evaluates no zod, yaml or execa, list no yaml, and run no execa, VPN or nat code (they load at first use)', () => {
  const exec = bundledReach(/helpers\/api\/attach\.ts$/);
  assert.ok(has(exec, /helpers\/attach\/run-attached\.ts$/).length);
  assert.deepEqual(has(exec, /node_modules\/(zod|yaml|execa)\/|helpers\/profile\/schema\.ts$/), []);
  const run = bundledReach(/helpers\/api\/run\.ts$/);
  assert.ok(has(run, /helpers\/lifecycle\/run-once\.ts$/).length && has(run, /helpers\/network\/none\.ts$/).length);
  assert.deepEqual(has(run, /node_modules\/execa\/|helpers\/vpn\/|helpers\/network\/(nat|pasta)\.ts$/), []);
  const list = bundledReach(/helpers\/api\/inspect\.ts$/);
  assert.ok(has(list, /helpers\/inspect\/info\.ts$/).length);
  assert.deepEqual(has(list, /node_modules\/(yaml|execa)\//), []);
});

