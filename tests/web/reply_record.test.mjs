// One reply apart from the screen: how frames change it, and whether a history snapshot
// already holds it (so a reply replayed while the history is fetched is shown once).
// Run: node --test tests/web/reply_record.test.mjs

import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  MAX_KEPT_TEXT_CHARS, applyReplyFrame, historyHoldsReply, keptReplyRecord, newReplyRecord,
  readReplyRecord,
} from '../../gateway/web/reply_record.js';

const chunk = (seq, content) => ({ type: 'stream_chunk', seq, content, conversationId: 'c' });

test('chunks build the text; stream_end ends it as done, with its seq', () => {
  const r = newReplyRecord('question');
  assert.equal(applyReplyFrame(r, { type: 'stream_start', seq: 4 }), 'start');
  assert.equal(applyReplyFrame(r, chunk(5, 'Echo: ')), 'chunk');
  assert.equal(applyReplyFrame(r, chunk(6, 'question')), 'chunk');
  assert.equal(applyReplyFrame(r, { type: 'stream_chunk', seq: 7 }), null, 'no content');
  assert.equal(applyReplyFrame(r, { type: 'stream_end', seq: 8, stopReason: 'end_turn' }), 'end');
  assert.deepEqual(r, { user: 'question', text: 'Echo: question', outcome: 'done', note: '',
                        endSeq: 8 });
  assert.equal(applyReplyFrame(r, chunk(9, 'late')), null, 'an ended reply takes no more');
  assert.equal(r.text, 'Echo: question');
});

test('how a reply can end', () => {
  const cases = [
    [{ type: 'stream_end', cancelled: true, stopReason: 'cancelled' }, {}, 'stopped', 'Stopped'],
    [{ type: 'stream_end', stopReason: 'max_tokens' }, {}, 'done',
     'Cut short: the reply reached its length limit.'],
    [{ type: 'error', code: 'interrupted', error: 'x' }, {}, 'interrupted',
     'Cut short: the gateway restarted.'],
    [{ type: 'error', code: 'upstream_unavailable', error: 'The model is unavailable.' }, {},
     'failed', 'The model is unavailable.'],
    [{ type: 'error', code: 'internal' }, {}, 'failed', 'Something went wrong.'],
    [{ type: 'error', code: 'upstream_error', error: 'x' }, { cancelRequested: true }, 'stopped',
     'Stopped'],
    [{ type: 'error', code: 'rate_limited', limit: 'messages_per_minute', retryAfterMs: 5000 },
     { cancelRequested: true }, 'failed', 'Too many messages this minute. Try again in 5 s.'],
  ];
  for (const [frame, options, outcome, note] of cases) {
    const r = newReplyRecord('q');
    assert.equal(applyReplyFrame(r, { ...frame, seq: 3 }, options), 'end', JSON.stringify(frame));
    assert.equal(r.outcome, outcome, JSON.stringify(frame));
    assert.equal(r.note, note, JSON.stringify(frame));
    assert.equal(r.endSeq, 3);
  }
});

test('nothing_to_cancel and unknown frames change nothing', () => {
  const r = newReplyRecord(null);
  assert.equal(applyReplyFrame(r, { type: 'error', code: 'nothing_to_cancel', seq: 2 }), null);
  assert.equal(applyReplyFrame(r, { type: 'history', seq: 3 }), null);
  assert.equal(applyReplyFrame(r, null), null);
  assert.deepEqual(r, newReplyRecord(null));
});

const history = [
  { role: 'user', content: 'first' }, { role: 'assistant', content: 'Echo: first' },
  { role: 'user', content: 'q' }, { role: 'assistant', content: 'Echo: q' },
];

function ended(outcome, endSeq, text = 'Echo: q', user = 'q') {
  return { user, text, outcome, note: '', endSeq };
}

test('a history taken after the reply ended holds it; one taken before does not', () => {
  assert.equal(historyHoldsReply(history, 20, ended('done', 19)), true);
  assert.equal(historyHoldsReply(history, 20, ended('stopped', 12)), true);
  assert.equal(historyHoldsReply(history, 20, ended('interrupted', 12)), true);
  assert.equal(historyHoldsReply(history, 20, ended('done', 21)), false, 'ended after it');
  assert.equal(historyHoldsReply(history, 20, ended(null, 0)), false, 'still running');
});

test('failed or empty replies are never in a history', () => {
  assert.equal(historyHoldsReply(history, 20, ended('failed', 10)), false);
  assert.equal(historyHoldsReply([...history, { role: 'user', content: 'q' },
                                  { role: 'assistant', content: '' }], 20,
                                 ended('stopped', 10, '')), false);
});

test('the last exchange must match: seqs alone cannot tell everything', () => {
  // A crash cut the reply: it ended (interrupted) before the history, but was never recorded.
  assert.equal(historyHoldsReply(history.slice(0, 2), 20, ended('interrupted', 10)), false);
  assert.equal(historyHoldsReply(history, 20, ended('done', 10, 'Echo: other')), false);
  assert.equal(historyHoldsReply(history, 20, ended('done', 10, 'Echo: q', 'other')), false);
  assert.equal(historyHoldsReply(history, 20, ended('done', 10, 'Echo: q', null)), true,
               'the message is unknown: the reply text decides');
  assert.equal(historyHoldsReply([], 20, ended('done', 10)), false);
  assert.equal(historyHoldsReply(undefined, 20, ended('done', 10)), false);
  assert.equal(historyHoldsReply(history, undefined, ended('done', 10)), false, 'no seq: not held');
});

test('records survive the resume state; a huge text is kept without its text', () => {
  const r = ended('done', 5);
  assert.deepEqual(readReplyRecord(JSON.parse(JSON.stringify(keptReplyRecord(r)))), r);
  assert.deepEqual(readReplyRecord({ text: 'x', outcome: 'weird', endSeq: -1, user: 3 }),
                   { user: null, text: 'x', outcome: null, note: '', endSeq: 0 });
  assert.equal(readReplyRecord({ text: 5 }), null);
  assert.equal(readReplyRecord(null), null);
  const big = { ...newReplyRecord('q'), text: 'x'.repeat(MAX_KEPT_TEXT_CHARS + 1) };
  assert.equal(keptReplyRecord(big).text, '');
  assert.equal(big.text.length, MAX_KEPT_TEXT_CHARS + 1, 'the record itself is untouched');
});
