// What the page says for each rate_limited error.
// Run: node --test tests/web/rate_limit_text.test.mjs

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { rateLimitText, retryWhen } from '../../gateway/web/rate_limit_text.js';

test('says which limit and when to try again', () => {
  assert.equal(rateLimitText({ code: 'rate_limited', limit: 'messages_per_minute', retryAfterMs: 41200 }),
               'Too many messages this minute. Try again in 42 s.');
  assert.match(rateLimitText({ limit: 'concurrent_replies', retryAfterMs: 1000 }),
               /at once.*Try again in 1 s\.$/);
  assert.match(rateLimitText({ limit: 'tokens_per_minute', retryAfterMs: 59001 }),
               /model.*Try again in 60 s\.$/);
});

test('an unknown limit or a missing delay still reads well', () => {
  assert.equal(rateLimitText({ limit: 'something_new', retryAfterMs: 5000 }),
               'Too many requests. Try again in 5 s.');
  assert.equal(rateLimitText({}), 'Too many requests. Try again shortly.');
  assert.equal(rateLimitText(undefined), 'Too many requests. Try again shortly.');
});

test('long waits are told in minutes', () => {
  assert.equal(retryWhen(1), 'in 1 s');
  assert.equal(retryWhen(89000), 'in 89 s');
  assert.equal(retryWhen(90000), 'in about 2 min');
  assert.equal(retryWhen(600000), 'in about 10 min');
  for (const none of [0, -5, NaN, 'x', null, undefined, Infinity]) {
    assert.equal(retryWhen(none), 'shortly', String(none));
  }
});
