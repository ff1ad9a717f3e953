// The page's WebSocket loop against fake sockets and mocked timers: the subprotocol it
// offers and accepts, a URL asked for before every attempt, what it reports about a close,
// locking and resuming; taking a session back with `resume`, and a drain's going_away.
// Run: node --test tests/web/chat_connection.test.mjs

import assert from 'node:assert/strict';
import { afterEach, beforeEach, mock, test } from 'node:test';

import {
  ChatConnection, SUBPROTOCOL, isUsableSubprotocol,
} from '../../gateway/web/chat_connection.js';
import { UNKNOWN_SERVICE } from '../../gateway/web/service_status.js';

// What "session" says of a gateway that tells neither its limits nor its service (older).
const UNTOLD = {
  limits: { maxMessageBytes: null, maxActiveReplies: null, maxConversations: null },
  service: UNKNOWN_SERVICE,
};

// A browser WebSocket as far as ChatConnection uses it; the test plays the gateway.
class FakeSocket extends EventTarget {
  protocol = '';
  sent = [];
  closedByPage = null;

  constructor(url, protocols) {
    super();
    this.url = url;
    this.protocols = protocols;
  }

  send(data) { this.sent.push(JSON.parse(data)); }

  close(code = 1005, reason = '') {
    this.closedByPage = { code, reason };
    // A socket the page closes before the handshake finished reports 1006, as browsers do.
    const opened = this.opened === true;
    queueMicrotask(() => this.closeWith(opened ? code : 1006, opened ? reason : ''));
  }

  accept(protocol = SUBPROTOCOL) {
    this.opened = true;
    this.protocol = protocol;
    this.dispatchEvent(new Event('open'));
  }

  receive(frame) {
    this.dispatchEvent(new MessageEvent('message', { data: JSON.stringify(frame) }));
  }

  establish(sessionId = 'session-1') {
    this.accept();
    this.receive({ type: 'connection_established', sessionId, seq: 1 });
  }

  closeWith(code, reason = '') {
    this.dispatchEvent(Object.assign(new Event('close'), { code, reason }));
  }
}

let sockets;
let plans;  // what prepare() answers, in order; a URL is made up once they run out
let closes;  // what afterClose() was told
let decisions;  // what afterClose() answers, in order; then { retry: true }
let states;
let resumeWith;  // what resumeRequest() answers

function connection() {
  const c = new ChatConnection({
    prepare: async () => plans.shift() ?? { url: `ws://gw/ws?ticket=t${sockets.length + 1}` },
    afterClose: async (info) => {
      closes.push(info);
      return decisions.shift() ?? { retry: true };
    },
    createSocket: (url, protocols) => {
      const socket = new FakeSocket(url, protocols);
      sockets.push(socket);
      return socket;
    },
    random: () => 0,  // backoff: 250 ms, 500 ms, 1 s, ...
    resumeRequest: () => resumeWith,
  });
  c.addEventListener('state', ({ detail }) => states.push(detail));
  return c;
}

// Lets the promise chains between prepare(), the socket and afterClose() run.
async function settle() {
  for (let i = 0; i < 10; i++) await new Promise((resolve) => setImmediate(resolve));
}

beforeEach(() => {
  sockets = [];
  plans = [];
  closes = [];
  decisions = [];
  states = [];
  resumeWith = null;
  mock.timers.enable({ apis: ['setTimeout'] });
});

afterEach(() => mock.timers.reset());

test('the page speaks streamgate.v1, and accepts a gateway that names no subprotocol', () => {
  assert.equal(SUBPROTOCOL, 'streamgate.v1');
  assert.equal(isUsableSubprotocol('streamgate.v1'), true);
  assert.equal(isUsableSubprotocol(''), true, 'an older gateway echoes nothing');
  assert.equal(isUsableSubprotocol('streamgate.v2'), false);
  assert.equal(isUsableSubprotocol('streamgate.bearer.sg_x'), false);
});

test('every attempt offers the subprotocol and gets its URL from prepare()', async () => {
  const c = connection();
  plans.push({ url: 'ws://gw/ws?ticket=first' });
  c.start();
  await settle();
  assert.equal(sockets.length, 1);
  assert.equal(sockets[0].url, 'ws://gw/ws?ticket=first');
  assert.deepEqual(sockets[0].protocols, ['streamgate.v1']);
  sockets[0].establish();
  assert.equal(c.isOpen, true);
  assert.equal(c.protocol, 'streamgate.v1');

  sockets[0].closeWith(1006);
  await settle();
  mock.timers.tick(250);
  await settle();
  assert.equal(sockets.length, 2);
  assert.equal(sockets[1].url, 'ws://gw/ws?ticket=t2', 'a fresh URL (ticket) per attempt');
  assert.deepEqual(sockets[1].protocols, ['streamgate.v1']);
});

