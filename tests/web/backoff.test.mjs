// Reconnect delays of the chat page. Run: node --test tests/web/backoff.test.mjs

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { backoffDelay } from '../../gateway/web/backoff.js';

const options = (random) => ({ baseMs: 500, capMs: 10000, random: () => random });

test('grows exponentially from the base', () => {
  const highest = [0, 1, 2, 3].map((attempt) => backoffDelay(attempt, options(1)));
  assert.deepEqual(highest, [500, 1000, 2000, 4000]);
});

test('jitter spans the upper half of each step', () => {
  assert.equal(backoffDelay(2, options(0)), 1000);
  assert.equal(backoffDelay(2, options(0.5)), 1500);
  assert.equal(backoffDelay(2, options(1)), 2000);
});

test('is capped, even after very many attempts', () => {
  for (const attempt of [5, 6, 50, 1e6, Infinity]) {
    const delay = backoffDelay(attempt, options(1));
    assert.equal(delay, 10000, String(attempt));
  }
  assert.equal(backoffDelay(1e6, options(0)), 5000);
});

test('defaults stay within half a second to ten seconds', () => {
  for (let attempt = 0; attempt < 40; attempt++) {
    const delay = backoffDelay(attempt);
    assert.ok(delay >= 250 && delay <= 10000, `${attempt}: ${delay}`);
  }
});
