// The page's one WebSocket to the gateway's /ws, reopened with backoff whenever it drops.
// It knows the protocol's framing (JSON text frames, the session id the server assigns)
// but not what the frames mean for the page; app.js does. Runs on the page's main thread.
//
// Events (CustomEvent, details in parentheses):
//   "state"   ({ state: "connecting" | "open" | "waiting", attempt, delayMs })
//             "waiting" means closed and a retry is scheduled delayMs from now.
//   "session" ({ sessionId, reconnected }) once per connection, on connection_established.
//   "frame"   (the parsed server frame) for every other frame.
//   "closed"  ({ hadSession }) when an open connection is lost.

import { backoffDelay } from './backoff.js';

// A connection that is not established (handshake done and connection_established
// received) within this time is abandoned and retried.
const ESTABLISH_TIMEOUT_MS = 10000;

export class ChatConnection extends EventTarget {
  #url;
  #createSocket;
  #random;
  #socket = null;
  #sessionId = null;
  #everConnected = false;
  #attempt = 0;  // consecutive failed attempts since the last established session
  #retryTimer = null;
  #establishTimer = null;
  #state = 'idle';

  constructor(url, { createSocket = (u) => new WebSocket(u), random = Math.random } = {}) {
    super();
    this.#url = url;
    this.#createSocket = createSocket;
    this.#random = random;
  }

  get state() { return this.#state; }
  get sessionId() { return this.#sessionId; }
  get isOpen() { return this.#state === 'open'; }

  start() {
    if (this.#state === 'idle') this.#connect();
  }

  // Skips the wait before the next attempt (a "Retry now" button, the browser coming online).
  reconnectNow() {
    if (this.#state !== 'waiting') return;
    clearTimeout(this.#retryTimer);
    this.#connect();
  }

  // Returns false (and sends nothing) when there is no established session.
  sendUserMessage(content) {
    return this.#send({ type: 'user_message', content, sessionId: this.#sessionId });
  }

  sendCancel() {
    return this.#send({ type: 'cancel', sessionId: this.#sessionId });
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

  #connect() {
    this.#retryTimer = null;
    this.#sessionId = null;
    this.#setState('connecting');
    let socket;
    try {
      socket = this.#createSocket(this.#url);
    } catch {
      // A malformed URL or a blocked scheme: treat it like a failed attempt.
      this.#scheduleRetry();
      return;
    }
    this.#socket = socket;
    this.#establishTimer = setTimeout(() => socket.close(), ESTABLISH_TIMEOUT_MS);
    socket.addEventListener('message', (event) => {
      if (this.#socket === socket) this.#onMessage(event.data);
    });
    socket.addEventListener('close', () => {
      if (this.#socket === socket) this.#onClose();
    });
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

  #onClose() {
    clearTimeout(this.#establishTimer);
    const hadSession = this.#state === 'open';
    this.#socket = null;
    this.#sessionId = null;
    if (hadSession) this.dispatchEvent(new CustomEvent('closed', { detail: { hadSession } }));
    this.#scheduleRetry();
  }

  #scheduleRetry() {
    const delayMs = backoffDelay(this.#attempt, { random: this.#random });
    this.#attempt++;
    this.#retryTimer = setTimeout(() => this.#connect(), delayMs);
    this.#setState('waiting', { delayMs });
  }
}
