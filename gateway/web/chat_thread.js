// One conversation on this page: its log element and ConversationView, its reply in
// flight (a ReplyRecord, and its ReplyView once the conversation is on screen), and whether
// its messages are here yet. A conversation the page has not shown since it loaded is
// "unloaded": frames of its reply only fill the record, and its `history` (asked for when
// it is shown) is rendered first, then that reply unless the history already holds it
// (reply_record.js), so a reply replayed while the history is fetched is shown once. A
// failed reply whose message is known offers Retry, which asks `onRetry(thread, failed)`.
// Owned by Conversations; runs on the page's main thread.

import { ConversationView } from './conversation_view.js';
import {
  applyReplyFrame, errorText, historyHoldsReply, newReplyRecord,
} from './reply_record.js';

// How an ended reply looks (data-state): an interrupted one keeps its text, like a stopped one.
const SHOWN_OUTCOME = {
  done: 'done', stopped: 'stopped', interrupted: 'stopped', failed: 'failed',
};
// A log hidden within this many pixels of its end comes back at its end (with what came).
const FOLLOW_SLACK_PX = 48;

export class ChatThread {
  #id;
  #element;
  #view;
  #status;  // "ready" (its messages are on the page), "unloaded" or "loading"
  // { record, view, userElement, cancelRequested, started } while one is followed; started:
  // a stream_start or chunk came (the gateway took the message).
  #reply = null;
  #onRetry;
  #onScreen = null;  // the scroller while shown
  #scroll = { top: 0, following: true };

