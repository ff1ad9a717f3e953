// The ticket request the page sends and what it makes of each answer.
// Run: node --test tests/web/ticket_request.test.mjs

import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  requestTicket, retryAfterMs, ticketOutcome, ticketRequest,
} from '../../gateway/web/ticket_request.js';

const KEY = 'sg_abc_secret';

test('the request is a bare POST to /v1/tickets carrying the credential as a bearer token', () => {
  const [url, init] = ticketRequest(KEY);
  assert.equal(url, 'v1/tickets');
  assert.equal(init.method, 'POST');
  assert.deepEqual(init.headers, { Authorization: `Bearer ${KEY}` });
  assert.equal(init.cache, 'no-store');
  assert.equal(init.credentials, 'omit');
  assert.equal(init.body, undefined);
  assert.ok(!url.includes(KEY), 'the credential is never in the URL');
});

test('the probe is the same request without a credential', () => {
  for (const none of [null, undefined, '']) {
    const [url, init] = ticketRequest(none);
    assert.equal(url, 'v1/tickets');
    assert.deepEqual(init.headers, {});
  }
});

test('each answer has one meaning', () => {
  const table = [
    [200, { ticket: 'sgt_abc-DEF_1', expiresInMs: 30000 }, null, { kind: 'ticket', ticket: 'sgt_abc-DEF_1' }],
    [401, null, null, { kind: 'unauthorized' }],
    [403, null, null, { kind: 'forbidden' }],
    [429, null, '3', { kind: 'unavailable', retryAfterMs: 3000 }],
    [503, null, null, { kind: 'unavailable', retryAfterMs: 0 }],
    [500, null, null, { kind: 'unavailable', retryAfterMs: 0 }],
    // A 200 that carries no usable ticket is a gateway to try again later, not a ticket.
    [200, null, null, { kind: 'unavailable', retryAfterMs: 0 }],
    [200, { ticket: 42 }, null, { kind: 'unavailable', retryAfterMs: 0 }],
    [200, { ticket: 'sgt_x&admin=1' }, null, { kind: 'unavailable', retryAfterMs: 0 }],
    [200, { ticket: '' }, null, { kind: 'unavailable', retryAfterMs: 0 }],
  ];
  for (const [status, body, retryAfter, expected] of table) {
    assert.deepEqual(ticketOutcome(status, body, retryAfter), expected, `${status} ${JSON.stringify(body)}`);
  }
});

test('Retry-After counts only in seconds, bounded', () => {
  assert.equal(retryAfterMs('1'), 1000);
  assert.equal(retryAfterMs(' 12 '), 12000);
  assert.equal(retryAfterMs('999999'), 3600000);
  for (const bad of [null, undefined, '', '-1', '1.5', 'Wed, 21 Oct 2015 07:28:00 GMT', 'soon']) {
    assert.equal(retryAfterMs(bad), 0, String(bad));
  }
});

function response(status, body, headers = {}) {
  return {
    status,
    headers: new Headers(headers),
    json: async () => {
      if (body instanceof Error) throw body;
      return body;
    },
  };
}

test('requestTicket sends the request and reads the answer', async () => {
  const calls = [];
  const fetchImpl = async (url, init) => {
    calls.push({ url, init });
    return response(200, { ticket: 'sgt_one', expiresInMs: 30000 });
  };
  assert.deepEqual(await requestTicket(fetchImpl, KEY), { kind: 'ticket', ticket: 'sgt_one' });
  assert.equal(calls.length, 1);
  assert.equal(calls[0].url, 'v1/tickets');
  assert.equal(calls[0].init.headers.Authorization, `Bearer ${KEY}`);
  assert.ok(calls[0].init.signal instanceof AbortSignal, 'the request has a deadline');
});

test('requestTicket never throws: a network error, a timeout or bad JSON mean "try later"', async () => {
  const unavailable = { kind: 'unavailable', retryAfterMs: 0 };
  assert.deepEqual(await requestTicket(async () => { throw new TypeError('Failed to fetch'); }, KEY),
                   unavailable);
  assert.deepEqual(await requestTicket(async () => response(200, new SyntaxError('bad')), KEY),
                   unavailable);
  const hanging = (url, init) => new Promise((resolve, reject) => {
    // AbortSignal.timeout does not keep Node alive; this timer does, until the abort.
    const alive = setTimeout(() => reject(new Error('no abort within 5 s')), 5000);
    init.signal.addEventListener('abort', () => {
      clearTimeout(alive);
      reject(init.signal.reason);
    });
  });
  assert.deepEqual(await requestTicket(hanging, KEY, { timeoutMs: 20 }), unavailable);
  assert.deepEqual(await requestTicket(async () => response(429, null, { 'Retry-After': '2' }), KEY),
                   { kind: 'unavailable', retryAfterMs: 2000 });
  assert.deepEqual(await requestTicket(async () => response(401, null), KEY), { kind: 'unauthorized' });
});
