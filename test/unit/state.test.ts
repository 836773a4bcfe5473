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
