import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deriveState, type RuntimeState } from '../../helpers/runtime/state.js';

const base: RuntimeState = {
  phase: 'running', actor: null, init: { pid: 10, start: 1 }, monitor: { pid: 9, start: 1 }, startedAt: 'x', namespaces: {},
  idmap: null, mounts: [], network: 'none', env: {}, shell: '/bin/sh', command: [], workdir: '/', idmapNote: null, helpers: [], confine: null,
};
const actor = { pid: 20, start: 5 };

function state(rt: Partial<RuntimeState> | null, alive: number[]) {
  return deriveState(rt ? { ...base, ...rt } : null, (id) => !!id && alive.includes(id.pid));
}

test('no runtime record means STOPPED', () => assert.equal(state(null, []), 'STOPPED'));
test('running with live init is RUNNING; dead init is STOPPED', () => {
  assert.equal(state({}, [10]), 'RUNNING');
  assert.equal(state({}, []), 'STOPPED');
});
test('starting is STARTING only while the starter lives', () => {
  assert.equal(state({ phase: 'starting', actor, init: null }, [20]), 'STARTING');
  assert.equal(state({ phase: 'starting', actor, init: null }, []), 'STOPPED');
  assert.equal(state({ phase: 'starting', actor }, [10]), 'RUNNING');
});
test('aborting passes to STOPPED when the aborting process is gone, to RUNNING if it left pid 1 up', () => {
  assert.equal(state({ phase: 'aborting', actor }, [20, 10]), 'ABORTING');
  assert.equal(state({ phase: 'aborting', actor }, []), 'STOPPED');
  // A revert killed before it ended pid 1: the sandbox runs, and `stop` can end it.
  assert.equal(state({ phase: 'aborting', actor }, [10]), 'RUNNING');
});
test('stopping is STOPPING while init and stopper live; an abandoned stop is RUNNING', () => {
  assert.equal(state({ phase: 'stopping', actor }, [10, 20]), 'STOPPING');
  assert.equal(state({ phase: 'stopping', actor }, [10]), 'RUNNING');
  assert.equal(state({ phase: 'stopping', actor }, [20]), 'STOPPED');
});

// The runtime record is read by hand (parseRuntime, no zod on the quick commands' path); the zod
// schema is its definition. Both read every record below alike: a full one, a minimal one, and
// each with one key removed, emptied, given the wrong type, or a key the schema does not know.
test('parseRuntime reads every record as the runtime schema does', async () => {
  const { parseRuntime } = await import('../../helpers/runtime/state.js');
  const { runtimeSchema } = await import('../../helpers/runtime/runtime-schema.js');
  const full = {
    phase: 'running', actor: { pid: 20, start: 5, extra: 1 }, init: { pid: 10, start: 1.5 }, monitor: { pid: 9, start: 1 }, startedAt: '2026-01-01T00:00:00Z',
    namespaces: { user: 4026531837, net: 4026532000 }, idmap: { uid: [{ inside: 0, outside: 1000, count: 1 }], gid: [{ inside: 0, outside: 1000, count: 1, x: 2 }] },
    mounts: [{ op: 'ro-bind', source: '/usr', target: '/usr' }, { op: 'proc', target: '/proc' }], network: 'nat', env: { PATH: '/bin', TERM: 'xterm' },
    shell: '/bin/bash', command: ['/bin/sh', '-c', 'x'], workdir: '/root', idmapNote: 'note', confine: { caps: ['CHOWN'], nesting: false, sysAdmin: false },
    desktop: ['wayland: bound'], stopWhenIdle: true, wayland: { socket: '/run/w', securityContext: 'offered' }, helpers: [{ pid: 30, start: 2, what: 'pasta' }], unknownKey: 'dropped',
  };
  const minimal = { phase: 'starting', actor: null, init: null, monitor: null, startedAt: null, namespaces: {}, idmap: null, mounts: [], network: 'none', env: {}, shell: '/bin/sh', command: [], workdir: '/' };
  const wrong = [undefined, null, 0, -1, 1.5, 'x', true, [], {}, [1], ['x'], { pid: 1 }, { pid: 0, start: 1 }, { pid: 2 ** 60, start: 1 }, { inside: 0 }];
  const cases: unknown[] = [full, minimal, null, 42, 'x', [], [full], JSON.parse('{"__proto__": {"phase": "running"}}')];
  for (const rec of [full, minimal] as Record<string, unknown>[]) {
    for (const key of [...Object.keys(rec), 'idmapNote', 'confine', 'helpers', 'desktop', 'stopWhenIdle', 'wayland']) {
      const { [key]: _, ...without } = rec;
      cases.push(without);
      for (const w of wrong) cases.push({ ...rec, [key]: w });
      const v = rec[key];
      if (Array.isArray(v)) for (const w of wrong) cases.push({ ...rec, [key]: [w] }, { ...rec, [key]: [...v, w] });
      else if (v && typeof v === 'object') {
        for (const inner of Object.keys(v)) for (const w of wrong) cases.push({ ...rec, [key]: { ...v, [inner]: w } });
        cases.push({ ...rec, [key]: JSON.parse('{"__proto__": 1, "k": 1}') });
      }
    }
  }
  let accepted = 0;
  // As a record is read: from JSON (a key given undefined above is a key left out).
  for (const c of cases.filter((x) => x !== undefined).map((x) => JSON.parse(JSON.stringify(x)) as unknown)) {
    const z = runtimeSchema.safeParse(c);
    const mine = parseRuntime(c);
    assert.deepEqual(mine, z.success ? z.data : null, JSON.stringify(c));
    if (z.success) {
      accepted++;
      assert.equal(JSON.stringify(mine), JSON.stringify(z.data), 'the same keys in the same order');
    }
  }
  assert.ok(accepted > 20 && accepted < cases.length - 100, `both accept some records and refuse others (${accepted} of ${cases.length})`);
});
