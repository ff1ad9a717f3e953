// The session's conversations on this page: one ChatThread per conversation, the one on
// screen, and the ConversationList the sidebar shows. It turns what the person does (send,
// stop, new, switch, delete) into requests carrying the conversationId, and routes the
// frames that concern a conversation (reply frames, their errors, history, conversations,
// conversation_deleted) to their thread, wherever it is. Runs on the page's main thread.
//
// Events: "change" (the list, the conversation on screen or a reply's state changed: the
//         sidebar and the composer update), "refused" ({ text, note, thread }: a limit
//         refused a message before any reply, or `tooBig`: the connection closed with 1009
//         over it; its text may go back to the message box).

import { ChatThread } from './chat_thread.js';
import { ConversationList, isConversationId, newConversationId } from './conversation_list.js';
import { sizeRefusal } from './message_limits.js';
import { readReplyRecord } from './reply_record.js';

const DEFAULT_CONVERSATION = 'default';

// What the page says when a resume failed, by resume_failed's reason.
const START_OVER_WHY = {
  expired: 'it had expired',
  unknown_session: 'the gateway no longer has it',
  gap: 'too much happened while this page was away',
};

export function startOverText(reason, hadMessages) {
  const why = START_OVER_WHY[reason] ?? 'the gateway did not recognise it';
  return hadMessages
    ? `Reconnected as a new session: the previous one could not be resumed (${why}), so ` +
      'the assistant does not remember the messages above.'
    : `Your previous session could not be resumed (${why}). This is a new one.`;
}

export class Conversations extends EventTarget {
  #host;
  #scroller;
  #connection;
  #now;
  #list = new ConversationList();
  #threads = new Map();
  #current = null;
  #lastSent = null;  // the thread of the latest user_message: a 1009 is about that one

  // `host` holds the log on screen, `scroller` scrolls it; `connection` is the ChatConnection.
  constructor({ host, scroller, connection, now = () => Date.now() }) {
    super();
    this.#host = host;
    this.#scroller = scroller;
    this.#connection = connection;
    this.#now = now;
  }

