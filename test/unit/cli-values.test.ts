// Values people write in profiles, on `--set` and in `--env-file`: taken as meant, or refused with
// what is wrong and how to write it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import os from 'node:os';
import path from 'node:path';
import { parseOverrides } from '../../helpers/cli/overrides.js';
import { parseEnvFile } from '../../helpers/cli/commands.js';
import { parseLayer } from '../../helpers/profile/load.js';
import { SandtrayError } from '../../helpers/core/errors.js';

test('--set: numbers, booleans and nothing are text where the profile wants text', () => {
  assert.deepEqual(parseOverrides(['env.PORT=8080', 'env.DEBUG=true', 'env.X=', 'env.ZIP=007', 'hostname=007']), {
    env: { PORT: '8080', DEBUG: 'true', X: '', ZIP: '007' },
    hostname: '007',
  });
  // Where a number or a boolean is wanted, YAML's reading stays.
  assert.deepEqual(parseOverrides(['nesting=true', 'idmap.size=2001']), { nesting: true, idmap: { size: 2001 } });
});

test('--set: a type really wrong says what was expected and what came', () => {
  assert.throws(() => parseOverrides(['nesting=maybe']), (e: SandtrayError) => e.code === 'INVALID_PROFILE' && /nesting: expected a boolean, got a string/.test(e.message));
  assert.throws(() => parseOverrides(['hostname=[a]']), /hostname: expected a string, got an array/);
});

test('--set: mount sources, a home folder: ~ is the home, relative paths the current folder', () => {
  const o = parseOverrides(['mounts=[{source: ~/src, target: /src}, {source: data, target: /data}, {source: /abs/./x, target: /x}]', 'home=../h'], '/work/here');
  assert.deepEqual(o?.mounts?.map((m) => m.source), [path.join(os.homedir(), 'src'), '/work/here/data', '/abs/x']);
  assert.equal(o?.home, '/work/h');
  assert.equal(parseOverrides(['home=tmpfs'])?.home, 'tmpfs');
});

test('profiles: environment values are strings whatever YAML guesses; a number for a name says quote it', () => {
  const layer = parseLayer('apiVersion: sandtray/v1\nenv: {DEBUG: 1, VERBOSE: true, RATE: 0.5}\n', 'p');
  assert.deepEqual(layer.env, { DEBUG: '1', VERBOSE: 'true', RATE: '0.5' });
  assert.throws(() => parseLayer('apiVersion: sandtray/v1\nhostname: 7\n', 'p'), /hostname: expected a string, got a number; quote it/);
  assert.throws(() => parseLayer('apiVersion: sandtray/v1\nenv: {A: [1]}\n', 'p'), /env\.A: expected a string, got an array/);
  assert.throws(() => parseLayer('apiVersion: sandtray/v1\nmounts: [{target: /x}]\n', 'p'), /mounts\[0\]\.source: is required/);
});

test('--env-file: NAME=VALUE lines, comments and blank lines skipped, values as written', () => {
  assert.deepEqual(parseEnvFile('# a comment\n\nA=1\nexport B=two words\nC=\nD="quoted"\nE=x=y\r\n', 'f'), { A: '1', B: 'two words', C: '', D: '"quoted"', E: 'x=y' });
  assert.throws(() => parseEnvFile('A=1\nnot a line\n', 'f'), /--env-file f: line 2 is not NAME=VALUE/);
  assert.throws(() => parseEnvFile('1A=x\n', 'f'), /line 1/);
});
