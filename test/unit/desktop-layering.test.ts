// Layers you can see in the folder names: helpers/ never imports electron or the app; renderer/
// imports nothing of Node, the engine or Electron at run time (types from the contract only);
// main/ is the only place that imports electron.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT } from '../lib/sandtray.js';

interface Import {
  file: string;
  spec: string;
  typeOnly: boolean;
}

function tsFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...tsFiles(p));
    else if (/\.(ts|mts|cts|js|mjs)$/.test(e.name) && !e.name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

/** Every static import/export-from, dynamic import() and require() in a file. */
export function importsOf(file: string): Import[] {
  const src = fs.readFileSync(file, 'utf8').replace(/\/\*[^]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  const out: Import[] = [];
  for (const m of src.matchAll(/^\s*(import|export)\s+(type\s+)?([^'";]*?\s+from\s+)?['"]([^'"]+)['"]/gm)) {
    const clause = m[3] ?? '';
    // `import { type A, type B } from` is type-only too.
    const allTypes = /^\{\s*(type\s+\w+\s*(as\s+\w+\s*)?,?\s*)+\}\s+from\s+$/.test(clause.trim() + ' ');
    out.push({ file, spec: m[4]!, typeOnly: Boolean(m[2]) || allTypes });
  }
  for (const m of src.matchAll(/\b(?:import|require)\s*\(\s*['"]([^'"]+)['"]\s*\)/g)) out.push({ file, spec: m[1]!, typeOnly: /typeof\s+import\(\s*$/.test(src.slice(Math.max(0, m.index! - 20), m.index! + 7)) });
  return out;
}

const rel = (f: string): string => path.relative(ROOT, f);
const resolveRel = (i: Import): string => path.relative(ROOT, path.resolve(path.dirname(i.file), i.spec));

test('the scanner sees the imports it must see', () => {
  const tmp = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'sandtray-layering-')), 'probe.ts');
  fs.writeFileSync(tmp, `import fs from 'node:fs';\nimport type { A } from '../main/ipc/contract.js';\nimport { type B } from './b.js';\nconst x = await ${'im' + 'port'}('electron');\nconst y = ${'req' + 'uire'}('child_process');\nexport { z } from '../helpers/x.js';\n`);
  try {
    const got = importsOf(tmp).map((i) => `${i.spec}${i.typeOnly ? ' (type)' : ''}`).sort();
    assert.deepEqual(got, ['../helpers/x.js', '../main/ipc/contract.js (type)', './b.js (type)', 'child_process', 'electron', 'node:fs'].sort());
  } finally {
    fs.rmSync(path.dirname(tmp), { recursive: true });
  }
});

test('renderer/ loads nothing from Node, the engine, main or Electron at run time', () => {
  const bad: string[] = [];
  for (const f of tsFiles(path.join(ROOT, 'renderer'))) {
    for (const i of importsOf(f)) {
      if (i.spec.startsWith('./') || i.spec.startsWith('../')) {
        const target = resolveRel(i);
        if (target.startsWith('renderer/')) continue;
        if (i.typeOnly && target === 'main/ipc/contract.js') continue; // the contract's types, erased at build
        bad.push(`${rel(f)} imports ${i.spec}${i.typeOnly ? ' (types from outside the contract)' : ' at run time'}`);
      } else if (!i.spec.startsWith('@xterm/')) {
        bad.push(`${rel(f)} imports ${i.spec}`);
      }
    }
  }
  // The renderer's build tooling lives in resources/build, never next to the UI code.
  assert.deepEqual(bad, []);
});

test('main/ is the only importer of electron', () => {
  const bad: string[] = [];
  for (const top of ['helpers', 'renderer', 'test', 'bin']) {
    const dir = path.join(ROOT, top);
    if (!fs.existsSync(dir)) continue;
    for (const f of tsFiles(dir)) {
      for (const i of importsOf(f)) if ((i.spec === 'electron' || i.spec.startsWith('electron/')) && !i.typeOnly) bad.push(`${rel(f)} imports electron`);
    }
  }
  assert.deepEqual(bad, []);
});

test('helpers/ never imports electron, main/ or renderer/', () => {
  const bad: string[] = [];
  for (const f of tsFiles(path.join(ROOT, 'helpers'))) {
    for (const i of importsOf(f)) {
      if (i.spec === 'electron' || i.spec.startsWith('electron/')) bad.push(`${rel(f)} imports electron`);
      if (i.spec.startsWith('.') && /^(main|renderer)\//.test(resolveRel(i))) bad.push(`${rel(f)} imports ${resolveRel(i)}`);
    }
  }
  assert.deepEqual(bad, []);
});

test('Electron stays in its thin adapters: the services main shares with the tests do not load it', () => {
  const shared = ['main/app', 'main/engine', 'main/files', 'main/ipc/contract.ts', 'main/ipc/dispatch.ts', 'main/ipc/channels.ts', 'main/logs', 'main/profile', 'main/secrets', 'main/system', 'main/terminal', 'main/tray/model.ts', 'main/tray/icons.ts', 'main/window/options.ts'];
  const bad: string[] = [];
  for (const s of shared) {
    const p = path.join(ROOT, s);
    for (const f of fs.statSync(p).isDirectory() ? tsFiles(p) : [p]) {
      for (const i of importsOf(f)) if (i.spec === 'electron' && !i.typeOnly) bad.push(rel(f));
    }
  }
  assert.deepEqual(bad, []);
});

test('the built renderer bundle contains no Node or Electron loading', () => {
  const bundle = fs.readFileSync(path.join(ROOT, 'dist', 'renderer', 'renderer.bundle.js'), 'utf8');
  assert.ok(!/\brequire\(["'](electron|node:|fs|child_process)/.test(bundle));
  assert.ok(!/from\s*["']node:/.test(bundle));
});
