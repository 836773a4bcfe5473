import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseLayer, loadLayerFile } from '../../helpers/profile/load.js';
import { expandLayers } from '../../helpers/profile/expand.js';
import { profileJsonSchema } from '../../helpers/profile/schema.js';
import { checkProfileOnHost } from '../../helpers/lifecycle/host-checks.js';
import { SandtrayError } from '../../helpers/core/errors.js';
import { parseOverrides } from '../../helpers/cli/overrides.js';

function errorOf(fn: () => unknown): SandtrayError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof SandtrayError, `expected SandtrayError, got ${String(e)}`);
    return e;
  }
  assert.fail('expected an error');
}

test('a minimal profile parses', () => {
  const l = parseLayer('apiVersion: sandtray/v1\nhostname: box\n', 'inline');
  assert.equal(l.hostname, 'box');
});

test('apiVersion is required and checked', () => {
  assert.match(errorOf(() => parseLayer('hostname: box\n', 'x')).message, /apiVersion: /);
  assert.match(errorOf(() => parseLayer('apiVersion: sandtray/v2\n', 'x')).message, /apiVersion: .*sandtray\/v1/);
});

test('unknown keys are named, at the top level and nested', () => {
  const e = errorOf(() => parseLayer('apiVersion: sandtray/v1\nhostnme: x\nnetwork: {mode: none, foo: 1}\n', 'x'));
  assert.equal(e.code, 'INVALID_PROFILE');
  assert.match(e.message, /unknown key "hostnme"/);
  assert.match(e.message, /network: unknown key "foo"/);
  assert.ok(e.hint);
});

test('wrong types name the path with indexes', () => {
  const text = 'apiVersion: sandtray/v1\nmounts:\n  - {source: /a, target: /a}\n  - {source: /b, target: /b}\n  - {source: /c, target: relative}\n';
  const e = errorOf(() => parseLayer(text, 'x'));
  assert.match(e.message, /mounts\[2\]\.target: must be an absolute path/);
  assert.match(errorOf(() => parseLayer('apiVersion: sandtray/v1\ncommand: ls\n', 'x')).message, /command: /);
  assert.match(errorOf(() => parseLayer('apiVersion: sandtray/v1\nhostname: Bad_Name\n', 'x')).message, /hostname: must be 1-63 lowercase/);
  assert.match(errorOf(() => parseLayer('apiVersion: sandtray/v1\nnetwork: {mode: wifi}\n', 'x')).message, /network\.mode: /);
  assert.match(errorOf(() => parseLayer('apiVersion: sandtray/v1\nidmap: {size: -1}\n', 'x')).message, /idmap\.size: /);
});

test('YAML syntax errors, duplicate keys and non-mappings are refused', () => {
  assert.equal(errorOf(() => parseLayer('apiVersion: [unclosed\n', 'x')).code, 'INVALID_PROFILE');
  assert.equal(errorOf(() => parseLayer('apiVersion: sandtray/v1\nhostname: a\nhostname: b\n', 'x')).code, 'INVALID_PROFILE');
  assert.match(errorOf(() => parseLayer('- a\n- b\n', 'x')).message, /must be a mapping/);
  assert.match(errorOf(() => parseLayer('', 'x')).message, /must be a mapping/);
});

test('mount targets cannot smuggle .. and relative sources resolve against the file', () => {
  assert.match(errorOf(() => parseLayer('apiVersion: sandtray/v1\nmounts: [{source: /a, target: /x/../etc}]\n', 'x')).message, /must not contain "\.\."/);
  const l = parseLayer('apiVersion: sandtray/v1\nmounts: [{source: ../data, target: /data}]\n', 'x', '/srv/profiles');
  assert.equal(l.mounts?.[0]?.source, '/srv/data');
  const home = parseLayer('apiVersion: sandtray/v1\nmounts: [{source: "~/p", target: /p}]\n', 'x', '/srv');
  assert.equal(home.mounts?.[0]?.source, path.join(os.homedir(), 'p'));
});

test('missing mount sources are reported with their index', () => {
  const { profile } = expandLayers('t', [{ origin: 'x', layer: parseLayer('apiVersion: sandtray/v1\nmounts:\n  - {source: /, target: /a}\n  - {source: /nonexistent/sandtray-x, target: /b}\n  - {source: /nonexistent/y, target: /c, optional: true}\n', 'x') }]);
  const e = errorOf(() => checkProfileOnHost(profile));
  assert.match(e.message, /mounts\[1\]\.source: \/nonexistent\/sandtray-x does not exist/);
  assert.doesNotMatch(e.message, /nonexistent\/y/);
});

