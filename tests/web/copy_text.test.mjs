// Copying: the Clipboard API when it is there and allowed, else a selected textarea and
// execCommand("copy"), and false when neither works. Run: node --test tests/web/copy_text.test.mjs

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { copyText } from '../../gateway/web/copy_text.js';

// Just enough of a document for the fallback.
function fakeDocument({ copies = true } = {}) {
  const doc = {
    appended: [],
    copied: null,
    activeElement: { focused: 0, focus() { this.focused++; } },
    body: { append: (node) => doc.appended.push(node) },
    createElement: () => ({
      value: '', className: '', removed: false, selected: false,
      setAttribute() {}, select() { this.selected = true; }, remove() { this.removed = true; },
    }),
    execCommand(command) {
      const area = doc.appended.at(-1);
      if (command !== 'copy' || !area.selected) return false;
      if (copies) doc.copied = area.value;
      return copies;
    },
  };
  return doc;
}

test('the Clipboard API gets the text as it is', async () => {
  const written = [];
  const doc = fakeDocument();
  assert.equal(await copyText('a\n  b', { clipboard: { writeText: async (t) => written.push(t) },
                                          doc }), true);
  assert.deepEqual(written, ['a\n  b']);
  assert.equal(doc.appended.length, 0, 'no fallback needed');
});

test('a refused Clipboard API falls back to a selected textarea, removed afterwards', async () => {
  const doc = fakeDocument();
  const clipboard = { writeText: async () => { throw new Error('NotAllowedError'); } };
  assert.equal(await copyText('code()', { clipboard, doc }), true);
  assert.equal(doc.copied, 'code()');
  assert.equal(doc.appended[0].removed, true);
  assert.equal(doc.activeElement.focused, 1, 'focus goes back where it was');
});

test('without any clipboard the fallback is used, and false says it failed', async () => {
  const doc = fakeDocument();
  assert.equal(await copyText('x', { clipboard: undefined, doc }), true);
  assert.equal(await copyText('x', { clipboard: undefined, doc: fakeDocument({ copies: false }) }),
               false);
  assert.equal(await copyText('x', { clipboard: undefined, doc: null }), false);
});