test('afterClose() learns whether the socket ever opened, and the close code', async () => {
  const c = connection();
  const closed = [];
  c.addEventListener('closed', ({ detail }) => closed.push(detail));
  c.start();
  await settle();
  sockets[0].closeWith(1006);  // refused before the upgrade: a browser sees only this
  await settle();
  assert.deepEqual(closes[0],
                   { opened: false, hadSession: false, code: 1006, reason: '', goingAway: false });
  assert.deepEqual(closed, [], 'no "closed" for a connection that never was');

  mock.timers.tick(250);
  await settle();
  sockets[1].establish();
  sockets[1].closeWith(4001, 'credential revoked');
  await settle();
  const revoked = {
    opened: true, hadSession: true, code: 4001, reason: 'credential revoked', goingAway: false,
  };
  assert.deepEqual(closes[1], revoked);
  assert.deepEqual(closed, [revoked]);
});

test('a lock from afterClose() stops retrying until resume()', async () => {
  const c = connection();
  decisions.push({ locked: 'needed' });
  c.start();
  await settle();
  sockets[0].closeWith(1006);
  await settle();
  assert.equal(c.state, 'locked');
  assert.deepEqual(states.at(-1), { state: 'locked', attempt: 0, reason: 'needed' });
  mock.timers.tick(60000);
  await settle();
  assert.equal(sockets.length, 1, 'nothing tried while locked');

  c.resume();
  await settle();
  assert.equal(sockets.length, 2);
  sockets[1].establish();
  assert.equal(c.isOpen, true);
});

test('a lock from prepare() opens no socket', async () => {
  const c = connection();
  plans.push({ locked: 'rejected' });
  c.start();
  await settle();
  assert.equal(sockets.length, 0);
  assert.equal(c.state, 'locked');
  assert.equal(states.at(-1).reason, 'rejected');
});

test('a wait from prepare() backs off, at least as long as the gateway asked', async () => {
  const c = connection();
  plans.push({ wait: true, retryAfterMs: 3000 }, { wait: true, why: 'forbidden' });
  c.start();
  await settle();
  assert.equal(sockets.length, 0);
  assert.deepEqual(states.at(-1), { state: 'waiting', attempt: 1, delayMs: 3000 });
  mock.timers.tick(2999);
  await settle();
  assert.equal(states.at(-1).state, 'waiting');
  mock.timers.tick(1);
  await settle();
  assert.deepEqual(states.at(-1), { state: 'waiting', attempt: 2, delayMs: 500, why: 'forbidden' });
  mock.timers.tick(500);
  await settle();
  assert.equal(sockets.length, 1);
});

test('a prepare() that throws counts as a failed attempt', async () => {
  const c = new ChatConnection({
    prepare: async () => { throw new Error('boom'); },
    createSocket: () => assert.fail('no socket without a URL'),
    random: () => 0,
  });
  c.addEventListener('state', ({ detail }) => states.push(detail));
  c.start();
  await settle();
  assert.equal(states.at(-1).state, 'waiting');
});

test('a socket that opens with a subprotocol the page does not speak is closed', async () => {
  const c = connection();
  c.start();
  await settle();
  sockets[0].accept('streamgate.v2');
  assert.deepEqual(sockets[0].closedByPage, { code: 1000, reason: 'unexpected subprotocol' });
  await settle();
  assert.equal(c.isOpen, false);
  assert.equal(states.at(-1).state, 'waiting');
});

test('an older gateway that echoes no subprotocol still gets a session', async () => {
  const c = connection();
  c.start();
  await settle();
  sockets[0].accept('');
  sockets[0].receive({ type: 'connection_established', sessionId: 'old', seq: 1 });
  assert.equal(c.isOpen, true);
  assert.equal(c.protocol, '');
  assert.equal(sockets[0].closedByPage, null);
});

test('resume() while waiting starts at once and the old timer is dropped', async () => {
  const c = connection();
  c.start();
  await settle();
  sockets[0].closeWith(1006);
  await settle();
  assert.equal(c.state, 'waiting');
  c.resume();
  await settle();
  assert.equal(sockets.length, 2);
  mock.timers.tick(10000);
  await settle();
  assert.equal(sockets.length, 2, 'the scheduled retry did not also run');
});

