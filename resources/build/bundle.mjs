#!/usr/bin/env node
// Bundles after tsc (which has type-checked everything): the renderer into one classic script (a
// sandboxed file:// page loads no ES modules from disk), the preload into one CommonJS file (a
// sandboxed preload can require nothing but 'electron'), and the `sandtray` CLI into one script
// with V8's code cache for it (below).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import { build } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const out = path.join(root, 'dist', 'renderer');
fs.mkdirSync(out, { recursive: true });

await build({
  entryPoints: [path.join(root, 'renderer', 'app.ts')],
  outfile: path.join(out, 'renderer.bundle.js'),
  bundle: true,
  format: 'iife',
  platform: 'browser',
  target: 'chrome120',
  sourcemap: false,
  legalComments: 'none',
  logLevel: 'warning',
});

await build({
  entryPoints: [path.join(root, 'main', 'window', 'preload.ts')],
  outfile: path.join(root, 'dist', 'main', 'preload.cjs'),
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  external: ['electron'],
  logLevel: 'warning',
});

for (const f of ['index.html', 'styles.css']) fs.copyFileSync(path.join(root, 'renderer', f), path.join(out, f));
fs.copyFileSync(path.join(root, 'node_modules', '@xterm', 'xterm', 'css', 'xterm.css'), path.join(out, 'xterm.css'));

