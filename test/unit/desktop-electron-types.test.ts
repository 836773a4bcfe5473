// main/ is type-checked against the electron package's own types: the real Electron API, not `any`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { ROOT } from '../lib/sandtray.js';

const TSC = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');

function project(files: string[], dir: string): string {
  const cfg = path.join(dir, 'tsconfig.json');
  fs.writeFileSync(cfg, JSON.stringify({
    extends: path.join(ROOT, 'tsconfig.json'),
    compilerOptions: { noEmit: true, rootDir: '/', typeRoots: [path.join(ROOT, 'node_modules', '@types')], paths: { electron: [path.join(ROOT, 'node_modules', 'electron', 'electron.d.ts')] } },
    include: [],
    files,
  }));
  return cfg;
}

test('the electron package ships its type definitions', () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules', 'electron', 'package.json'), 'utf8')) as { types?: string; version: string };
  assert.equal(pkg.types, 'electron.d.ts');
  assert.match(fs.readFileSync(path.join(ROOT, 'node_modules', 'electron', 'electron.d.ts'), 'utf8'), /class BrowserWindow/);
});

test('the Electron entry and adapters type-check against those types', { timeout: 120_000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sandtray-types-'));
  try {
    const entry = ['main/main.ts', 'main/window/preload.ts'].map((f) => path.join(ROOT, f));
    const r = await execa(process.execPath, [TSC, '-p', project(entry, dir)], { reject: false });
    assert.equal(r.exitCode, 0, `${r.stdout}\n${r.stderr}`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('misusing the Electron API is a type error (the types are real, not any)', { timeout: 120_000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sandtray-types-'));
  try {
    const probe = path.join(dir, 'probe.ts');
    fs.writeFileSync(probe, "import { BrowserWindow } from 'electron';\nexport const w = new BrowserWindow({ webPreferences: { contextIsolation: 'yes' } });\nw.loadFile(42);\n");
    const r = await execa(process.execPath, [TSC, '-p', project([probe], dir)], { reject: false });
    assert.notEqual(r.exitCode, 0);
    assert.match(r.stdout, /probe\.ts\(2,\d+\): error TS2322/);
    assert.match(r.stdout, /probe\.ts\(3,\d+\): error TS2345/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
