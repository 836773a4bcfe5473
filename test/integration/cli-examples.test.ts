// The shipped examples bind the folder the CLI runs from, never the package's own folder: `dev`
// used by name from another folder mounts that folder writable at /work.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { ROOT, sandtrayEnv } from '../lib/sandtray.js';

const e = sandtrayEnv('cli-examples');
after(() => e.cleanup());

test('-p dev from another folder binds that folder at /work, not the package', { timeout: 120_000 }, async () => {
  const project = path.join(e.dir, 'project');
  fs.mkdirSync(project);
  fs.writeFileSync(path.join(project, 'marker'), 'project file\n');
  const info = JSON.parse(await e.ok(['create', 'dev1', '-p', 'dev'], { cwd: project }).then(() => e.ok(['info', 'dev1', '--json'], { cwd: e.dir }))) as { profile: { mounts: { source: string; target: string; readOnly: boolean }[] } };
  const work = info.profile.mounts.find((m) => m.target === '/work');
  assert.deepEqual(work && { source: work.source, readOnly: work.readOnly }, { source: project, readOnly: false });
  assert.ok(!info.profile.mounts.some((m) => m.source === ROOT || m.source.startsWith(`${ROOT}/`)), 'nothing of the package is mounted');
  // Fixed at create: started from yet another folder, it is still the project.
  await e.ok(['start', 'dev1'], { cwd: '/' });
  assert.equal((await e.ok(['exec', 'dev1', '--', 'cat', '/work/marker'])).trim(), 'project file');
  await e.ok(['exec', 'dev1', '--', 'sh', '-c', 'echo written > /work/out']);
  assert.equal(fs.readFileSync(path.join(project, 'out'), 'utf8'), 'written\n');
  assert.equal(fs.existsSync(path.join(ROOT, 'out')), false);
  await e.ok(['delete', '--force', 'dev1']);
});

test('a --set mount of /work wins over the example; a copy of the example is relative to its own folder', { timeout: 120_000 }, async () => {
  const other = path.join(e.dir, 'other');
  fs.mkdirSync(other);
  await e.ok(['create', 'dev2', '-p', 'dev', '--set', `mounts=[{source: ${other}, target: /work}]`], { cwd: e.dir });
  const info = JSON.parse(await e.ok(['info', 'dev2', '--json'])) as { profile: { mounts: { source: string; target: string }[] } };
  assert.deepEqual(info.profile.mounts.filter((m) => m.target === '/work').map((m) => m.source), [other]);
  const copyDir = path.join(e.dir, 'copy');
  fs.mkdirSync(copyDir);
  fs.copyFileSync(path.join(ROOT, 'resources', 'profiles', 'dev.sandtray'), path.join(copyDir, 'mine.sandtray'));
  await e.ok(['create', 'dev3', '-p', path.join(copyDir, 'mine.sandtray')], { cwd: other });
  const info3 = JSON.parse(await e.ok(['info', 'dev3', '--json'])) as { profile: { mounts: { source: string; target: string }[] } };
  assert.deepEqual(info3.profile.mounts.filter((m) => m.target === '/work').map((m) => m.source), [copyDir]);
});

test('from a copy installed as npm packs it, -p dev binds the current folder, not the installed package', { timeout: 180_000 }, async () => {
  const pack = path.join(e.dir, 'pack');
  fs.mkdirSync(pack);
  const packed = await execa('npm', ['pack', '--ignore-scripts', '--silent', '--pack-destination', pack], { cwd: ROOT, env: { ...process.env, npm_config_update_notifier: 'false' } });
  const tgz = path.join(pack, packed.stdout.trim().split('\n').at(-1)!);
  const installed = path.join(e.dir, 'lib', 'node_modules', 'sandtray');
  fs.mkdirSync(installed, { recursive: true });
  await execa('tar', ['-xzf', tgz, '-C', installed, '--strip-components=1']);
  // The dependencies as npm install -g would put them beside it (the checkout's, linked).
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(installed, 'node_modules'));
  assert.ok(!fs.existsSync(path.join(installed, 'helpers')), 'an installed copy has no sources');
  const project = path.join(e.dir, 'elsewhere');
  fs.mkdirSync(project);
  const cli = (args: string[]) => execa(process.execPath, [path.join(installed, 'bin', 'sandtray.js'), ...args], { cwd: project, env: e.env, extendEnv: false, stdin: 'ignore' });
  assert.match((await cli(['profile', 'list'])).stdout, new RegExp(`dev +${installed}/resources/profiles/dev\\.sandtray`));
  await cli(['create', 'dev4', '-p', 'dev']);
  const info = JSON.parse((await cli(['info', 'dev4', '--json'])).stdout) as { profile: { mounts: { source: string; target: string; readOnly: boolean }[] } };
  assert.deepEqual(info.profile.mounts.map((m) => [m.source, m.target, m.readOnly]), [[project, '/work', false]]);
  await cli(['delete', 'dev4']);
});
