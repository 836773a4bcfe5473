#!/usr/bin/env node
// Bundles the window's code after tsc: the renderer into one classic script (a sandboxed file://
// page loads no ES modules from disk) and the preload into one CommonJS file (a sandboxed preload
// can require nothing but 'electron'). tsc has already type-checked both.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
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
