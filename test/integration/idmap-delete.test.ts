// delete removes files owned by subordinate ids, from inside the sandbox's own id map, and
// nothing else: planted symlinks never lead it outside.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { sandtrayEnv } from '../lib/sandtray.js';

const e = sandtrayEnv('iddel');
after(() => e.cleanup());

const dataOf = (name: string): string => path.join(e.env['XDG_DATA_HOME']!, 'sandtray', 'sandboxes', name);

// Files of several ids, with modes that stop the user (and rm) on the host.
const MAKE_FILES = [
  'set -e',
  'mkdir -p /root/a/b/c /root/g',
  'echo x > /root/a/b/c/file',
  'chown -R 1000:1000 /root/a',
  'chmod 000 /root/a/b/c /root/a/b',
  'chmod 0500 /root/a',
  'echo y > /root/g/f; chown 33:4242 /root/g/f; chown 65534:65534 /root/g; chmod 2700 /root/g',
  'mkfifo /root/fifo; chown 7:7 /root/fifo',
  'touch /root/-rf; chown 1234 /root/-rf',
].join('\n');

async function hostOwners(dir: string): Promise<Set<number>> {
  const owners = new Set<number>();
  for (const name of fs.readdirSync(dir)) owners.add(fs.lstatSync(path.join(dir, name)).uid);
  return owners;
}

for (const mode of ['shared', 'isolated'] as const) {
  test(`delete removes files of subordinate ids (${mode} map)`, async () => {
    const name = `files-${mode}`;
    await e.ok(['launch', name, '--set', `idmap.mode=${mode}`, ...(mode === 'isolated' ? ['--set', 'idmap.size=70000'] : [])]);
    await e.ok(['exec', name, '--', '/bin/sh', '-c', MAKE_FILES]);
    const home = path.join(dataOf(name), 'home');
    // On the host these belong to subordinate ids the user cannot remove directly.
    const owners = await hostOwners(home);
    assert.ok([...owners].some((uid) => uid !== process.getuid!()), 'files belong to subordinate ids');
    assert.throws(() => fs.rmSync(path.join(home, 'a'), { recursive: true }), /EACCES|EPERM/);
    await e.ok(['stop', name]);
    await e.ok(['delete', name]);
    assert.ok(!fs.existsSync(dataOf(name)), 'nothing is left behind');
  });
}

test('planted symlinks do not make delete escape the sandbox', async () => {
  // A victim outside the sandbox, with modes delete must not change either.
  const victim = path.join(e.dir, 'victim');
  fs.mkdirSync(path.join(victim, 'sub'), { recursive: true });
  fs.writeFileSync(path.join(victim, 'precious'), 'keep me');
  fs.writeFileSync(path.join(victim, 'sub', 'inner'), 'keep me too');
  fs.chmodSync(path.join(victim, 'precious'), 0o400);
  fs.chmodSync(path.join(victim, 'sub'), 0o500);
  fs.chmodSync(victim, 0o700);
  const before = snapshot(victim);

  await e.ok(['launch', 'planter', '--set', 'idmap.mode=isolated', '--set', 'idmap.size=2000']);
  // The sandbox cannot see the victim, but a symlink's target is only a string.
  const plant = [
    'set -e',
    `ln -s ${victim} /root/to-dir`,
    `ln -s ${victim}/precious /root/to-file`,
    `ln -s ${victim}/sub /root/to-sub`,
    'ln -s / /root/to-root',
    'ln -s loop /root/loop',
    // Links inside directories that delete has to open up first (mode 000, owned by 1000).
    'mkdir -p /root/locked/deeper',
    `ln -s ${victim} /root/locked/to-dir`,
    `ln -s ${victim} /root/locked/deeper/to-dir`,
    'chown -R 1000:1000 /root/locked',
    'chmod 000 /root/locked/deeper /root/locked',
    // A name that looks like an option.
    `ln -s ${victim} /root/--no-preserve-root`,
  ].join('\n');
  await e.ok(['exec', 'planter', '--', '/bin/sh', '-c', plant]);
  await e.ok(['delete', '--force', 'planter']);
  assert.ok(!fs.existsSync(dataOf('planter')));
  assert.deepEqual(snapshot(victim), before, 'the victim is untouched: content, modes and owners');
  assert.deepEqual(JSON.parse(await e.ok(['idmap', '--json'])).leases, []);
  fs.chmodSync(path.join(victim, 'sub'), 0o700); // so the test's own cleanup can remove it
});

function snapshot(dir: string): Record<string, { mode: number; uid: number; text?: string }> {
  const out: Record<string, { mode: number; uid: number; text?: string }> = {};
  const walk = (p: string): void => {
    const st = fs.lstatSync(p);
    const rel = path.relative(dir, p) || '.';
    out[rel] = { mode: st.mode, uid: st.uid };
    if (st.isDirectory()) {
      // Read with the mode opened for a moment, then restored exactly.
      fs.chmodSync(p, st.mode | 0o700);
      for (const n of fs.readdirSync(p)) walk(path.join(p, n));
      fs.chmodSync(p, st.mode);
    } else {
      fs.chmodSync(p, st.mode | 0o400);
      out[rel]!.text = fs.readFileSync(p, 'utf8');
      fs.chmodSync(p, st.mode);
    }
  };
  walk(dir);
  return out;
}
