// The tab's resume state (resume_state.js) and the page's hold on its session
// (session_keeper.js): what is stored, when, and what a resume is sent with.
// Run: node --test tests/web/resume_state.test.mjs

import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  RESUME_STORAGE_KEY, ResumeStateStore, parseResumeState, serializeResumeState,
} from '../../gateway/web/resume_state.js';
import { SAVE_DELAY_MS, SessionKeeper } from '../../gateway/web/session_keeper.js';

class MemoryStorage {
  items = new Map();
  writes = 0;
  failWrites = false;
  getItem(key) { return this.items.get(key) ?? null; }
  setItem(key, value) {
    if (this.failWrites) throw new Error('QuotaExceededError');
    this.writes++;
    this.items.set(key, String(value));
  }
  removeItem(key) { this.items.delete(key); }
}

const throwing = {
  getItem() { throw new Error('SecurityError'); },
  setItem() { throw new Error('SecurityError'); },
  removeItem() { throw new Error('SecurityError'); },
};

const state = {
  sessionId: 's-1',
  resumeToken: 'tok-1',
  lastSeq: 12,
  conversationId: 'c-1',
  conversations: [{ id: 'c-1', title: 'Hi', exchanges: 1, lastActivity: 5, known: true }],
  replies: { 'c-1': { user: 'q', text: 'Echo', outcome: null, note: '', endSeq: 0 } },
};

test('the state round-trips through one key', () => {
  const storage = new MemoryStorage();
  const store = new ResumeStateStore(storage);
  assert.equal(store.load(), null);
  store.save(state);
  assert.deepEqual([...storage.items.keys()], [RESUME_STORAGE_KEY]);
  assert.deepEqual(store.load(), state);
  assert.deepEqual(new ResumeStateStore(storage).load(), state, 'a reload reads it back');
  store.clear();
  assert.equal(store.load(), null);
});

test('an unusable stored state counts as none (the page starts fresh)', () => {
  const good = JSON.parse(serializeResumeState(state));
  const broken = [
    'not json', 'null', '[]', '{}',
    JSON.stringify({ ...good, v: 2 }),
    JSON.stringify({ ...good, sessionId: '' }),
    JSON.stringify({ ...good, resumeToken: 7 }),
    JSON.stringify({ ...good, lastSeq: -1 }),
    JSON.stringify({ ...good, lastSeq: 1.5 }),
  ];
  for (const json of broken) assert.equal(parseResumeState(json), null, json);
});

test('bad parts are dropped, the rest is kept', () => {
  const json = JSON.stringify({
    ...JSON.parse(serializeResumeState(state)),
    conversationId: 'not an id',
    conversations: 'nope',
    replies: { 'bad id!': { text: 'x' }, ok: { text: 'y' }, worse: 'z' },
  });
  const parsed = parseResumeState(json);
  assert.equal(parsed.conversationId, null);
  assert.deepEqual(parsed.conversations, []);
  assert.deepEqual(Object.keys(parsed.replies), ['ok']);
});

test('without usable sessionStorage the state lives in the page', () => {
  const store = new ResumeStateStore(throwing);
  store.save(state);
  assert.deepEqual(store.load(), state);
  store.clear();
  assert.equal(store.load(), null);
  const none = new ResumeStateStore(null);
  none.save(state);
  assert.deepEqual(none.load(), state);
});

test('a full storage keeps the newest state in the page, never an older stored one', () => {
  const storage = new MemoryStorage();
  const store = new ResumeStateStore(storage);
  store.save(state);
  storage.failWrites = true;
  store.save({ ...state, lastSeq: 99 });
  assert.equal(store.load().lastSeq, 99);
  assert.equal(storage.getItem(RESUME_STORAGE_KEY), null, 'the stale copy is gone');
  storage.failWrites = false;
  store.save({ ...state, lastSeq: 100 });
  assert.equal(new ResumeStateStore(storage).load().lastSeq, 100);
});

// --- SessionKeeper ---

function keeper(storage = new MemoryStorage()) {
  const timers = [];
  const page = { conversationId: 'c-1', conversations: [], replies: {} };
  const k = new SessionKeeper({
    store: new ResumeStateStore(storage),
    collect: () => page,
    setTimer: (fn, ms) => timers.push({ fn, ms }) && timers.length,
    clearTimer: (id) => { timers[id - 1].fn = null; },
  });
  const runTimers = () => {
    for (const timer of timers.splice(0)) timer.fn?.();
  };
  return { k, storage, page, timers, runTimers };
}

