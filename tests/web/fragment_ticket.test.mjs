// The ticket an embedding app puts in the page's URL fragment, and what is left behind.
// Run: node --test tests/web/fragment_ticket.test.mjs

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { takeFragmentTicket } from '../../gateway/web/fragment_ticket.js';

test('the ticket is taken and the fragment emptied', () => {
  assert.deepEqual(takeFragmentTicket('#ticket=sgt_abc-DEF_1'), { ticket: 'sgt_abc-DEF_1', hash: '' });
  assert.deepEqual(takeFragmentTicket('ticket=sgt_x'), { ticket: 'sgt_x', hash: '' });
});

test('other parameters of the fragment stay', () => {
  assert.deepEqual(takeFragmentTicket('#lang=de&ticket=sgt_x&theme=dark'),
                   { ticket: 'sgt_x', hash: '#lang=de&theme=dark' });
});

test('a fragment without a ticket is left alone', () => {
  for (const hash of ['', '#', '#section-2', '#noticket=1', '#myticket=sgt_x']) {
    assert.deepEqual(takeFragmentTicket(hash), { ticket: null, hash }, hash);
  }
  assert.deepEqual(takeFragmentTicket(undefined), { ticket: null, hash: '' });
});

test('a malformed ticket is not used, and still leaves the address bar', () => {
  for (const hash of ['#ticket=', '#ticket=a%20b', '#ticket=%3Cscript%3E']) {
    assert.deepEqual(takeFragmentTicket(hash), { ticket: null, hash: '' }, hash);
  }
});
