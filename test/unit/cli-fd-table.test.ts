// The command line grows its descriptor table on libuv's thread pool before a launch needs it
// (helpers/cli/fd-table.ts): afterwards the table is larger, and no descriptor is left open.
// Nothing here is timed (the wait it saves shows in `npm run bench`).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { execa } from 'execa';
import { ROOT } from '../lib/sandtray.js';

test('growFdTable leaves a grown table and no descriptor of its own open', { timeout: 30_000 }, async () => {
  const mod = path.join(ROOT, 'dist', 'helpers', 'cli', 'fd-table.js');
  // A fresh process: its table still has the kernel's first 64 slots (the positive control).
  const script = `import fs from 'node:fs';
import { growFdTable } from ${JSON.stringify(mod)};
const size = () => Number(/^FDSize:\\s*(\\d+)$/m.exec(fs.readFileSync('/proc/self/status', 'utf8'))[1]);
const open = () => fs.readdirSync('/proc/self/fd').length;
const before = { size: size(), open: open() };
await growFdTable();
console.log(JSON.stringify({ before, after: { size: size(), open: open() } }));`;
  // A forked child gets a table as large as its parent's highest open descriptor needs, and an
  // exec keeps it: a test runner holding descriptors above 63 would hand on a grown table. bash
  // closes every descriptor above 2 it was given (close-on-exec ones are gone already), then
  // forks (`; exit` keeps it from exec'ing node in its place) a node with the kernel's first table.
  const fresh = 'for f in /proc/self/fd/*; do f=${f##*/}; [ "$f" -gt 2 ] 2>/dev/null && eval "exec $f>&-"; done; "$0" --input-type=module -e "$1"; exit $?';
  const r = await execa('/bin/bash', ['--norc', '--noprofile', '-c', fresh, process.execPath, script], { stdin: 'ignore' });
  const { before, after } = JSON.parse(r.stdout) as { before: { size: number; open: number }; after: { size: number; open: number } };
  assert.equal(before.size, 64, 'a new process starts with 64 slots');
  assert.ok(after.size > 64, `grown: ${after.size} slots`);
  assert.equal(after.open, before.open, 'every placeholder closed');
});