test('authenticate goes out only on an established session, with its id', async () => {
  const c = connection();
  assert.equal(c.sendAuthenticate('a.b.c'), false);
  c.start();
  await settle();
  sockets[0].establish('s-9');
  assert.equal(c.sendAuthenticate('a.b.c'), true);
  assert.deepEqual(sockets[0].sent, [{ type: 'authenticate', token: 'a.b.c', sessionId: 's-9' }]);
});

test('an attempt that never gets established is abandoned after 10 s', async () => {
  const c = connection();
  c.start();
  await settle();
  mock.timers.tick(10000);
  await settle();
  assert.deepEqual(sockets[0].closedByPage, { code: 1005, reason: '' });
  assert.equal(closes[0].opened, false);
  assert.equal(c.state, 'waiting');
});

// --- resume and going_away ---

function sessions(c) {
  const seen = [];
  c.addEventListener('session', ({ detail }) => seen.push(detail));
  return seen;
}

test('with a session to take back, resume is the first frame and the replay comes first', async () => {
  resumeWith = { sessionId: 'old', resumeToken: 'secret-1', lastSeq: 41 };
  const c = connection();
  const seen = sessions(c);
  const frames = [];
  c.addEventListener('frame', ({ detail }) => frames.push(detail));
  c.start();
  await settle();
  sockets[0].accept();
  sockets[0].receive({ type: 'connection_established', sessionId: 'fresh', seq: 1,
                       resumeToken: 'fresh-token' });
  assert.deepEqual(sockets[0].sent,
                   [{ type: 'resume', sessionId: 'old', resumeToken: 'secret-1', lastSeq: 41 }]);
  assert.equal(c.isOpen, false, 'not usable until the resume is answered');
  assert.equal(c.sendUserMessage('too early', 'c1'), false);

  sockets[0].receive({ type: 'stream_chunk', sessionId: 'old', seq: 42, content: 'replayed' });
  assert.deepEqual(frames.map((f) => f.seq), [42], 'the replay is delivered as frames');
  assert.deepEqual(seen, []);
  sockets[0].receive({ type: 'session_resumed', sessionId: 'old', seq: 43, replayed: 1,
                       resumeToken: 'secret-2' });
  assert.equal(c.isOpen, true);
  assert.equal(c.sessionId, 'old');
  assert.deepEqual(seen, [{ sessionId: 'old', resumeToken: 'secret-2', seq: 43, resumed: true,
                            replayed: 1, resumeFailed: null, reconnected: false, ...UNTOLD }]);
  assert.equal(frames.length, 1, 'session_resumed is not a frame for the page');

  assert.equal(c.sendUserMessage('hi', 'c1'), true);
  assert.deepEqual(sockets[0].sent[1],
                   { type: 'user_message', content: 'hi', conversationId: 'c1', sessionId: 'old' });
});

test('a failed resume goes on as the fresh session, with the reason', async () => {
  resumeWith = { sessionId: 'old', resumeToken: 'secret-1', lastSeq: 7 };
  const c = connection();
  const seen = sessions(c);
  c.start();
  await settle();
  sockets[0].accept();
  sockets[0].receive({ type: 'connection_established', sessionId: 'fresh', seq: 1,
                       resumeToken: 'fresh-token' });
  sockets[0].receive({ type: 'error', code: 'resume_failed', reason: 'expired',
                       sessionId: 'fresh', seq: 2 });
  assert.equal(c.isOpen, true);
  assert.equal(c.sessionId, 'fresh');
  assert.deepEqual(seen, [{ sessionId: 'fresh', resumeToken: 'fresh-token', seq: 2,
                            resumed: false, resumeFailed: 'expired', reconnected: false,
                            ...UNTOLD }]);
});

test('a resume that is never answered is abandoned after 30 s and tried again', async () => {
  resumeWith = { sessionId: 'old', resumeToken: 'secret-1', lastSeq: 3 };
  const c = connection();
  c.start();
  await settle();
  sockets[0].accept();
  sockets[0].receive({ type: 'connection_established', sessionId: 'fresh', seq: 1,
                       resumeToken: 'fresh-token' });
  mock.timers.tick(29999);
  assert.equal(sockets[0].closedByPage, null);
  mock.timers.tick(1);
  assert.deepEqual(sockets[0].closedByPage, { code: 1005, reason: '' });
  await settle();
  assert.equal(c.state, 'waiting');
  mock.timers.tick(250);
  await settle();
  sockets[1].accept();
  sockets[1].receive({ type: 'connection_established', sessionId: 'fresh-2', seq: 1 });
  assert.equal(sockets[1].sent[0].type, 'resume', 'the next connection resumes again');
});

