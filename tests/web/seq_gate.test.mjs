// Frames the page already processed are dropped by seq.
// Run: node --test tests/web/seq_gate.test.mjs

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { SeqGate } from '../../gateway/web/seq_gate.js';

const frame = (seq) => ({ type: 'stream_chunk', seq, content: `#${seq}` });

test('admits rising seqs and remembers the highest', () => {
  const gate = new SeqGate();
  assert.equal(gate.lastSeq, 0);
  assert.deepEqual([1, 2, 3].map((seq) => gate.admit(frame(seq))), [true, true, true]);
  assert.equal(gate.lastSeq, 3);
});

test('drops a replay that overlaps what was processed, exactly up to lastSeq', () => {
  const gate = new SeqGate(41);
  const replay = [40, 41, 42, 43, 43, 42, 44].map(frame);
  const kept = replay.filter((f) => gate.admit(f)).map((f) => f.seq);
  assert.deepEqual(kept, [42, 43, 44]);
  assert.equal(gate.lastSeq, 44);
});

test('a gap in seqs is fine (a replay skips ephemeral frames)', () => {
  const gate = new SeqGate(5);
  assert.equal(gate.admit(frame(9)), true);
  assert.equal(gate.admit(frame(7)), false, 'older than what was processed');
  assert.equal(gate.lastSeq, 9);
});

test('frames without a usable seq pass and change nothing', () => {
  const gate = new SeqGate(3);
  for (const seq of [undefined, null, '4', 2.5, -1, 0, Number.MAX_SAFE_INTEGER + 2]) {
    assert.equal(gate.admit({ type: 'x', seq }), true, String(seq));
  }
  assert.equal(gate.admit(null), true);
  assert.equal(gate.lastSeq, 3);
});

test('reset() starts another session', () => {
  const gate = new SeqGate(100);
  gate.reset(2);
  assert.equal(gate.lastSeq, 2);
  assert.equal(gate.admit(frame(3)), true);
  gate.reset('nonsense');
  assert.equal(gate.lastSeq, 0);
  assert.equal(new SeqGate(-5).lastSeq, 0);
});
