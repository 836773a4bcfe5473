// The risk summary on the command line: `profile validate`, `create`, `info` and `plan` name every
// risk of a profile that mounts ~/.ssh and a symbolic link to the home folder. HOME is a temporary
// folder, so nothing here looks at the real home.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { sandtrayEnv, writeProfile } from '../lib/sandtray.js';

const e = sandtrayEnv('risks');
after(() => e.cleanup());

const home = path.join(fs.realpathSync(e.dir), 'home');
fs.mkdirSync(path.join(home, '.ssh'), { recursive: true });
const link = path.join(fs.realpathSync(e.dir), 'photos');
fs.symlinkSync(home, link);
const env = { ...e.env, HOME: home };
const profile = writeProfile(e, 'leaky', `apiVersion: sandtray/v1\nmounts:\n  - {source: ~/.ssh, target: /keys}\n  - {source: ${link}, target: /photos}\n`);

test('profile validate prints "valid" and a warning line per risk; --json carries them', async () => {
  const r = await e.run(['profile', 'validate', profile], { env });
  assert.equal(r.exitCode, 0, r.stderr);
  const lines = r.stdout.trimEnd().split('\n');
  assert.equal(lines[0], `${profile}: valid`);
  assert.ok(lines.slice(1).length >= 3 && lines.slice(1).every((l) => l.startsWith('warning: ')), r.stdout);
  assert.match(r.stdout, /^warning: mounts\[0\]: ~\/\.ssh is mounted at \/keys, read-only: programs inside get your SSH keys/m);
  assert.match(r.stdout, new RegExp(`^warning: mounts\\[1\\]: ${link} \\(really ~\\) is mounted at /photos, read-only: programs inside get your whole home folder`, 'm'));
  assert.match(r.stdout, new RegExp(`^warning: mounts\\[1\\]: ${link} is a symbolic link to ~:`, 'm'));

  const j = await e.run(['profile', 'validate', '--json', profile], { env });
  assert.equal(j.exitCode, 0);
  const [res] = JSON.parse(j.stdout) as { valid: boolean; risks: { level: string; key: string; message: string; resolved?: string }[] }[];
  assert.equal(res!.valid, true);
  assert.deepEqual(res!.risks.map((x) => [x.key, x.level]), [['mounts[0]', 'high'], ['mounts[1]', 'high'], ['mounts[1]', 'medium']]);
  assert.equal(res!.risks[1]!.resolved, home);

  // Profile strings reach the terminal with their control characters made visible.
  const esc = writeProfile(e, 'esc', `apiVersion: sandtray/v1\nmounts:\n  - {source: "${link}/\\e]52;c;eA==\\a", target: /x, optional: true}\n`);
  const shown = await e.run(['profile', 'validate', esc], { env });
  assert.equal(shown.exitCode, 0, shown.stderr);
  assert.match(shown.stdout, /\^\[\]52;c;eA==\^G/);
  assert.doesNotMatch(shown.stdout, /\x1b/);

  // A profile with nothing risky validates with no warning at all.
  const plain = await e.run(['profile', 'validate', writeProfile(e, 'plain', 'apiVersion: sandtray/v1\n')], { env });
  assert.equal(plain.stdout.trim(), `${path.join(e.dir, 'plain.sandtray')}: valid`);
});

test('create warns on stderr; info and plan show the same list and where each mount really leads', async () => {
  const c = await e.run(['create', 'leaky', '--profile', profile, '--set', 'network.mode=host'], { env });
  assert.equal(c.exitCode, 0, c.stderr);
  assert.equal(c.stdout.trim(), 'Created leaky');
  const warned = c.stderr.trimEnd().split('\n');
  assert.ok(warned.every((l) => l.startsWith('warning: ')), c.stderr);
  assert.match(c.stderr, /^warning: network\.mode: host mode shares your network: .*programs inside can read and type into every window of your desktop$/m);
  assert.match(c.stderr, /^warning: mounts\[0\]: ~\/\.ssh /m);

  const info = await e.run(['info', 'leaky'], { env });
  assert.equal(info.exitCode, 0, info.stderr);
  const infoWarnings = info.stdout.split('\n').filter((l) => l.startsWith('warning: '));
  assert.deepEqual(infoWarnings, warned, 'info shows what create said');
  assert.match(info.stdout, /NOT isolated: shares your network and your desktop/);
  assert.match(info.stdout, new RegExp(`mount ${link} \\(really ${home}\\) -> /photos`));
  const json = JSON.parse(await e.ok(['info', 'leaky', '--json'], { env })) as { risks: { key: string }[] };
  assert.equal(json.risks.length, warned.length);

  const plan = await e.run(['plan', 'leaky'], { env });
  assert.equal(plan.exitCode, 0, plan.stderr);
  assert.match(plan.stdout, new RegExp(`ro-bind +${link} \\(really ${home}\\) -> /photos`));
  assert.deepEqual(plan.stdout.split('\n').filter((l) => l.startsWith('warning: ')), warned);
  const pj = JSON.parse(await e.ok(['plan', 'leaky', '--json'], { env })) as { mounts: { target: string; resolved?: string }[]; risks: unknown[] };
  assert.equal(pj.mounts.find((m) => m.target === '/photos')?.resolved, home);
  assert.equal(pj.risks.length, warned.length);
});
