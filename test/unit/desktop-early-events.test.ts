// Events that reach the window before the reply naming their holder wait, in order and bounded.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EarlyEvents } from '../../renderer/ui/early.js';

test('what came for an id is given once, in order, with its end', () => {
  const e = new EarlyEvents();
  e.data('a', 'one ');
  e.data('b', 'other');
  e.data('a', 'two');
  e.end('a', 3);
  assert.deepEqual(e.take('a'), { data: ['one ', 'two'], ended: { code: 3 } });
  assert.deepEqual(e.take('a'), { data: [] });
  assert.deepEqual(e.take('b'), { data: ['other'] });
  assert.deepEqual(e.take('never'), { data: [] });
});

test('an end with no code and an end with no text are kept', () => {
  const e = new EarlyEvents();
  e.end('x', null);
  assert.deepEqual(e.take('x'), { data: [], ended: { code: null } });
});

test('bounded: text past the limit of an id is dropped, the oldest ids make room', () => {
  const e = new EarlyEvents(2, 10);
  e.data('a', '12345');
  e.data('a', '678901');
  e.data('a', '67890');
  assert.deepEqual(e.take('a').data, ['12345', '67890']);
  e.data('p', 'x');
  e.data('q', 'y');
  e.data('r', 'z');
  assert.deepEqual(e.take('p'), { data: [] });
  assert.deepEqual(e.take('q').data, ['y']);
  assert.deepEqual(e.take('r').data, ['z']);
});
