// The monitor's state diff, driven with records: a sandbox killed and started again between two
// looks keeps its state name but not its pid 1, and that is a stop and a start.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { transitions, type Seen } from '../../helpers/inspect/monitor.js';

const T = '2026-01-01T00:00:00.000Z';
const A = { pid: 100, start: 5000 };
const B = { pid: 200, start: 6000 };
const seen = (state: Seen['state'], init: Seen['init']): Seen => ({ state, init });
const diff = (prev: Seen | null, next: Seen | null) => transitions('s', prev, next, T).map((e) => `${e.previous}>${e.state}`);

test('a state name that changes is one event', () => {
  assert.deepEqual(diff(seen('STOPPED', null), seen('STARTING', null)), ['STOPPED>STARTING']);
  assert.deepEqual(diff(seen('STARTING', null), seen('RUNNING', A)), ['STARTING>RUNNING']);
  assert.deepEqual(diff(seen('RUNNING', A), seen('STOPPED', A)), ['RUNNING>STOPPED']);
  assert.deepEqual(diff(seen('RUNNING', A), seen('STOPPING', A)), ['RUNNING>STOPPING']);
});

test('nothing changed is no event, pid 1 recorded or not', () => {
  assert.deepEqual(diff(seen('RUNNING', A), seen('RUNNING', { ...A })), []);
  assert.deepEqual(diff(seen('STOPPED', null), seen('STOPPED', null)), []);
  // A killed sandbox's record still names its dead pid 1; a record removed reads STOPPED too.
  assert.deepEqual(diff(seen('STOPPED', A), seen('STOPPED', null)), []);
});

test('RUNNING then RUNNING with another pid 1 is STOPPED, then RUNNING', () => {
  assert.deepEqual(diff(seen('RUNNING', A), seen('RUNNING', B)), ['RUNNING>STOPPED', 'STOPPED>RUNNING']);
  // The same pid number again (recycled) with another start time is another process.
  assert.deepEqual(diff(seen('RUNNING', A), seen('RUNNING', { pid: A.pid, start: A.start + 1 })), ['RUNNING>STOPPED', 'STOPPED>RUNNING']);
});

test('a running sandbox seen next in a new start (no pid 1 yet, or another) stopped in between', () => {
  assert.deepEqual(diff(seen('RUNNING', A), seen('STARTING', null)), ['RUNNING>STOPPED', 'STOPPED>STARTING']);
  assert.deepEqual(diff(seen('RUNNING', A), seen('STARTING', B)), ['RUNNING>STOPPED', 'STOPPED>STARTING']);
  assert.deepEqual(diff(seen('STOPPING', A), seen('RUNNING', B)), ['STOPPING>STOPPED', 'STOPPED>RUNNING']);
});

test('a start that records its pid 1 is not a restart', () => {
  assert.deepEqual(diff(seen('STARTING', null), seen('STARTING', B)), []);
  assert.deepEqual(diff(seen('STOPPED', A), seen('RUNNING', B)), ['STOPPED>RUNNING']);
});

test('a sandbox first seen, and one deleted', () => {
  assert.deepEqual(diff(null, seen('RUNNING', A)), ['null>RUNNING']);
  assert.deepEqual(diff(seen('RUNNING', A), null), ['RUNNING>DELETED']);
  assert.deepEqual(diff(null, null), []);
  const [ev] = transitions('s', seen('RUNNING', A), seen('RUNNING', B), T);
  assert.deepEqual(ev, { time: T, name: 's', state: 'STOPPED', previous: 'RUNNING' });
});