  get current() { return this.#current; }
  get list() { return this.#list; }
  // The ids whose reply is running, for the sidebar.
  get busyIds() { return [...this.#threads.values()].filter((t) => t.busy).map((t) => t.id); }

  // The page's start: the resume state after a reload (see resume_state.js), or null.
  restore(state) {
    this.#list = ConversationList.fromJSON(state?.conversations);
    for (const [id, saved] of Object.entries(state?.replies ?? {})) {
      const record = readReplyRecord(saved);
      if (!record) continue;
      this.#list.add(id);
      this.#threads.set(id, new ChatThread({ id, status: 'unloaded', record }));
    }
    const id = state?.conversationId;
    if (state && isConversationId(id)) {
      this.#list.add(id);
      this.#show(this.#thread(id, 'unloaded'));
    } else {
      this.#createAndShow();
    }
  }

  // For the resume state.
  snapshot() {
    const replies = {};
    for (const thread of this.#threads.values()) {
      if (thread.keptRecord) replies[thread.id] = thread.keptRecord;
    }
    return {
      conversationId: this.#current?.id ?? null, conversations: this.#list.toJSON(), replies,
    };
  }

  // --- what the person does ---

  // Why `text` cannot be sent in the conversation on screen (too big for the gateway's
  // limit), or null.
  sizeRefusal(text) {
    const bytes = this.#connection.userMessageBytes(text, this.#current.id);
    return sizeRefusal(bytes, this.#connection.limits.maxMessageBytes);
  }

  send(text) {
    const thread = this.#current;
    if (!thread.isReady || thread.busy || this.sizeRefusal(text) ||
        !this.#connection.sendUserMessage(text, thread.id)) {
      return false;
    }
    this.#lastSent = thread;
    thread.startReply(text);
    this.#list.add(thread.id);
    this.#list.setTitle(thread.id, text);
    this.#list.touch(thread.id, this.#now());
    this.#changed();
    return true;
  }

  stop() {
    const thread = this.#current;
    if (!thread.busy || thread.cancelRequested || !this.#connection.sendCancel(thread.id)) {
      return false;
    }
    thread.requestStop();
    this.#changed();
    return true;
  }

  // A new, empty conversation on screen (the current one, if it is still empty).
  create() {
    if (this.#current?.isEmpty && this.#current.isReady) return this.#current;
    return this.#createAndShow();
  }

  switchTo(id) {
    if (id === this.#current?.id || !this.#list.has(id)) return;
    this.#show(this.#thread(id, 'unloaded'));
  }

  // Returns false when it cannot be asked now (not connected).
  remove(id) {
    const entry = this.#list.get(id);
    if (!entry) return false;
    const thread = this.#threads.get(id);
    // Never sent anything: the gateway has never heard of it.
    if (!entry.known && (!thread || (thread.isEmpty && thread.isReady))) {
      this.#forget(id);
      return true;
    }
    return this.#connection.sendDeleteConversation(id);
  }

  // --- the connection ---

  // After session_resumed: the list, and the history of the conversation on screen if it
  // is not here yet (a reload). Replies in flight lose their "Reconnecting…".
  onResumed() {
    for (const thread of this.#threads.values()) thread.setConnectionNote('');
    this.#connection.sendListConversations();
    this.#load(this.#current);
  }

  // A fresh session where the page had another (its resume failed): the old conversations
  // are gone. The one on screen stays as it is, read-only history, under a notice.
  onStartOver(reason) {
    const thread = this.#current;
    const hadMessages = thread.isReady && !thread.isEmpty;
    for (const id of [...this.#threads.keys()]) {
      if (id !== thread.id) this.#threads.delete(id);
    }
    const title = this.#list.get(thread.id)?.title ?? '';
    this.#list = new ConversationList();
    this.#list.add(thread.id, { title, lastActivity: hadMessages ? this.#now() : 0 });
    thread.cutOff('Connection lost: this reply was cut off.');
    thread.addNotice(startOverText(reason, hadMessages));
    this.#changed();
  }

  // The connection closed with 1009: the latest message was never taken. Its reply leaves
  // the conversation and "refused" gives its text back.
  onMessageTooBig() {
    const thread = this.#lastSent;
    const text = thread?.withdrawUnstarted();
    if (typeof text !== 'string') return false;
    this.dispatchEvent(new CustomEvent('refused', { detail: { text, tooBig: true, thread } }));
    this.#changed();
    return true;
  }

  onConnectionLost(note) {
    for (const thread of this.#threads.values()) thread.setConnectionNote(note);
  }

  // A server frame; returns false for one that is not about a conversation.
  onFrame(frame) {
    switch (frame.type) {
      case 'stream_start':
      case 'stream_chunk':
      case 'stream_end':
        this.#onReplyFrame(frame);
        return true;
      case 'error':
        if (!isConversationId(frame.conversationId)) return false;
        if (frame.code === 'unknown_conversation') {
          this.#forget(frame.conversationId);
        } else {
          this.#onReplyFrame(frame);
        }
        return true;
      case 'history':
        this.#onHistory(frame);
        return true;
      case 'conversations': {
        const removed = this.#list.applyServerList(frame.conversations,
                                                   { keep: [this.#current.id] });
        for (const id of removed) this.#threads.delete(id);
        this.#changed();
        return true;
      }
      case 'conversation_deleted':
        if (isConversationId(frame.conversationId)) this.#forget(frame.conversationId);
        return true;
      default:
        return false;
    }
  }

  #onReplyFrame(frame) {
    const id = isConversationId(frame.conversationId) ? frame.conversationId : DEFAULT_CONVERSATION;
    this.#list.add(id);
    const thread = this.#thread(id, 'unloaded');
    const { kind, outcome, refused, note } = thread.applyReplyFrame(frame);
    if (kind === 'end') {
      this.#list.touch(id, this.#now(), { exchange: outcome !== 'failed' });
      if (refused !== undefined) {
        this.dispatchEvent(new CustomEvent('refused', { detail: { text: refused, note, thread } }));
      }
    }
    if (kind === 'start' || kind === 'end') this.#changed();
  }

  #onHistory(frame) {
    const id = frame.conversationId;
    const thread = isConversationId(id) ? this.#threads.get(id) : null;
    if (!thread?.applyHistory(frame)) return;
    const messages = Array.isArray(frame.messages) ? frame.messages : [];
    const first = messages.find((m) => m?.role === 'user');
    if (first) this.#list.setTitle(id, first.content);
    this.#changed();
  }

  #thread(id, status) {
    let thread = this.#threads.get(id);
    if (!thread) {
      thread = new ChatThread({ id, status, onRetry: (t, failed) => this.#retry(t, failed) });
      this.#threads.set(id, thread);
    }
    return thread;
  }

  // Retry on a failed reply: its message goes again, at the end of the conversation.
  #retry(thread, { text, reply }) {
    if (thread !== this.#current || thread.busy) return;
    if (!this.#connection.isOpen) {
      thread.addNotice('Not connected: retry once the connection is back.', 'error');
      return;
    }
    const refusal = this.sizeRefusal(text);
    if (refusal) {
      thread.addNotice(refusal, 'error');
      return;
    }
    // The failed attempt leaves only once the new one is on its way.
    if (this.send(text)) thread.withdraw(reply);
  }

  #createAndShow() {
    const id = newConversationId();
    this.#list.add(id);
    const thread = this.#thread(id, 'ready');
    this.#show(thread);
    return thread;
  }

  #show(thread) {
    const previous = this.#current;
    previous?.hide();
    this.#current = thread;
    // A new conversation left without a word in it is not worth a line in the sidebar.
    if (previous && previous !== thread && previous.isReady && previous.isEmpty &&
        !this.#list.get(previous.id)?.known) {
      this.#list.remove(previous.id);
      this.#threads.delete(previous.id);
    }
    thread.show(this.#host, this.#scroller);
    this.#load(thread);
    this.#changed();
  }

  // Asks for the history of a thread whose messages are not here (if connected; else when
  // the session is back).
  #load(thread) {
    if (thread.isReady || !this.#connection.sendGetHistory(thread.id)) return;
    thread.markLoading();
  }

  #forget(id) {
    this.#list.remove(id);
    this.#threads.delete(id);
    if (this.#current?.id === id) {
      const next = this.#list.items()[0];
      this.#current.hide();
      this.#current = null;
      if (next) {
        this.#show(this.#thread(next.id, 'unloaded'));
      } else {
        this.#createAndShow();
      }
    }
    this.#changed();
  }

  #changed() {
    this.dispatchEvent(new CustomEvent('change'));
  }
}
