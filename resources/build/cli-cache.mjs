#!/usr/bin/env node
// Makes V8's code cache of the CLI bundle (bundle.mjs runs it, with the bundle's folder): loads the
// bundle as bin/sandtray.js does, runs commands against an empty Sandtray in a scratch folder (none
// starts a sandbox), and writes the compiled code of all that ran beside the bundle, in the file its last line names.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BUNDLE_FILE, cacheFileOf, loadCli } from '../../bin/load-cli.js';

const dir = path.resolve(process.argv[2] ?? 'dist/helpers/bundle');
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'sandtray-cli-cache-'));
try {
  for (const [k, sub] of [['XDG_CONFIG_HOME', 'config'], ['XDG_DATA_HOME', 'data'], ['XDG_STATE_HOME', 'state'], ['XDG_RUNTIME_DIR', 'run']]) {
    process.env[k] = path.join(scratch, sub);
    fs.mkdirSync(process.env[k], { mode: 0o700 });
  }
  const { main, script, source } = loadCli(path.join(dir, BUNDLE_FILE), { useCache: false });
  // Read commands, exec up to its lookup, and the lifecycle as far as it goes without namespaces.
  const commands = [['--help'], ['create', '--help'], ['__complete', '2', 'start', ''], ['paths'], ['list'], ['list', '--json'], ['info', 'x'], ['info', 'x', '--json'], ['exec', 'x', '--', 'true'], ['profile', 'list'], ['create', 'x'], ['list'], ['info', 'x'], ['plan', 'x'], ['delete', 'x']];
  for (const args of commands) await main(args);
  fs.writeFileSync(path.join(dir, cacheFileOf(source)), script.createCachedData());
  process.exitCode = 0;
} finally {
  fs.rmSync(scratch, { recursive: true, force: true });
}
