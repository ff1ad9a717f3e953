// How the page decides, attempt by attempt, where to connect and what a closed socket
// means: against a fake POST /v1/tickets and an in-memory credential store.
// Run: node --test tests/web/connection_access.test.mjs

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { ACCESS_TEXT } from '../../gateway/web/access_panel.js';
import { ConnectionAccess, lockForClose } from '../../gateway/web/connection_access.js';
import { CredentialStore } from '../../gateway/web/credential.js';

const SOCKET_URL = 'wss://chat.example/ws';
const KEY = 'sg_abc_secret';
const JWT = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2ln';

// A gateway's ticket endpoint: `answer(authorization)` gives [status, body, headers].
function fakeGateway(answer) {
  const requests = [];
  let issued = 0;
  const fetch = async (url, init) => {
    const authorization = init.headers.Authorization ?? null;
    requests.push({ url, authorization });
    const [status, body, headers = {}] = answer(authorization, ++issued);
    if (status === 'down') throw new TypeError('Failed to fetch');
    return { status, headers: new Headers(headers), json: async () => body };
  };
  return { fetch, requests };
}

const apiKeysGateway = (validKey) => fakeGateway((authorization, n) =>
  authorization === `Bearer ${validKey}` ? [200, { ticket: `sgt_${n}`, expiresInMs: 30000 }]
                                         : [401, { error: 'unauthorized' }]);
const openGateway = () => fakeGateway((_, n) => [200, { ticket: `sgt_${n}`, expiresInMs: 30000 }]);

function access(gateway, { credential = null, launchTicket = null } = {}) {
  const store = new CredentialStore(null);
  if (credential) store.set(credential);
  return {
    store,
    access: new ConnectionAccess({ fetch: gateway.fetch, store, socketUrl: SOCKET_URL, launchTicket }),
  };
}

const failedBeforeOpen = { opened: false, hadSession: false, code: 1006, reason: '' };

test('without a credential the page connects as it is and asks nothing first', async () => {
  const gateway = openGateway();
  const { access: a } = access(gateway);
  assert.deepEqual(await a.prepare(), { url: SOCKET_URL });
  assert.equal(gateway.requests.length, 0);
});

test('a failure before open is an outage when the gateway needs no credential', async () => {
  const gateway = openGateway();
  const { access: a } = access(gateway);
  assert.deepEqual(await a.afterClose(failedBeforeOpen), { retry: true, retryAfterMs: 0 });
  assert.deepEqual(gateway.requests, [{ url: 'v1/tickets', authorization: null }]);
});

test('a failure before open locks the page when the gateway answers 401 to the probe', async () => {
  const gateway = apiKeysGateway(KEY);
  const { access: a } = access(gateway);
  assert.deepEqual(await a.afterClose(failedBeforeOpen), { locked: 'needed' });
  assert.equal(gateway.requests[0].authorization, null, 'the probe carries no credential');
});

test('a gateway that is down is an outage, not a lock', async () => {
  const { access: a } = access(fakeGateway(() => ['down']));
  assert.deepEqual(await a.afterClose(failedBeforeOpen), { retry: true, retryAfterMs: 0 });
  const busy = fakeGateway(() => [429, { error: 'too many requests' }, { 'Retry-After': '2' }]);
  assert.deepEqual(await access(busy).access.afterClose(failedBeforeOpen),
                   { retry: true, retryAfterMs: 2000 });
});

test('a connection lost after it opened is retried without asking', async () => {
  const gateway = apiKeysGateway(KEY);
  const { access: a } = access(gateway);
  assert.deepEqual(await a.afterClose({ opened: true, hadSession: true, code: 1006, reason: '' }),
                   { retry: true });
  assert.equal(gateway.requests.length, 0);
});