// The `sandtray` CLI, for bin/sandtray.js (through bin/load-cli.js). Unbundled, a cold command
// spent most of its time finding, reading and compiling the ~400 files of dist/ and node_modules
// it imports, through Node's module loader. Bundled, it is one script, and each engine module in
// it runs only when a command's `await import` reaches it (commands.ts): `help` runs none of the
// engine, `list` and `exec` neither execa nor the lifecycle. The tests and the desktop app import
// dist/ as tsc wrote it; only the command line runs this bundle.
//
// CommonJS, not an ES module: bin/load-cli.js compiles it with node:vm, which takes V8's code
// cache for it (made below), and Node 20 offers that for no ES module. The file sits at the depth
// of dist/helpers/*/: engine modules find the project folder (resources/, node_modules/, the VPN
// bring-up step in dist/helpers/vpn/) relative to their own file (import.meta.url, defined below).
const cliDir = path.join(root, 'dist', 'helpers', 'bundle');
const cliNext = `${cliDir}.next`;
fs.rmSync(cliNext, { recursive: true, force: true });
fs.mkdirSync(cliNext, { recursive: true });
const cli = await build({
  entryPoints: [path.join(root, 'helpers', 'cli', 'main.ts')],
  outfile: path.join(cliNext, 'sandtray.cjs'),
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  // Native modules, and nothing the CLI runs.
  external: ['@napi-rs/keyring', 'node-pty', 'electron'],
  // Strict throughout, as the ES modules it is made of (and the bundle, run as one function).
  banner: { js: '"use strict";' },
  define: { 'import.meta.url': '__sandtrayModuleUrl' },
  // A script run by node:vm has no import(): `await import('node:...')` becomes require().
  supported: { 'dynamic-import': false },
  inject: [path.join(root, 'resources', 'build', 'module-url.cjs')],
  // Less to read and compile on every command; error messages are the engine's own, not stacks.
  minify: true,
  legalComments: 'linked',
  metafile: true,
  logLevel: 'warning',
  plugins: [{
    // A bundled module runs, with all it imports, when a command first reaches it, though it may
    // use an import only in a function that command never calls. Some imports cost more than all
    // the rest of a quick command: node:crypto (some twenty modules of Node's, streams with them),
    // node:net (streams too), node:module (Node's ES module loader), yaml and execa (~60 files).
    // For the engine (helpers/), each of them here is a stand-in that loads the real module at its
    // first use: a function (or constructor) of the same name, and a default export that hands
    // out the real module's properties. `list` then loads none of them, `exec` neither yaml nor
    // execa, and `run` with network none no execa. A name the engine imports that is missing
    // below fails the build.
    name: 'lazy-modules',
    setup(b) {
      const LAZY = {
        'node:crypto': ['randomBytes', 'createHash'],
        'node:net': [],
        'node:module': ['createRequire'],
        'node:fs/promises': ['readFile'],
        'node:timers/promises': ['setTimeout'],
        'node:dgram': [],
        yaml: ['parseDocument', 'isMap', 'isPair', 'isScalar', 'LineCounter'],
        execa: ['execa'],
      };
      // The same for engine modules that the table of network drivers imports for every command
      // that plans a sandbox (run, start), though only a sandbox of their mode uses them: nat's
      // (pasta, port relays) and the VPN's (clients, agent, configuration files). Each stands for
      // the driver object it exports, which loads its module at its first use.
      const LAZY_DRIVERS = {
        '../network/nat.js': ['helpers/network/nat.ts', 'natDriver'],
        '../vpn/driver.js': ['helpers/vpn/driver.ts', 'vpnDriver'],
      };
      const driverShim = ([file, name]) => [
        'let m;',
        `const load = () => (m ??= require(${JSON.stringify(path.join(root, file))}).${name});`,
        `export const ${name} = new Proxy({}, {`,
        '  get: (_, k) => load()[k], has: (_, k) => k in load(), ownKeys: () => Reflect.ownKeys(load()),',
        '  getOwnPropertyDescriptor: (_, k) => ({ ...Reflect.getOwnPropertyDescriptor(load(), k), configurable: true }),',
        '});',
      ].join('\n');
      b.onResolve({ filter: /^\.\.\/(network\/nat|vpn\/driver)\.js$/ }, (args) => (/[\\/]helpers[\\/]lifecycle[\\/]network-drivers\.ts$/.test(args.importer) ? { path: args.path, namespace: 'lazy-driver' } : undefined));
      b.onLoad({ filter: /.*/, namespace: 'lazy-driver' }, (args) => ({ contents: driverShim(LAZY_DRIVERS[args.path]), loader: 'js', resolveDir: root }));
      const shim = (mod) => [
        'let m;',
        `const load = () => (m ??= require(${JSON.stringify(mod)}));`,
        // `function`, not an arrow: `new LineCounter()` must work; it returns the real instance.
        ...LAZY[mod].map((n) => `export function ${n}(...a) { return new.target ? new (load().${n})(...a) : load().${n}(...a); }`),
        'export default new Proxy({}, { get: (_, k) => load()[k], has: (_, k) => k in load() });',
      ].join('\n');
      const fromEngine = (args) => /[\\/]helpers[\\/].*\.ts$/.test(args.importer);
      const filter = new RegExp(`^(${Object.keys(LAZY).map((k) => k.replace(/[/.]/g, '\\$&')).join('|')})$`);
      b.onResolve({ filter }, (args) => (fromEngine(args) ? { path: args.path, namespace: 'lazy-module' } : undefined));
      b.onLoad({ filter: /.*/, namespace: 'lazy-module' }, (args) => ({ contents: shim(args.path), loader: 'js', resolveDir: root }));
    },
  }, {
    // The engine writes `import { z } from 'zod'`, which esbuild cannot trim (it keeps all of
    // zod, ~40 message locales included); `import * as z` means the same and lets it drop what
    // no command uses: 450 kB of zod becomes 100 kB. Only this bundle sees the rewrite.
    name: 'zod-namespace-import',
    setup(b) {
      b.onLoad({ filter: /[\\/]helpers[\\/].*\.ts$/ }, (args) => ({
        contents: fs.readFileSync(args.path, 'utf8').replace(/^import \{ z \} from 'zod';$/gm, "import * as z from 'zod';"),
        loader: 'ts',
      }));
    },
  }],
});
// The code cache's name, after a hash of the script, in its last line (bin/load-cli.js).
const cliFile = path.join(cliNext, 'sandtray.cjs');
const cliCode = fs.readFileSync(cliFile, 'utf8');
fs.writeFileSync(cliFile, `${cliCode.replace(/\n?$/, '\n')}//# sandtray-code-cache=cli-${crypto.createHash('sha256').update(cliCode).digest('hex').slice(0, 16)}.cache\n`);
// V8's code cache for the bundle, made by running a few commands against an empty Sandtray in a
// scratch folder (resources/build/cli-cache.mjs): it holds the compiled code of what those ran.
// Without it (or when V8 refuses it: another Node, other flags), the CLI compiles as it goes.
const trained = spawnSync(process.execPath, [path.join(root, 'resources', 'build', 'cli-cache.mjs'), cliNext], { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
if (trained.status !== 0) console.warn(`bundle.mjs: no code cache for the CLI (it works without one, compiling as it goes): ${trained.stderr}`);
fs.rmSync(`${cliDir}.old`, { recursive: true, force: true });
if (fs.existsSync(cliDir)) fs.renameSync(cliDir, `${cliDir}.old`);
fs.renameSync(cliNext, cliDir);
fs.rmSync(`${cliDir}.old`, { recursive: true, force: true });
// What the bundle holds. Outside dist/helpers: not shipped.
fs.writeFileSync(path.join(root, 'dist', 'cli-bundle.meta.json'), JSON.stringify(cli.metafile));
// The man page and the shell completions, made from the CLI's command table by the CLI just
// built, for the packages (resources/linux/after-install.sh installs them).
const generated = [
  [['man'], path.join(root, 'resources', 'man', 'sandtray.1')],
  [['completion', 'bash'], path.join(root, 'resources', 'completion', 'sandtray.bash')],
  [['completion', 'zsh'], path.join(root, 'resources', 'completion', '_sandtray')],
  [['completion', 'fish'], path.join(root, 'resources', 'completion', 'sandtray.fish')],
];
for (const [args, file] of generated) {
  const r = spawnSync(process.execPath, [path.join(root, 'bin', 'sandtray.js'), ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.status !== 0) throw new Error(`bundle.mjs: sandtray ${args.join(' ')} failed: ${r.stderr}`);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, r.stdout);
}
