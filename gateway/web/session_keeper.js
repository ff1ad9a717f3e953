// The page's hold on its session: the session id and resume token, the SeqGate of frames
// processed, and when the resume state (resume_state.js) is written. A token change is
// written at once; while frames arrive the state is written at most every SAVE_DELAY_MS,
// and flush() (on pagehide) writes what is pending, so a reload resumes from exactly what
// the page showed. Each write is one snapshot: the seq with the page's part, which
// `collect()` gives (conversation on screen, conversation list, replies in flight). Runs on
// the page's main thread; timers are injectable for tests.

import { SeqGate } from './seq_gate.js';

export const SAVE_DELAY_MS = 250;

export class SessionKeeper {
  #store;
  #collect;
  #setTimer;
  #clearTimer;
  #gate = new SeqGate();
  #session = null;  // { sessionId, resumeToken } of the session to resume, or null
  #saveTimer = null;

  // `store`: a ResumeStateStore; `collect()`: { conversationId, conversations, replies }.
  constructor({
    store,
    collect,
    setTimer = (fn, ms) => setTimeout(fn, ms),
    clearTimer = (id) => clearTimeout(id),
  }) {
    this.#store = store;
    this.#collect = collect;
    this.#setTimer = setTimer;
    this.#clearTimer = clearTimer;
  }

  get hasSession() { return this.#session !== null; }
  get sessionId() { return this.#session?.sessionId ?? null; }
  get lastSeq() { return this.#gate.lastSeq; }

  // After a reload: the stored state, to restore the page's conversations from, or null.
  restore() {
    const state = this.#store.load();
    if (!state) return null;
    this.#session = { sessionId: state.sessionId, resumeToken: state.resumeToken };
    this.#gate.reset(state.lastSeq);
    return state;
  }

  // What ChatConnection puts in the `resume` frame it opens a connection with, or null.
  resumeRequest() {
    if (!this.#session) return null;
    return { ...this.#session, lastSeq: this.#gate.lastSeq };
  }

  // Whether to process `frame` (false for a duplicate); a processed one is remembered.
  admit(frame) {
    if (!this.#gate.admit(frame)) return false;
    this.changed();
    return true;
  }

  // The session was taken back: `seq` and `resumeToken` are session_resumed's.
  resumed({ sessionId, resumeToken, seq }) {
    this.#session = {
      sessionId,
      resumeToken: typeof resumeToken === 'string' && resumeToken
          ? resumeToken : this.#session?.resumeToken,
    };
    this.#gate.admit({ seq });
    this.saveNow();
  }

  // A fresh session (the first connection, or a resume that failed): whatever was kept of
  // the old one is dropped. Without a token (an older gateway) there is nothing to resume.
  fresh({ sessionId, resumeToken, seq }) {
    this.#store.clear();
    this.#gate.reset(seq);
    this.#session = typeof resumeToken === 'string' && resumeToken && sessionId
        ? { sessionId, resumeToken } : null;
    this.saveNow();
  }

  // The page's part changed (a message sent, another conversation shown): write soon.
  changed() {
    if (!this.#session || this.#saveTimer !== null) return;
    this.#saveTimer = this.#setTimer(() => {
      this.#saveTimer = null;
      this.saveNow();
    }, SAVE_DELAY_MS);
  }

  // Writes what is pending now (the page is going away).
  flush() {
    if (this.#saveTimer !== null) this.saveNow();
  }

  saveNow() {
    if (this.#saveTimer !== null) this.#clearTimer(this.#saveTimer);
    this.#saveTimer = null;
    if (!this.#session) return;
    this.#store.save({ ...this.#session, lastSeq: this.#gate.lastSeq, ...this.#collect() });
  }
}
