// What the page says for each close code the gateway sends or the browser reports: a 1009
// is about the message sent (never a reply), codes told elsewhere get no notice, and an
// unknown code still gets a true sentence. Run: node --test tests/web/close_text.test.mjs

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { closeNotice, formatBytes, tooBigText } from '../../gateway/web/close_text.js';

test('each close code maps to its own true sentence', () => {
  const cases = [
    [1000, '', 'info', /^The gateway closed the connection\. Reconnecting…$/],
    [1001, '', 'info', /^The gateway is shutting down and closed the connection\. Reconnecting…$/],
    [1002, '', 'error', /did not understand what this page sent/],
    [1003, '', 'error', /did not understand what this page sent/],
    [1007, '', 'error', /not valid UTF-8/],
    [1008, 'rate limit', 'error', /sent too much too fast\. Reconnecting…$/],
    [1008, 'other', 'error', /broke one of its rules/],
    [1009, 'message too big', 'error', /^Your message was too large for the gateway, so it was not sent\.$/],
    [1011, '', 'error', /internal error/],
    [1013, '', 'info', /overloaded/],
    [4999, '', 'error', /^The connection closed \(code 4999\)\. Reconnecting…$/],
  ];
  for (const [code, reason, kind, text] of cases) {
    const notice = closeNotice({ code, reason });
    assert.equal(notice.kind, kind, String(code));
    assert.match(notice.text, text, String(code));
  }
});

test('no close sentence speaks of a reply being cut off', () => {
  for (let code = 1000; code <= 1015; code++) {
    assert.doesNotMatch(closeNotice({ code })?.text ?? '', /reply|cut off/i, String(code));
  }
});

test('codes the top bar, the access panel or "Use here" explain get no notice', () => {
  for (const code of [1006, 1012, 4000, 4001]) {
    assert.equal(closeNotice({ code, reason: 'x' }), null, String(code));
  }
});

test('a 1009 names the limit when the page knows it, and where the text went when kept', () => {
  assert.equal(closeNotice({ code: 1009, limitBytes: 262144 }).text,
               'Your message was too large for the gateway (at most 256 KiB in one message), ' +
               'so it was not sent.');
  assert.equal(tooBigText(65536, { kept: true }),
               'Your message was too large for the gateway (at most 64 KiB in one message), so ' +
               'it was not sent. It is back in the message box: shorten it or split it into parts.');
  assert.equal(tooBigText(0), 'Your message was too large for the gateway, so it was not sent.');
});

test('sizes read as the flags count them', () => {
  assert.equal(formatBytes(0), '0 bytes');
  assert.equal(formatBytes(1), '1 byte');
  assert.equal(formatBytes(1023), '1023 bytes');
  assert.equal(formatBytes(1024), '1 KiB');
  assert.equal(formatBytes(1536), '1.5 KiB');
  assert.equal(formatBytes(262144), '256 KiB');
  assert.equal(formatBytes(300 * 1024 + 512), '300.5 KiB');
  assert.equal(formatBytes(4 * 1024 * 1024), '4 MiB');
  assert.equal(formatBytes(Number.NaN), '0 bytes');
});
