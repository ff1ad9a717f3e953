// The page's one WebSocket to the gateway's /ws, reopened with backoff whenever it drops.
// It knows the protocol's framing (JSON text frames, the session id the server assigns,
// the streamgate.v1 subprotocol), the opening of each connection (connection_established,
// then `resume` when the page has a session to take back, answered by session_resumed or
// resume_failed) and a drain's going_away (the next attempt waits retryAfterMs), but not
// what the frames mean for the page; app.js does. Where each attempt goes and whether to try
// again is asked of two callbacks (see connection_access.js); what to resume, of a third
// (session_keeper.js). Runs on the page's main thread.
//
// Events (CustomEvent, details in parentheses):
//   "state"   ({ state: "connecting" | "open" | "waiting" | "locked", attempt, ... })
//             "waiting" means closed and a retry is scheduled delayMs from now (`why` may
//             say why: "restart" after a going_away or close 1012 until a session is back,
//             on "connecting" too);
//             "locked" means no retry until resume() (`reason` says why).
//   "session" ({ sessionId, resumeToken, seq, reconnected, resumed, resumeFailed, replayed,
//             limits, service })
//             once per connection when it is usable: `resumed` when the session was taken
//             back (seq and token are session_resumed's; the replay came before as frames),
//             else a fresh session (connection_established's, or resume_failed's seq, and
//             resumeFailed its reason). resumeToken is a secret: never log it. `limits` and
//             `service` are this connection's connection_established's (message_limits.js,
//             service_status.js); later `status` frames come as "frame".
//   "frame"   (the parsed server frame) for every other frame, replayed ones included.
//   "closed"  ({ hadSession, code, reason, goingAway }) when an open connection is lost.

import { backoffDelay } from './backoff.js';
import { frameBytes, readLimits, userMessageFrame } from './message_limits.js';
import { readService } from './service_status.js';

export const SUBPROTOCOL = 'streamgate.v1';

// A connection that is not established (handshake done and connection_established
// received) within this time is abandoned and retried.
const ESTABLISH_TIMEOUT_MS = 10000;
// A `resume` not answered (replay, then session_resumed or resume_failed) within this time
// is abandoned too. Frames that did arrive count as processed, so the next try asks less.
const RESUME_TIMEOUT_MS = 30000;
// A Retry-After from the gateway is honoured up to this; beyond it the backoff decides.
const MAX_RETRY_AFTER_MS = 60000;
// The close code of a drain ("service restart"): resume elsewhere, not an error.
export const CLOSE_SERVICE_RESTART = 1012;

// Whether the subprotocol the gateway answered with is one this page speaks. The page
// always offers streamgate.v1; a gateway from before the subprotocol existed answers none
// ("") and speaks the same frames, so that is accepted too. A browser already fails a
// handshake whose answer names a protocol it did not offer, so this is the last word.
export function isUsableSubprotocol(protocol) {
  return protocol === SUBPROTOCOL || protocol === '';
}

export class ChatConnection extends EventTarget {
  #prepare;
  #afterClose;
  #resumeRequest;
  #createSocket;
  #random;
  #socket = null;
  #opened = false;  // the current socket fired "open" (the upgrade was accepted)
  #protocol = '';
  #sessionId = null;
  #everConnected = false;
  #attempt = 0;  // consecutive failed attempts since the last established session
  #generation = 0;  // one per attempt; the async answers of an older one are dropped
  #retryTimer = null;
  #establishTimer = null;
  #state = 'idle';
  #fresh = null;  // while a resume is answered: connection_established's session
  #resumingId = null;  // the session a `resume` was sent for, until it is answered
  #goingAwayMs = 0;  // the going_away of this connection: wait this long before the next
  #restarting = false;  // the gateway said it restarts; until a session is established
  #limits = readLimits(null);  // the latest connection_established's (none known: nulls)

  // prepare(): resolves to { url } for the next attempt, { wait, retryAfterMs, why } to
  //   count it as failed, or { locked } to stop.
  // afterClose({ opened, hadSession, code, reason }): resolves to { retry, retryAfterMs,
  //   why } or { locked }.
  // resumeRequest(): { sessionId, resumeToken, lastSeq } to send `resume` with as the first
  //   frame of each connection, or null for a fresh session.
  constructor({
    prepare,
    afterClose = () => ({ retry: true }),
    resumeRequest = () => null,
    createSocket = (url, protocols) => new WebSocket(url, protocols),
    random = Math.random,
  }) {
    super();
    this.#prepare = prepare;
    this.#afterClose = afterClose;
    this.#resumeRequest = resumeRequest;
    this.#createSocket = createSocket;
    this.#random = random;
  }