test('with a credential every attempt uses a fresh ticket, and the key is never in the URL', async () => {
  const gateway = apiKeysGateway(KEY);
  const { access: a } = access(gateway, { credential: KEY });
  const first = await a.prepare();
  const second = await a.prepare();
  assert.deepEqual(first, { url: `${SOCKET_URL}?ticket=sgt_1` });
  assert.deepEqual(second, { url: `${SOCKET_URL}?ticket=sgt_2` });
  assert.deepEqual(gateway.requests.map((r) => r.authorization), [`Bearer ${KEY}`, `Bearer ${KEY}`]);
  assert.ok(!first.url.includes(KEY) && !second.url.includes(KEY));
  // A failure before open then is retried: the next ticket request checks the key again.
  assert.deepEqual(await a.afterClose(failedBeforeOpen), { retry: true });
  assert.equal(gateway.requests.length, 2, 'no probe while a credential is kept');
});

test('a key the ticket endpoint refuses is forgotten and the page locks', async () => {
  const gateway = apiKeysGateway(KEY);
  const { access: a, store } = access(gateway, { credential: 'sg_abc_wrong' });
  assert.deepEqual(await a.prepare(), { locked: 'rejected' });
  assert.equal(store.get(), null);
  assert.equal(a.hasCredential, false);
  // The next attempt is back to no credential.
  assert.deepEqual(await a.prepare(), { url: SOCKET_URL });
});

test('an unreachable or busy ticket endpoint means waiting, and keeps the key', async () => {
  const { access: down, store } = access(fakeGateway(() => ['down']), { credential: KEY });
  assert.deepEqual(await down.prepare(), { wait: true, retryAfterMs: 0 });
  assert.equal(store.get(), KEY);
  const busy = fakeGateway(() => [429, null, { 'Retry-After': '3' }]);
  assert.deepEqual(await access(busy, { credential: KEY }).access.prepare(),
                   { wait: true, retryAfterMs: 3000 });
  const foreign = fakeGateway(() => [403, { error: 'forbidden' }]);
  assert.deepEqual(await access(foreign, { credential: KEY }).access.prepare(),
                   { wait: true, why: 'forbidden' });
});

test('a launch ticket serves the first attempt only; then the key flow applies', async () => {
  const gateway = apiKeysGateway(KEY);
  const { access: a } = access(gateway, { launchTicket: 'sgt_from-app' });
  assert.deepEqual(await a.prepare(), { url: `${SOCKET_URL}?ticket=sgt_from-app` });
  assert.equal(gateway.requests.length, 0);
  assert.deepEqual(await a.prepare(), { url: SOCKET_URL });
  assert.deepEqual(await a.afterClose(failedBeforeOpen), { locked: 'needed' });
});

test('close 4001 forgets the credential and says why from the close reason', async () => {
  for (const [reason, lock] of [['credential revoked', 'revoked'], ['token expired', 'expired'],
                                ['', 'ended'], ['something else', 'ended']]) {
    const gateway = apiKeysGateway(KEY);
    const { access: a, store } = access(gateway, { credential: KEY });
    const closed = { opened: true, hadSession: true, code: 4001, reason };
    assert.deepEqual(await a.afterClose(closed), { locked: lock }, reason);
    assert.equal(store.get(), null);
    assert.equal(gateway.requests.length, 0);
  }
});

test('every lock has words in the panel', () => {
  for (const reason of ['needed', 'rejected', lockForClose('credential revoked'),
                        lockForClose('token expired'), lockForClose('?'), 'expiring',
                        'renewal_refused']) {
    assert.ok(ACCESS_TEXT[reason]?.title && ACCESS_TEXT[reason]?.detail, reason);
  }
  assert.match(ACCESS_TEXT.needed.title, /API key or token/);
  assert.match(ACCESS_TEXT.revoked.title, /revoked/);
  assert.match(ACCESS_TEXT.expired.title, /expired/);
});

test('a JWT is offered for renewal once; an API key never', () => {
  const { access: withJwt, store } = access(openGateway(), { credential: JWT });
  assert.equal(withJwt.renewalToken(), JWT);
  assert.equal(withJwt.renewalToken(), null, 'the same token is not sent twice');
  const fresh = `${JWT}x`;
  store.set(fresh);
  assert.equal(withJwt.renewalToken(), fresh, 'a fresher token is');
  assert.equal(access(openGateway(), { credential: KEY }).access.renewalToken(), null);
  assert.equal(access(openGateway()).access.renewalToken(), null);
});
