#!/usr/bin/env node
// Entry point of the `sandtray` command. It runs the bundled CLI (dist/helpers/bundle, built by
// `npm ci` / `npm run build` after tsc; see bin/load-cli.js), which runs only the code a command
// needs. It runs the modules tsc wrote instead (dist/helpers/cli/main.js, the same code) when there
// is no bundle, and, in a checkout, when tsc has rewritten dist/ since the bundle was made (`tsc`
// run alone): the command never runs code older than dist/. An installed copy (no helpers/ sources
// beside it, its files' times those of the copy) always takes the bundle.
//
// CommonJS (bin/package.json), unlike the rest of the project: Node starts an ES module through
// its ES module loader, which a command would otherwise load and run only for this small file.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

function mtime(file) {
  try {
    return fs.statSync(file).mtimeMs;
  } catch {
    return null;
  }
}

const bundle = path.join(__dirname, '..', 'dist', 'helpers', 'bundle');
const compiled = path.join(__dirname, '..', 'dist', 'helpers', 'cli', 'main.js');
const bundled = mtime(path.join(bundle, 'sandtray.cjs'));
const checkout = fs.existsSync(path.join(__dirname, '..', 'helpers', 'cli', 'main.ts'));

function run(main) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err) => {
      process.stderr.write(`sandtray: ${err && err.message ? err.message : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}

if (bundled === null || (checkout && (mtime(compiled) ?? 0) > bundled)) {
  import(require('node:url').pathToFileURL(compiled).href).then(({ main }) => run(main), (err) => {
    process.stderr.write(`sandtray: ${err && err.message ? err.message : String(err)}\n`);
    process.exitCode = 1;
  });
} else {
  const { loadCli, BUNDLE_FILE } = require('./load-cli.js');
  run(loadCli(path.join(bundle, BUNDLE_FILE)).main);
}
