// The gateway's limits read from connection_established, the frame's size counted as the
// gateway counts it (UTF-8 bytes of the JSON text), and the refusal only above a known
// limit. Run: node --test tests/web/message_limits.test.mjs

import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  frameBytes, readLimits, sizeRefusal, userMessageFrame,
} from '../../gateway/web/message_limits.js';

test('limits are read from connection_established; missing or bad ones are null', () => {
  assert.deepEqual(readLimits({ limits: { maxMessageBytes: 262144, maxActiveReplies: 4,
                                          maxConversations: 32 } }),
                   { maxMessageBytes: 262144, maxActiveReplies: 4, maxConversations: 32 });
  const none = { maxMessageBytes: null, maxActiveReplies: null, maxConversations: null };
  assert.deepEqual(readLimits({ type: 'connection_established' }), none, 'an older gateway');
  assert.deepEqual(readLimits(null), none);
  assert.deepEqual(readLimits({ limits: 'big' }), none);
  assert.deepEqual(readLimits({ limits: { maxMessageBytes: '262144', maxActiveReplies: -1,
                                          maxConversations: 1.5 } }), none);
});

test('the size is the UTF-8 bytes of the whole frame, escapes included', () => {
  const frame = userMessageFrame('é"\n😀', 'c1', 'sess');
  assert.deepEqual(Object.keys(frame), ['type', 'content', 'conversationId', 'sessionId']);
  const text = '{"type":"user_message","content":"é\\"\\n😀","conversationId":"c1","sessionId":"sess"}';
  assert.equal(JSON.stringify(frame), text);
  assert.equal(frameBytes(frame), Buffer.byteLength(text, 'utf8'));
  // é is 2 bytes, the quote and newline escapes 2 each, the emoji 4.
  assert.equal(frameBytes(userMessageFrame('é"\n😀', 'c1', 'sess')) -
               frameBytes(userMessageFrame('', 'c1', 'sess')), 10);
});

test('a frame at the limit is sent, one byte over is refused, an unknown limit refuses nothing', () => {
  assert.equal(sizeRefusal(1000, 1000), null);
  assert.equal(sizeRefusal(1001, 1000),
               'This message is too long to send: 1001 bytes, and the gateway takes at most ' +
               '1000 bytes in one message. Shorten it by about 1 byte or split it into parts; ' +
               'your text stays here.');
  assert.match(sizeRefusal(300 * 1024, 256 * 1024), /300 KiB.*at most 256 KiB.*about 44 KiB/);
  assert.equal(sizeRefusal(10 ** 9, null), null);
});
