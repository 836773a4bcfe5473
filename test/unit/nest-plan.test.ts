import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildPlan } from '../../helpers/plan/build.js';
import { planInputs } from '../../helpers/lifecycle/plan-inputs.js';
import { NEST_APP, NEST_BIN } from '../../helpers/plan/nesting.js';
import { expandLayers } from '../../helpers/profile/expand.js';
import { parseLayer } from '../../helpers/profile/load.js';
import { buildIdMap } from '../../helpers/idmap/map.js';
import type { HostFacts } from '../../helpers/host/facts.js';

const facts: HostFacts = {
  uid: 1000,
  gid: 1000,
  user: 'alice',
  mergedUsr: { bin: true, sbin: true, lib: true, lib64: true },
  exists: { '/bin': true, '/sbin': true, '/lib': true, '/lib64': true, '/bin/bash': true },
};
const big = buildIdMap({ hostUid: 1000, hostGid: 1000, size: 200000, uidRanges: [{ start: 300000, size: 1000000 }], gidRanges: [{ start: 300000, size: 1000000 }] });
const dirs = { etcDir: '/data/box/etc', homeDir: '/data/box/home' };
const runtime = { root: '/srv/sandtray', node: '/opt/node/bin/node' };

function plan(yaml: string, rt: typeof runtime | null = runtime) {
  const { profile } = expandLayers('box', [{ origin: 'p', layer: parseLayer(`apiVersion: sandtray/v1\n${yaml}`, 'p') }]);
  return buildPlan('box', profile, planInputs(profile, big), facts, dirs, { runtime: rt });
}

test('nesting: true binds the CLI read-only, puts it first on PATH and delegates ids through /etc/subuid', () => {
  const p = plan('nesting: true');
  assert.deepEqual(p.nesting, { delegated: { start: 65536, size: 134464 } });
  assert.equal(p.etc['subuid'], 'root:65536:134464\n');
  assert.equal(p.etc['subgid'], 'root:65536:134464\n');
  assert.ok(p.mounts.some((m) => m.op === 'bind' && m.target === '/etc/subuid'));
  const at = (t: string) => p.mounts.find((m) => m.target === t);
  for (const rel of ['dist', 'node_modules', 'bin', 'package.json']) {
    assert.deepEqual(at(`${NEST_APP}/${rel}`), { op: 'ro-bind', source: `/srv/sandtray/${rel}`, target: `${NEST_APP}/${rel}`, why: 'sandtray CLI for nested sandboxes, read-only' });
  }
  assert.deepEqual(at(`${NEST_BIN}/node`), { op: 'ro-bind', source: '/opt/node/bin/node', target: `${NEST_BIN}/node`, why: 'the node binary the CLI runs on, read-only' });
  assert.equal(at(`${NEST_BIN}/sandtray`)?.op, 'symlink');
  assert.ok(p.env['PATH']!.startsWith(`${NEST_BIN}:`));
  assert.match(p.etc['profile']!, new RegExp(`^PATH=${NEST_BIN}:`, 'm'), 'login shells keep it on PATH');
  // No limit on user namespaces in the outer namespace.
  assert.equal(p.holders[p.holders.indexOf('sandtray-userns') + 1], 'none');
});

test('nesting: false has no CLI, no subuid files, and limits user namespaces', () => {
  const p = plan('');
  assert.equal(p.nesting, null);
  assert.equal(p.etc['subuid'], undefined);
  assert.ok(!p.mounts.some((m) => m.target.startsWith('/opt/sandtray')));
  assert.ok(!p.env['PATH']!.includes(NEST_BIN));
  assert.equal(p.holders[p.holders.indexOf('sandtray-userns') + 1], '1');
});

test('without a plain runtime folder (a packaged app) nesting still delegates, without the CLI', () => {
  const p = plan('nesting: true', null);
  assert.equal(p.etc['subuid'], 'root:65536:134464\n');
  assert.ok(!p.mounts.some((m) => m.target.startsWith('/opt/sandtray')));
});