test('layers merge key by key and remember their origin', () => {
  const base = parseLayer('apiVersion: sandtray/v1\nhostname: base\nenv: {A: "1", B: "1"}\nnetwork: {mode: none}\nmounts: [{source: /usr/share, target: /s}]\n', 'base');
  const top = parseLayer('apiVersion: sandtray/v1\nenv: {B: "2"}\nmounts: [{source: /usr/lib, target: /s, readOnly: false}, {source: /opt, target: /o}]\n', 'top');
  const { profile, origins } = expandLayers('box', [{ origin: 'profile base', layer: base }, { origin: 'profile top', layer: top }, { origin: 'sandbox overrides', layer: { apiVersion: 'sandtray/v1', hostname: 'mine' } }]);
  assert.equal(profile.hostname, 'mine');
  assert.equal(origins['hostname'], 'sandbox overrides');
  assert.deepEqual(profile.env, { A: '1', B: '2' });
  assert.equal(origins['env.A'], 'profile base');
  assert.equal(origins['env.B'], 'profile top');
  assert.equal(profile.mounts.length, 2);
  assert.deepEqual(profile.mounts[0], { source: '/usr/lib', target: '/s', readOnly: false, optional: false });
  assert.equal(origins['mounts[/s]'], 'profile top');
  assert.equal(profile.network.mode, 'none');
  assert.equal(origins['network.mode'], 'profile base');
  assert.equal(origins['idmap.mode'], 'default');
});

test('defaults: hostname is the sandbox name, no network, shared map of 65536, no nesting, read-only mounts', () => {
  const { profile } = expandLayers('box', [{ origin: 'p', layer: parseLayer('apiVersion: sandtray/v1\nmounts: [{source: /usr, target: /u}]\n', 'p') }]);
  assert.equal(profile.hostname, 'box');
  assert.equal(profile.network.mode, 'none');
  assert.deepEqual(profile.idmap, { mode: 'shared', size: 65536 });
  assert.equal(profile.nesting, false);
  assert.equal(profile.home, 'private');
  assert.equal(profile.mounts[0]?.readOnly, true);
});

test('the JSON Schema is generated from the zod schema', () => {
  const s = profileJsonSchema() as { properties: Record<string, unknown>; additionalProperties: unknown; required: string[] };
  assert.ok(s.properties['mounts']);
  assert.ok(s.properties['network']);
  assert.equal(s.additionalProperties, false);
  assert.ok(s.required.includes('apiVersion'));
});

test('shipped example profiles are valid', () => {
  const dir = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../../resources/profiles');
  const files = fs.readdirSync(dir).filter((f) => f.endsWith('.sandtray'));
  assert.ok(files.length >= 2);
  for (const f of files) loadLayerFile(path.join(dir, f));
});

test('--set overrides become a validated layer', () => {
  assert.deepEqual(parseOverrides(['network.mode=none', 'hostname=abc', 'nesting=true']), { network: { mode: 'none' }, hostname: 'abc', nesting: true });
  assert.equal(parseOverrides([]), null);
  assert.match(errorOf(() => parseOverrides(['network.mode=wifi'])).message, /network\.mode/);
  assert.equal(errorOf(() => parseOverrides(['nokey'])).code, 'INVALID_ARGUMENT');
  assert.equal(errorOf(() => parseOverrides(['bogus=1'])).code, 'INVALID_PROFILE');
});

test('mount targets are normalised before every check: /proc/, /./proc, //usr and /dev/pts are all refused', () => {
  const targets = ['/proc/', '/./proc', '//usr', '/usr/', '/etc/.', '/dev/pts', '/proc/sys', '/sys'];
  const yaml = `apiVersion: sandtray/v1\nmounts:\n${targets.map((t) => `  - {source: /tmp, target: "${t}"}`).join('\n')}\n`;
  const layer = parseLayer(yaml, 'p');
  // The profile keeps the normalised form, which is also what bwrap is given.
  assert.deepEqual(layer.mounts!.map((m) => m.target), ['/proc', '/proc', '/usr', '/usr', '/etc', '/dev/pts', '/proc/sys', '/sys']);
  const { profile } = expandLayers('box', [{ origin: 'p', layer }]);
  const e = errorOf(() => checkProfileOnHost(profile));
  for (const t of ['/proc is managed', '/usr is managed', '/etc is managed', '/dev/pts lies in /dev', '/proc/sys lies in /proc', '/sys is managed']) assert.match(e.message, new RegExp(t.replace(/\//g, '\\/')), t);
  // A positive control: an ordinary target passes the same check.
  const ok = expandLayers('box', [{ origin: 'p', layer: parseLayer('apiVersion: sandtray/v1\nmounts:\n  - {source: /tmp, target: /data/}\n', 'p') }]).profile;
  assert.equal(ok.mounts[0]!.target, '/data');
  checkProfileOnHost(ok);
});