test('without a session to take back, connection_established opens a fresh one', async () => {
  const c = connection();
  const seen = sessions(c);
  c.start();
  await settle();
  sockets[0].accept();
  sockets[0].receive({ type: 'connection_established', sessionId: 's', seq: 1,
                       resumeToken: 'tok' });
  assert.deepEqual(sockets[0].sent, []);
  assert.deepEqual(seen, [{ sessionId: 's', resumeToken: 'tok', seq: 1, resumed: false,
                            resumeFailed: null, reconnected: false, ...UNTOLD }]);
  assert.equal(c.limits.maxMessageBytes, null, 'no limit known: the page refuses nothing');
});

const LIMITS = { maxMessageBytes: 262144, maxActiveReplies: 4, maxConversations: 32 };
const SERVICE = { state: 'ready', provider: 'claude', model: 'claude-sonnet-4-5' };

test('the limits and service of connection_established come with the session, fresh or resumed', async () => {
  resumeWith = { sessionId: 'old', resumeToken: 'secret-1', lastSeq: 5 };
  const c = connection();
  const seen = sessions(c);
  const frames = [];
  c.addEventListener('frame', ({ detail }) => frames.push(detail));
  c.start();
  await settle();
  sockets[0].accept();
  sockets[0].receive({ type: 'connection_established', sessionId: 'fresh', seq: 1,
                       resumeToken: 'fresh-token', limits: LIMITS, service: SERVICE,
                       content: 'Connected to server' });
  sockets[0].receive({ type: 'session_resumed', sessionId: 'old', seq: 6, replayed: 0 });
  assert.deepEqual(seen[0].limits, LIMITS);
  assert.deepEqual(seen[0].service, SERVICE);
  assert.deepEqual(c.limits, LIMITS);
  // A status frame has no seq: it is delivered like any other frame.
  const status = { type: 'status', sessionId: 'old',
                   service: { state: 'unavailable', provider: 'claude', model: '' } };
  sockets[0].receive(status);
  assert.deepEqual(frames, [status]);
});

test('userMessageBytes counts the UTF-8 bytes of exactly the frame sendUserMessage sends', async () => {
  const c = connection();
  c.start();
  await settle();
  sockets[0].establish('a-session');
  for (const content of ['hi', 'é "quoted"\n\tline', '😀 emoji and \u0001 control']) {
    const bytes = c.userMessageBytes(content, 'c1');
    assert.equal(c.sendUserMessage(content, 'c1'), true);
    const sent = JSON.stringify(sockets[0].sent.at(-1));
    assert.equal(bytes, Buffer.byteLength(sent, 'utf8'), content);
  }
});

test('going_away and close 1012: a restart, retried after retryAfterMs', async () => {
  const c = connection();
  const closed = [];
  c.addEventListener('closed', ({ detail }) => closed.push(detail));
  c.start();
  await settle();
  sockets[0].establish();
  sockets[0].receive({ type: 'going_away', retryAfterMs: 1500, seq: 2 });
  sockets[0].closeWith(1012, 'service restart');
  await settle();
  assert.equal(closed[0].goingAway, true);
  assert.deepEqual(states.at(-1), { state: 'waiting', attempt: 1, delayMs: 1500, why: 'restart' });
  mock.timers.tick(1499);
  await settle();
  assert.equal(sockets.length, 1, 'not before retryAfterMs');
  mock.timers.tick(1);
  await settle();
  assert.equal(sockets.length, 2);

  sockets[1].closeWith(1006);  // the new process is not up yet: still the restart
  await settle();
  assert.equal(states.at(-1).why, 'restart');
  mock.timers.tick(500);
  await settle();
  sockets[2].establish();
  sockets[2].closeWith(1006);  // an ordinary drop after that
  await settle();
  assert.equal(states.at(-1).why, undefined);
});

test('a close 1012 without going_away is a restart too', async () => {
  const c = connection();
  c.start();
  await settle();
  sockets[0].establish();
  sockets[0].closeWith(1012);
  await settle();
  assert.equal(closes[0].goingAway, true);
  assert.equal(states.at(-1).why, 'restart');
});

test('conversation requests carry their conversationId', async () => {
  const c = connection();
  c.start();
  await settle();
  sockets[0].establish('s');
  c.sendCancel('c1');
  c.sendGetHistory('c2');
  c.sendListConversations();
  c.sendDeleteConversation('c3');
  assert.deepEqual(sockets[0].sent, [
    { type: 'cancel', conversationId: 'c1', sessionId: 's' },
    { type: 'get_history', conversationId: 'c2' },
    { type: 'list_conversations' },
    { type: 'delete_conversation', conversationId: 'c3' },
  ]);
});
