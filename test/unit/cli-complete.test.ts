// Shell completion and the man page, made from the command table: run as a shell runs them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { BIN, sandtrayEnv } from '../lib/sandtray.js';

/** A folder with a `sandtray` on PATH that runs this checkout's CLI. */
function onPath(dir: string): string {
  const bin = path.join(dir, 'bin');
  fs.mkdirSync(bin, { recursive: true });
  fs.writeFileSync(path.join(bin, 'sandtray'), `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(BIN)} "$@"\n`, { mode: 0o755 });
  return bin;
}

test('bash: the script installs a completion that offers commands, flags, sandbox, profile and app names', async () => {
  const e = sandtrayEnv('complete');
  try {
    const prof = path.join(e.dir, 'office.sandtray');
    fs.writeFileSync(prof, 'apiVersion: sandtray/v1\napps: [{name: editor, command: [vi]}, {name: eyes, command: [xeyes]}]\n');
    await e.ok(['create', 'web-one', '-p', prof]);
    await e.ok(['create', 'web-two']);
    await e.ok(['create', 'db']);
    const env = { ...e.env, PATH: `${onPath(e.dir)}:${e.env['PATH']}` };
    const bash = async (line: string[]): Promise<string[]> => {
      const words = line.map((w) => `'${w}'`).join(' ');
      const script = `source <(sandtray completion bash)\ncomplete -p sandtray\nCOMP_WORDS=(sandtray ${words}); COMP_CWORD=${line.length}; _sandtray; printf '%s\\n' "\${COMPREPLY[@]}"`;
      const r = await execa('bash', ['--norc', '-c', script], { env, extendEnv: false, reject: false, cwd: e.dir });
      assert.equal(r.exitCode, 0, r.stderr);
      const [first, ...rest] = r.stdout.split('\n');
      assert.equal(first, 'complete -F _sandtray sandtray');
      return rest.filter(Boolean);
    };
    assert.deepEqual(await bash(['sta']), ['start']);
    assert.deepEqual(await bash(['start', 'web']), ['web-one', 'web-two']);
    assert.deepEqual(await bash(['stop', '--t']), ['--timeout']);
    assert.deepEqual(await bash(['create', 'x', '-p', 'de']), ['dev']);
    assert.deepEqual(await bash(['open', 'web-one', 'e']), ['editor', 'eyes']);
    assert.deepEqual(await bash(['list', '--state', 'RU']), ['RUNNING']);
    assert.deepEqual(await bash(['profile', 's']), ['show', 'schema']);
    assert.deepEqual(await bash(['help', 'comp']), ['completion']);
    assert.deepEqual(await bash(['completion', '']), ['bash', 'zsh', 'fish']);
    // Files where a file is wanted: the shell completes them.
    assert.deepEqual(await bash(['profile', 'validate', 'off']), ['office.sandtray']);
    assert.deepEqual(await bash(['__comp']), [], 'the hidden command is not offered');
    assert.deepEqual(await bash(['file', 'p']), ['push', 'pull']);
    assert.deepEqual(await bash(['file', 'pull', 'web']), ['web-one', 'web-two']);
    assert.deepEqual(await bash(['file', 'push', 'db', 'off']), ['office.sandtray']);
  } finally {
    await e.cleanup();
  }
});

test('zsh and fish scripts are generated; each shell present here parses its own', async () => {
  const e = sandtrayEnv('complete-shells');
  try {
    for (const [shell, check] of [['zsh', ['zsh', '-n']], ['fish', ['fish', '--no-execute']]] as const) {
      const r = await e.run(['completion', shell]);
      assert.equal(r.exitCode, 0);
      assert.match(r.stdout, /sandtray __complete/);
      const file = path.join(e.dir, `c.${shell}`);
      fs.writeFileSync(file, r.stdout);
      const ok = await execa(check[0], [...check.slice(1), file], { reject: false });
      if ((ok as { code?: string }).code === 'ENOENT') continue;
      assert.equal(ok.exitCode, 0, `${shell}: ${ok.stderr}`);
    }
    const bad = await e.run(['completion', 'tcsh']);
    assert.equal(bad.exitCode, 2);
  } finally {
    await e.cleanup();
  }
});

test('the man page renders with man -l and names every command and exit code', async () => {
  const e = sandtrayEnv('man');
  try {
    const page = await e.ok(['man']);
    const file = path.join(e.dir, 'sandtray.1');
    fs.writeFileSync(file, page);
    const r = await execa('man', ['-l', file], { env: { ...e.env, MANPAGER: 'cat', PAGER: 'cat', MANWIDTH: '100', MAN_KEEP_FORMATTING: '' }, extendEnv: false, reject: false });
    assert.equal(r.exitCode, 0, r.stderr);
    assert.equal(r.stderr, '', 'no warnings from groff');
    const text = r.stdout.replace(/.\x08/g, '');
    assert.match(text, /^SANDTRAY\(1\)/m);
    for (const name of ['create', 'exec', 'list', 'completion', 'vpn']) assert.match(text, new RegExp(`^ {3}${name}$`, 'm'), name);
    assert.match(text, /--env-file FILE/);
    assert.match(text, /EXIT STATUS/);
    assert.match(text, /wrong usage/);
  } finally {
    await e.cleanup();
  }
});