const stored = (storage) => JSON.parse(storage.getItem(RESUME_STORAGE_KEY));

test('a fresh session is written at once and resumed with its token and lastSeq', () => {
  const { k, storage } = keeper();
  assert.equal(k.resumeRequest(), null, 'nothing to resume before the first session');
  k.fresh({ sessionId: 's-1', resumeToken: 'tok-1', seq: 1 });
  assert.equal(stored(storage).resumeToken, 'tok-1');
  assert.equal(k.admit({ type: 'stream_chunk', seq: 2 }), true);
  assert.equal(k.admit({ type: 'stream_chunk', seq: 3 }), true);
  assert.deepEqual(k.resumeRequest(), { sessionId: 's-1', resumeToken: 'tok-1', lastSeq: 3 });
});

test('frames are written together, at most once per delay, and flush() writes what waits', () => {
  const { k, storage, page, timers, runTimers } = keeper();
  k.fresh({ sessionId: 's-1', resumeToken: 'tok-1', seq: 1 });
  const writes = storage.writes;
  for (let seq = 2; seq <= 50; seq++) k.admit({ seq });
  assert.equal(timers.length, 1, 'one pending write');
  assert.equal(timers[0].ms, SAVE_DELAY_MS);
  assert.equal(storage.writes, writes);
  page.replies = { 'c-1': { user: 'q', text: 'so far', outcome: null, note: '', endSeq: 0 } };
  runTimers();
  assert.equal(storage.writes, writes + 1);
  assert.equal(stored(storage).lastSeq, 50);
  assert.equal(stored(storage).replies['c-1'].text, 'so far', 'the text the seq covers');

  k.admit({ seq: 51 });
  k.flush();
  assert.equal(stored(storage).lastSeq, 51, 'pagehide: written now');
  k.flush();
  assert.equal(storage.writes, writes + 2, 'nothing pending: nothing written');
});

test('a duplicate frame is not processed and does not move lastSeq', () => {
  const { k } = keeper();
  k.fresh({ sessionId: 's-1', resumeToken: 'tok-1', seq: 1 });
  k.admit({ seq: 5 });
  assert.equal(k.admit({ seq: 5 }), false);
  assert.equal(k.admit({ seq: 3 }), false);
  assert.equal(k.lastSeq, 5);
});

test('session_resumed brings the next token, written at once', () => {
  const { k, storage } = keeper();
  k.fresh({ sessionId: 's-1', resumeToken: 'tok-1', seq: 1 });
  k.admit({ seq: 8 });
  k.resumed({ sessionId: 's-1', resumeToken: 'tok-2', seq: 9 });
  assert.equal(stored(storage).resumeToken, 'tok-2');
  assert.equal(stored(storage).lastSeq, 9);
  k.resumed({ sessionId: 's-1', resumeToken: undefined, seq: 10 });
  assert.equal(k.resumeRequest().resumeToken, 'tok-2', 'no new token: the last one stays');
});

test('a reload restores the session; a failed resume drops it for the fresh one', () => {
  const storage = new MemoryStorage();
  new ResumeStateStore(storage).save(state);
  const { k } = keeper(storage);
  assert.deepEqual(k.restore(), state);
  assert.deepEqual(k.resumeRequest(), { sessionId: 's-1', resumeToken: 'tok-1', lastSeq: 12 });
  k.fresh({ sessionId: 'fresh', resumeToken: 'tok-f', seq: 2 });
  assert.deepEqual(k.resumeRequest(), { sessionId: 'fresh', resumeToken: 'tok-f', lastSeq: 2 });
  assert.equal(stored(storage).sessionId, 'fresh');
  assert.deepEqual(stored(storage).replies, {});
});

test('a session without a token (an older gateway) is not kept', () => {
  const { k, storage } = keeper();
  k.fresh({ sessionId: 's-old', resumeToken: undefined, seq: 1 });
  assert.equal(k.hasSession, false);
  assert.equal(k.resumeRequest(), null);
  k.admit({ seq: 2 });
  k.flush();
  assert.equal(storage.getItem(RESUME_STORAGE_KEY), null);
});
