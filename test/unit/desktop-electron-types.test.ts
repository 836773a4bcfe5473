// main/ is type-checked against the electron package's own types: the real Electron API, not `any`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import ts from 'typescript';
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

// The build (`npm run build`, tsc -p tsconfig.json) is what type-checks main/; repeating that
// whole check here cost most of the unit run. What is checked here instead, cheaply: that the build
// does check main/, against the electron package's own types and nothing standing in for them.
test('the build type-checks the Electron entry and adapters against those types', () => {
  const cfg = ts.getParsedCommandLineOfConfigFile(path.join(ROOT, 'tsconfig.json'), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: (d) => assert.fail(String(d.messageText)) });
  assert.ok(cfg);
  const built = new Set(cfg.fileNames.map((f) => path.resolve(f)));
  const glue = [...fs.readdirSync(path.join(ROOT, 'main'), { recursive: true, encoding: 'utf8' })].filter((f) => f.endsWith('.ts')).map((f) => path.join(ROOT, 'main', f));
  assert.ok(glue.length > 10 && glue.includes(path.join(ROOT, 'main', 'main.ts')) && glue.includes(path.join(ROOT, 'main', 'window', 'preload.ts')));
  assert.deepEqual(glue.filter((f) => !built.has(f)), [], 'every file of main/ is in the build');
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  assert.match(pkg.scripts['build']!, /^tsc -p tsconfig\.json &&/, 'the build fails on a type error');
  assert.equal(cfg.options.strict, true);
  for (const from of ['main/main.ts', 'main/window/preload.ts']) {
    const r = ts.resolveModuleName('electron', path.join(ROOT, from), cfg.options, ts.sys);
    assert.equal(r.resolvedModule?.resolvedFileName, path.join(ROOT, 'node_modules', 'electron', 'electron.d.ts'), from);
  }
  // Nothing in the build declares a module 'electron' of its own (an `any` stand-in would win).
  const shims = cfg.fileNames.filter((f) => /declare\s+module\s+['"]electron['"]/.test(fs.readFileSync(f, 'utf8')));
  assert.deepEqual(shims, []);
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
