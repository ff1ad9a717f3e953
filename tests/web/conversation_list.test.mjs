// The sidebar's list of conversations: ids, titles, merging the gateway's list with the
// page's own, order. Run: node --test tests/web/conversation_list.test.mjs

import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  ConversationList, isConversationId, newConversationId, titleFor,
} from '../../gateway/web/conversation_list.js';

test('conversation ids are what the gateway accepts', () => {
  for (const id of ['default', 'c-AbC_09', 'x', 'a'.repeat(64)]) {
    assert.equal(isConversationId(id), true, id);
  }
  for (const id of ['', 'a'.repeat(65), 'a b', 'ü', 'a/b', 'a.b', null, 7, undefined]) {
    assert.equal(isConversationId(id), false, String(id));
  }
});

test('new ids are valid, random and distinct', () => {
  const ids = new Set(Array.from({ length: 200 }, () => newConversationId()));
  assert.equal(ids.size, 200);
  for (const id of ids) {
    assert.equal(isConversationId(id), true, id);
    assert.match(id, /^c-[A-Za-z0-9_-]{12}$/);
  }
  const fixed = newConversationId((bytes) => bytes.fill(0xff));
  assert.equal(fixed, 'c-____________');
});

test('a title is the first line of the first message, shortened', () => {
  assert.equal(titleFor('  Hello   there \n second line'), 'Hello there');
  assert.equal(titleFor(''), '');
  assert.equal(titleFor(null), '');
  const long = titleFor('word '.repeat(40));
  assert.ok(long.length <= 60, long);
  assert.ok(long.endsWith('…'));
});

test('the gateway list updates counts, keeps local conversations, removes gone ones', () => {
  const list = new ConversationList();
  list.add('local-new');  // made on this page, nothing sent yet
  list.add('gone', { known: true, title: 'Old' });
  list.add('current', { known: true });
  list.add('kept', { title: 'Kept' });
  const removed = list.applyServerList([
    { conversationId: 'kept', exchanges: 2, lastActivity: 2000 },
    { conversationId: 'remote', exchanges: 1, lastActivity: 1000 },
    { conversationId: 'not valid!', exchanges: 9, lastActivity: 9 },
    null,
  ], { keep: ['current'] });
  assert.deepEqual(removed, ['gone']);
  assert.equal(list.has('gone'), false);
  assert.equal(list.has('local-new'), true, 'not known to the gateway yet: kept');
  assert.equal(list.has('current'), true, 'the one on screen is kept');
  assert.equal(list.has('not valid!'), false);
  assert.deepEqual(list.get('kept'),
                   { id: 'kept', title: 'Kept', exchanges: 2, lastActivity: 2000, known: true });
  assert.equal(list.get('remote').known, true);
  assert.deepEqual(list.applyServerList('nonsense'), []);
});

test('newest first, new (never active) ones on top, stable by id', () => {
  const list = new ConversationList();
  list.add('b', { lastActivity: 100 });
  list.add('a', { lastActivity: 300 });
  list.add('new-2');
  list.add('new-1');
  list.add('c', { lastActivity: 200 });
  assert.deepEqual(list.items().map((e) => e.id), ['new-1', 'new-2', 'a', 'c', 'b']);
  list.touch('b', 400, { exchange: true });
  assert.deepEqual(list.items().map((e) => e.id), ['new-1', 'new-2', 'b', 'a', 'c']);
  assert.equal(list.get('b').exchanges, 1);
});

test('the first message names a conversation; later ones do not rename it', () => {
  const list = new ConversationList();
  list.add('c1');
  list.setTitle('c1', 'First question');
  list.setTitle('c1', 'Second question');
  list.setTitle('missing', 'ignored');
  assert.equal(list.get('c1').title, 'First question');
  assert.equal(list.add('bad id'), null);
});

test('it survives the resume state (toJSON / fromJSON), ignoring junk', () => {
  const list = new ConversationList();
  list.add('c1', { title: 'One', exchanges: 3, lastActivity: 50, known: true });
  list.add('c2', { title: 'Two' });
  const again = ConversationList.fromJSON(JSON.parse(JSON.stringify(list)));
  assert.deepEqual(again.items(), list.items());
  const junk = ConversationList.fromJSON([{ id: 'ok', exchanges: -3, lastActivity: 'x' }, 5, null,
                                         { id: '' }]);
  assert.deepEqual(junk.items(),
                   [{ id: 'ok', title: '', exchanges: 0, lastActivity: 0, known: false }]);
  assert.equal(ConversationList.fromJSON(undefined).size, 0);
});