  // `record`: a reply in flight kept across a reload (it makes the thread "unloaded").
  constructor({ id, status = 'ready', record = null, onRetry = () => {} }) {
    this.#id = id;
    this.#onRetry = onRetry;
    this.#status = status;
    this.#element = document.createElement('div');
    this.#element.className = 'messages';
    this.#view = new ConversationView(this.#element, () => this.#onScreen);
    if (record) {
      this.#reply = { record, view: null, userElement: null, cancelRequested: false,
                      started: true };
    }
    if (status === 'ready') {
      this.#view.showEmptyState();
    } else {
      this.#view.showLoading();
    }
  }

  get id() { return this.#id; }
  get element() { return this.#element; }
  get status() { return this.#status; }
  get isReady() { return this.#status === 'ready'; }
  // A reply is streaming (or awaited) in this conversation: one at a time.
  get busy() { return this.#reply !== null && this.#reply.record.outcome === null; }
  get cancelRequested() { return this.#reply?.cancelRequested === true; }
  get isEmpty() { return this.#view.isEmpty && !this.busy; }

  // What the resume state keeps of it: the reply in flight, or one not shown yet.
  get keptRecord() {
    if (!this.#reply) return null;
    return this.busy || !this.isReady ? this.#reply.record : null;
  }

  // Puts the log into `host` (the page's message area), which `scroller` scrolls.
  show(host, scroller) {
    host.replaceChildren(this.#element);
    this.#onScreen = scroller;
    const { top, following } = this.#scroll;
    scroller.scrollTop = following ? scroller.scrollHeight : top;
  }

  hide() {
    const s = this.#onScreen;
    if (s) {
      const following = s.scrollHeight - s.scrollTop - s.clientHeight < FOLLOW_SLACK_PX;
      this.#scroll = { top: s.scrollTop, following };
    }
    this.#onScreen = null;
    this.#element.remove();
  }

  // The history was asked for.
  markLoading() {
    if (this.isReady) return;
    this.#status = 'loading';
  }

  // The person sent `text` here: their message and a reply waiting for its first words.
  startReply(text) {
    this.#reply = {
      record: newReplyRecord(text),
      userElement: this.#view.addUserMessage(text),
      view: this.#view.startReply(),
      cancelRequested: false,
      started: false,
    };
  }

  // The connection closed with 1009 (the message was too big): the reply the gateway never
  // started leaves the conversation, and its message is returned (else null).
  withdrawUnstarted() {
    const reply = this.#reply;
    if (!this.busy || reply.started) return null;
    this.withdraw(reply);
    return reply.record.user;
  }

  // Takes a message and its reply off the page (one withdrawn, or one sent again by Retry).
  withdraw(reply) {
    reply.view?.remove();
    reply.userElement?.remove();
    if (this.#reply === reply) this.#reply = null;
    if (this.#view.isEmpty && !this.busy) this.#view.showEmptyState();
  }

  // Stop was pressed; false when there is nothing to stop.
  requestStop() {
    if (!this.busy || this.#reply.cancelRequested) return false;
    this.#reply.cancelRequested = true;
    this.#reply.view?.markStopping();
    return true;
  }

  // A stream_start, stream_chunk, stream_end or error of this conversation. Returns
  // { kind: "start" | "chunk" | "end" | null, outcome, refused }: `refused` is the message
  // text when a limit refused it before any reply (it was never taken).
  applyReplyFrame(frame) {
    const opens = frame.type === 'stream_start' || frame.type === 'stream_chunk';
    // A reply this page load did not send (replayed, or sent before a reload): follow it.
    if (opens && !this.busy) this.#follow(null);
    const reply = this.#reply;
    if (!reply || reply.record.outcome !== null) {
      if (frame.type === 'error' && frame.code !== 'nothing_to_cancel' && this.isReady) {
        this.#view.addNotice(errorText(frame), 'error');
      }
      return { kind: null };
    }
    if (frame.type === 'error' && frame.code === 'rate_limited' && reply.record.text === '' &&
        this.isReady) {
      return this.#refuse(reply, frame);
    }
    const kind = applyReplyFrame(reply.record, frame, { cancelRequested: reply.cancelRequested });
    if (kind === null) return { kind };
    if (kind === 'start' || kind === 'chunk') reply.started = true;
    if (reply.view) this.#render(reply, kind, frame);
    if (kind === 'end' && this.isReady) this.#reply = null;
    return { kind, outcome: reply.record.outcome };
  }

  // A `history` frame: rendered if the messages are not here yet, then the reply this page
  // followed meanwhile, unless the history holds it. Returns whether it was used.
  applyHistory(frame) {
    if (this.isReady) return false;
    const messages = (Array.isArray(frame.messages) ? frame.messages : []).filter(
        (m) => (m?.role === 'user' || m?.role === 'assistant') && typeof m.content === 'string');
    this.#element.replaceChildren();
    for (const message of messages) this.#view.addHistoryMessage(message.role, message.content);
    const reply = this.#reply;
    if (reply && !historyHoldsReply(messages, frame.seq, reply.record)) {
      const { record } = reply;
      if (record.user !== null) reply.userElement = this.#view.addUserMessage(record.user);
      reply.view = this.#view.startReply();
      if (record.text) reply.view.append(record.text);
      if (record.outcome !== null) {
        reply.view.finish(SHOWN_OUTCOME[record.outcome], record.note,
                          { retry: this.#retryFor(reply) });
      } else if (reply.cancelRequested) {
        reply.view.markStopping();
      }
    }
    if (reply && reply.record.outcome !== null) this.#reply = null;
    this.#status = 'ready';
    if (this.#view.isEmpty && !this.busy) this.#view.showEmptyState();
    return true;
  }

  // While the connection is away a running reply says so ("" takes the note away).
  setConnectionNote(text) {
    this.#reply?.view?.setNote(text);
  }

  // The session is gone (a resume failed): a reply in flight ends here, and messages that
  // were never shown are not coming.
  cutOff(note) {
    if (!this.isReady) {
      this.#reply = null;
      this.#status = 'ready';
      this.#element.replaceChildren();
      this.#view.showEmptyState();
      return;
    }
    if (!this.busy) return;
    const reply = this.#reply;
    const { record, view } = reply;
    record.outcome = 'failed';
    record.note = reply.started ? note : 'Connection lost before the reply started.';
    view?.finish('failed', record.note, { retry: this.#retryFor(reply) });
    this.#reply = null;
  }

  addNotice(text, kind) {
    return this.#view.addNotice(text, kind);
  }

  #follow(user) {
    const view = this.isReady ? this.#view.startReply() : null;
    this.#reply = { record: newReplyRecord(user), view, userElement: null, cancelRequested: false,
                    started: false };
  }

  // A failed reply to a known message can be sent again; Retry removes it when it is.
  #retryFor(reply) {
    if (reply.record.outcome !== 'failed' || typeof reply.record.user !== 'string') return null;
    return () => this.#onRetry(this, { text: reply.record.user, reply });
  }

  #render(reply, kind, frame) {
    if (kind === 'start') return reply.view.markStreaming();
    if (kind === 'chunk') return reply.view.append(frame.content);
    const { outcome, note } = reply.record;
    reply.view.finish(SHOWN_OUTCOME[outcome], note, { retry: this.#retryFor(reply) });
  }

  // Refused by a limit before any reply text: the message leaves the conversation.
  #refuse(reply, frame) {
    this.withdraw(reply);
    return { kind: 'end', outcome: 'failed', refused: reply.record.user, note: errorText(frame) };
  }
}
