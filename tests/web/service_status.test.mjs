// What the top bar says of the service: read from connection_established or a status
// frame, with an older gateway's missing object as "unknown" (then only the socket is
// spoken of). Run: node --test tests/web/service_status.test.mjs

import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  connectedHeader, providerText, readService, UNKNOWN_SERVICE,
} from '../../gateway/web/service_status.js';

test('the service object is read; anything else is unknown', () => {
  assert.deepEqual(readService({ service: { state: 'ready', provider: 'mock', model: 'mock-1' } }),
                   { state: 'ready', provider: 'mock', model: 'mock-1' });
  assert.deepEqual(readService({ service: { state: 'unavailable', provider: '', model: '' } }),
                   { state: 'unavailable', provider: '', model: '' });
  assert.deepEqual(readService({ service: { state: 'draining' } }),
                   { state: 'draining', provider: '', model: '' });
  for (const frame of [{}, null, { service: null }, { service: { state: 'fine' } },
                       { service: 'ready' }]) {
    assert.equal(readService(frame), UNKNOWN_SERVICE, JSON.stringify(frame));
  }
  assert.equal(readService({ service: { state: 'ready', model: 'm'.repeat(500) } }).model.length,
               60);
});

test('who answers: the mock, Claude and its model, or nothing while not learnt', () => {
  assert.equal(providerText({ provider: 'mock', model: '' }), 'Mock replies');
  assert.equal(providerText({ provider: 'claude', model: 'claude-sonnet-4-5' }),
               'Claude · claude-sonnet-4-5');
  assert.equal(providerText({ provider: 'claude', model: '' }), 'Claude');
  assert.equal(providerText({ provider: '', model: '' }), '');
});

test('the top bar says "Connected" only of what it knows', () => {
  assert.deepEqual(connectedHeader({ state: 'ready', provider: 'mock', model: '' }),
                   { service: 'ready', text: 'Connected', detail: 'Mock replies' });
  assert.deepEqual(connectedHeader({ state: 'unavailable', provider: 'claude', model: 'x' }),
                   { service: 'unavailable', text: 'Model service unreachable', detail: '' });
  assert.deepEqual(connectedHeader({ state: 'draining', provider: '', model: '' }),
                   { service: 'draining', text: 'The gateway is restarting…', detail: '' });
  assert.deepEqual(connectedHeader(UNKNOWN_SERVICE),
                   { service: 'unknown', text: 'Connected to the gateway', detail: '' });
});
