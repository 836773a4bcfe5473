#!/usr/bin/env node
// Entry point of the `sandtray` command. It runs the bundled CLI (dist/helpers/bundle, built by
// `npm ci` / `npm run build` after tsc; see bin/load-cli.js), which runs only the code a command
// needs. It runs the modules tsc wrote instead (dist/helpers/cli/main.js, the same code) when there
// is no bundle, and, in a checkout, when tsc has rewritten dist/ since the bundle was made (`tsc`
// run alone): the command never runs code older than dist/. An installed copy (no helpers/ sources
// beside it, its files' times those of the copy) always takes the bundle.
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';

function mtime(url) {
  try {
    return fs.statSync(url).mtimeMs;
  } catch {
    return null;
  }
}

const bundle = new URL('../dist/helpers/bundle/', import.meta.url);
const compiled = new URL('../dist/helpers/cli/main.js', import.meta.url);
const bundled = mtime(new URL('sandtray.cjs', bundle));
const checkout = fs.existsSync(new URL('../helpers/cli/main.ts', import.meta.url));
let main;
if (bundled === null || (checkout && (mtime(compiled) ?? 0) > bundled)) ({ main } = await import(compiled.href));
else {
  const { loadCli, BUNDLE_FILE } = await import('./load-cli.js');
  ({ main } = loadCli(fileURLToPath(new URL(BUNDLE_FILE, bundle))));
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`sandtray: ${err && err.message ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
