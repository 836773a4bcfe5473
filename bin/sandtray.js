#!/usr/bin/env node
// Entry point of the `sandtray` command; the code lives in dist/ (built by `npm ci` / `npm run build`).
import { main } from '../dist/helpers/cli/main.js';

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`sandtray: ${err && err.message ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