  get state() { return this.#state; }
  get sessionId() { return this.#sessionId; }
  get isOpen() { return this.#state === 'open'; }
  // The subprotocol of the established connection ("" from an older gateway).
  get protocol() { return this.#protocol; }
  // The gateway's limits as the latest connection_established told them (message_limits.js).
  get limits() { return this.#limits; }

  // The size in bytes of the user_message frame sendUserMessage would send now.
  userMessageBytes(content, conversationId) {
    return frameBytes(userMessageFrame(content, conversationId, this.#sessionId));
  }

  start() {
    if (this.#state === 'idle') this.#connect();
  }

  // Skips the wait before the next attempt (a "Retry now" button, the browser coming online).
  reconnectNow() {
    if (this.#state !== 'waiting') return;
    this.#connect();
  }

  // Tries again now after a lock (a credential was given) or a wait, as a fresh start.
  resume() {
    if (this.#state !== 'locked' && this.#state !== 'waiting') return;
    this.#attempt = 0;
    this.#connect();
  }

  // Each returns false (and sends nothing) when there is no established session. A missing
  // conversationId means the gateway's "default" conversation.
  sendUserMessage(content, conversationId) {
    return this.#send(userMessageFrame(content, conversationId, this.#sessionId));
  }

  sendCancel(conversationId) {
    return this.#send({ type: 'cancel', conversationId, sessionId: this.#sessionId });
  }

  sendGetHistory(conversationId) {
    return this.#send({ type: 'get_history', conversationId });
  }

  sendListConversations() {
    return this.#send({ type: 'list_conversations' });
  }

  sendDeleteConversation(conversationId) {
    return this.#send({ type: 'delete_conversation', conversationId });
  }

  sendAuthenticate(token) {
    return this.#send({ type: 'authenticate', token, sessionId: this.#sessionId });
  }

  #send(frame) {
    if (this.#state !== 'open') return false;
    this.#socket.send(JSON.stringify(frame));
    return true;
  }

  #setState(state, extra = {}) {
    this.#state = state;
    this.dispatchEvent(new CustomEvent('state', {
      detail: { state, attempt: this.#attempt, ...extra },
    }));
  }

  async #connect() {
    clearTimeout(this.#retryTimer);
    this.#retryTimer = null;
    const generation = ++this.#generation;
    this.#sessionId = null;
    this.#setState('connecting', this.#restarting ? { why: 'restart' } : {});
    let plan;
    try {
      plan = await this.#prepare();
    } catch {
      plan = { wait: true };
    }
    if (generation !== this.#generation) return;
    if (plan?.locked) return this.#lock(plan.locked);
    if (!plan?.url) return this.#scheduleRetry(plan ?? {});
    let socket;
    try {
      socket = this.#createSocket(plan.url, [SUBPROTOCOL]);
    } catch {
      // A malformed URL or a blocked scheme: treat it like a failed attempt.
      return this.#scheduleRetry({});
    }
    this.#socket = socket;
    this.#opened = false;
    this.#goingAwayMs = 0;
    this.#establishTimer = setTimeout(() => socket.close(), ESTABLISH_TIMEOUT_MS);
    socket.addEventListener('open', () => {
      if (this.#socket === socket) this.#onOpen();
    });
    socket.addEventListener('message', (event) => {
      if (this.#socket === socket) this.#onMessage(event.data);
    });
    socket.addEventListener('close', (event) => {
      if (this.#socket === socket) this.#onClose(event);
    });
  }

  #onOpen() {
    this.#opened = true;
    this.#protocol = this.#socket.protocol ?? '';
    // 1000 is one of the two codes a page may close with; the attempt then counts as failed.
    if (!isUsableSubprotocol(this.#protocol)) this.#socket.close(1000, 'unexpected subprotocol');
  }

  #onMessage(data) {
    let frame;
    try {
      frame = JSON.parse(data);
    } catch {
      return;  // not ours to interpret; the server only sends JSON
    }
    if (frame === null || typeof frame !== 'object') return;
    if (this.#state === 'connecting' && this.#resumingId === null &&
        frame.type === 'connection_established') {
      return this.#onEstablished(frame);
    }
    if (this.#resumingId !== null) {
      if (frame.type === 'session_resumed') {
        const sessionId = typeof frame.sessionId === 'string' ? frame.sessionId : this.#resumingId;
        return this.#open({ sessionId, resumeToken: tokenOf(frame), seq: frame.seq,
                            resumed: true, replayed: frame.replayed,
                            limits: this.#fresh.limits, service: this.#fresh.service });
      }
      if (frame.type === 'error' && frame.code === 'resume_failed') {
        return this.#open({ ...this.#fresh, seq: frame.seq ?? this.#fresh.seq, resumed: false,
                            resumeFailed: String(frame.reason ?? 'unknown') });
      }
    }
    if (frame.type === 'going_away') {
      const ms = Number(frame.retryAfterMs);
      this.#goingAwayMs = Number.isFinite(ms) && ms > 0 ? ms : 1;
    }
    this.dispatchEvent(new CustomEvent('frame', { detail: frame }));
  }

  // The connection's own fresh session is there: take back the page's session, if it has
  // one, with `resume` as the first frame; else the fresh session is the page's.
  #onEstablished(frame) {
    clearTimeout(this.#establishTimer);
    this.#limits = readLimits(frame);
    const fresh = { sessionId: String(frame.sessionId ?? ''), resumeToken: tokenOf(frame),
                    seq: frame.seq, limits: this.#limits, service: readService(frame) };
    let resume = null;
    try {
      resume = this.#resumeRequest();
    } catch {
      resume = null;
    }
    if (resume?.sessionId && resume.resumeToken && resume.sessionId !== fresh.sessionId) {
      this.#fresh = fresh;
      this.#resumingId = resume.sessionId;
      const socket = this.#socket;
      this.#establishTimer = setTimeout(() => socket.close(), RESUME_TIMEOUT_MS);
      socket.send(JSON.stringify({
        type: 'resume', sessionId: resume.sessionId, resumeToken: resume.resumeToken,
        lastSeq: resume.lastSeq,
      }));
      return;
    }
    this.#open({ ...fresh, resumed: false });
  }

  #open(detail) {
    clearTimeout(this.#establishTimer);
    this.#fresh = null;
    this.#resumingId = null;
    this.#restarting = false;
    this.#sessionId = detail.sessionId;
    this.#attempt = 0;
    const reconnected = this.#everConnected;
    this.#everConnected = true;
    this.#setState('open');
    this.dispatchEvent(new CustomEvent('session', {
      detail: { resumeFailed: null, ...detail, reconnected },
    }));
  }

  #onClose(event) {
    clearTimeout(this.#establishTimer);
    const hadSession = this.#state === 'open';
    const code = event?.code ?? 1006;
    const goingAwayMs = this.#goingAwayMs;
    const goingAway = goingAwayMs > 0 || code === CLOSE_SERVICE_RESTART;
    const info = {
      opened: this.#opened, hadSession, code, reason: event?.reason ?? '', goingAway,
    };
    if (goingAway) this.#restarting = true;
    this.#socket = null;
    this.#sessionId = null;
    this.#opened = false;
    this.#fresh = null;
    this.#resumingId = null;
    this.#goingAwayMs = 0;
    const generation = this.#generation;
    if (hadSession) {
      this.#setState('connecting', this.#restarting ? { why: 'restart' } : {});
      this.dispatchEvent(new CustomEvent('closed', { detail: info }));
    }
    Promise.resolve()
      .then(() => this.#afterClose(info))
      .catch(() => ({ retry: true }))
      .then((decision) => {
        if (generation !== this.#generation) return;
        if (decision?.locked) return this.#lock(decision.locked);
        const retryAfterMs = Math.max(Number(decision?.retryAfterMs) || 0, goingAwayMs);
        this.#scheduleRetry({ ...decision, retryAfterMs });
      });
  }

  #lock(reason) {
    this.#attempt = 0;
    this.#setState('locked', { reason });
  }

  #scheduleRetry({ retryAfterMs = 0, why = '' }) {
    // While the gateway restarts, a failed attempt is part of the restart, not an outage.
    if (!why && this.#restarting) why = 'restart';
    const backoff = backoffDelay(this.#attempt, { random: this.#random });
    const delayMs = Math.max(backoff, Math.min(Number(retryAfterMs) || 0, MAX_RETRY_AFTER_MS));
    this.#attempt++;
    this.#retryTimer = setTimeout(() => this.#connect(), delayMs);
    this.#setState('waiting', why ? { delayMs, why } : { delayMs });
  }
}

function tokenOf(frame) {
  return typeof frame.resumeToken === 'string' ? frame.resumeToken : '';
}
