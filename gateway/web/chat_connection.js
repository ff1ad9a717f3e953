// The page's one WebSocket to the gateway's /ws, reopened with backoff whenever it drops.
// It knows the protocol's framing (JSON text frames, the session id the server assigns,
// the streamgate.v1 subprotocol) but not what the frames mean for the page; app.js does.
// Where each attempt goes and whether to try again is asked of two callbacks (see
// connection_access.js). Runs on the page's main thread.
//
// Events (CustomEvent, details in parentheses):
//   "state"   ({ state: "connecting" | "open" | "waiting" | "locked", attempt, ... })
//             "waiting" means closed and a retry is scheduled delayMs from now (`why` may
//             say why); "locked" means no retry until resume() (`reason` says why).
//   "session" ({ sessionId, reconnected }) once per connection, on connection_established.
//   "frame"   (the parsed server frame) for every other frame.
//   "closed"  ({ hadSession, code, reason }) when an open connection is lost.

import { backoffDelay } from './backoff.js';

export const SUBPROTOCOL = 'streamgate.v1';

// A connection that is not established (handshake done and connection_established
// received) within this time is abandoned and retried.
const ESTABLISH_TIMEOUT_MS = 10000;
// A Retry-After from the gateway is honoured up to this; beyond it the backoff decides.
const MAX_RETRY_AFTER_MS = 60000;

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

  // prepare(): resolves to { url } for the next attempt, { wait, retryAfterMs, why } to
  //   count it as failed, or { locked } to stop.
  // afterClose({ opened, hadSession, code, reason }): resolves to { retry, retryAfterMs,
  //   why } or { locked }.
  constructor({
    prepare,
    afterClose = () => ({ retry: true }),
    createSocket = (url, protocols) => new WebSocket(url, protocols),
    random = Math.random,
  }) {
    super();
    this.#prepare = prepare;
    this.#afterClose = afterClose;
    this.#createSocket = createSocket;
    this.#random = random;
  }

  get state() { return this.#state; }
  get sessionId() { return this.#sessionId; }
  get isOpen() { return this.#state === 'open'; }
  // The subprotocol of the established connection ("" from an older gateway).
  get protocol() { return this.#protocol; }

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

  // Each returns false (and sends nothing) when there is no established session.
  sendUserMessage(content) {
    return this.#send({ type: 'user_message', content, sessionId: this.#sessionId });
  }

  sendCancel() {
    return this.#send({ type: 'cancel', sessionId: this.#sessionId });
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
    this.#setState('connecting');
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
    if (frame.type === 'connection_established' && this.#state === 'connecting') {
      clearTimeout(this.#establishTimer);
      this.#sessionId = String(frame.sessionId ?? '');
      this.#attempt = 0;
      const reconnected = this.#everConnected;
      this.#everConnected = true;
      this.#setState('open');
      this.dispatchEvent(new CustomEvent('session', {
        detail: { sessionId: this.#sessionId, reconnected },
      }));
      return;
    }
    this.dispatchEvent(new CustomEvent('frame', { detail: frame }));
  }

  #onClose(event) {
    clearTimeout(this.#establishTimer);
    const hadSession = this.#state === 'open';
    const info = {
      opened: this.#opened, hadSession, code: event?.code ?? 1006, reason: event?.reason ?? '',
    };
    this.#socket = null;
    this.#sessionId = null;
    this.#opened = false;
    const generation = this.#generation;
    if (hadSession) {
      this.#setState('connecting');
      this.dispatchEvent(new CustomEvent('closed', { detail: info }));
    }
    Promise.resolve()
      .then(() => this.#afterClose(info))
      .catch(() => ({ retry: true }))
      .then((decision) => {
        if (generation !== this.#generation) return;
        if (decision?.locked) return this.#lock(decision.locked);
        this.#scheduleRetry(decision ?? {});
      });
  }

  #lock(reason) {
    this.#attempt = 0;
    this.#setState('locked', { reason });
  }

  #scheduleRetry({ retryAfterMs = 0, why = '' }) {
    const backoff = backoffDelay(this.#attempt, { random: this.#random });
    const delayMs = Math.max(backoff, Math.min(Number(retryAfterMs) || 0, MAX_RETRY_AFTER_MS));
    this.#attempt++;
    this.#retryTimer = setTimeout(() => this.#connect(), delayMs);
    this.#setState('waiting', why ? { delayMs, why } : { delayMs });
  }
}
