// The session's conversations as the sidebar lists them: id, title, exchange count and last
// activity, newest first. It merges what this page created (a new conversation is unknown to
// the gateway until its first message) with the gateway's `conversations` frames. Pure: no
// DOM, no storage; conversation_sidebar.js shows it, conversations.js feeds it. Runs on the
// page's main thread.

// What the gateway accepts as a conversationId (README, "The client protocol").
const CONVERSATION_ID = /^[A-Za-z0-9_-]{1,64}$/;
const TITLE_MAX_CHARS = 60;
const ID_RANDOM_BYTES = 9;

export function isConversationId(id) {
  return typeof id === 'string' && CONVERSATION_ID.test(id);
}

// A fresh conversationId: "c-" and 12 base64url characters (72 random bits), so ids made by
// different tabs or page loads of one session do not collide.
export function newConversationId(randomValues = (bytes) => crypto.getRandomValues(bytes)) {
  const bytes = randomValues(new Uint8Array(ID_RANDOM_BYTES));
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  const text = btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  return `c-${text}`;
}

// A conversation's title: the first line of its first message, spaces collapsed, shortened.
export function titleFor(text) {
  const line = String(text ?? '').trim().split('\n')[0].replace(/\s+/g, ' ').trim();
  if (line.length <= TITLE_MAX_CHARS) return line;
  return `${line.slice(0, TITLE_MAX_CHARS - 1).trimEnd()}…`;
}

// Entries: { id, title, exchanges, lastActivity (Unix ms), known }. `known` means the gateway
// has listed it, so a later list without it means it is gone; a conversation only this page
// knows (nothing sent yet, or sent after the list was asked for) stays until listed.
export class ConversationList {
  #entries = new Map();

  get size() { return this.#entries.size; }
  has(id) { return this.#entries.has(id); }
  get(id) { return this.#entries.get(id) ?? null; }

  // Adds `id` if it is not listed yet; returns its entry. Ignores an invalid id (null).
  add(id, { title = '', exchanges = 0, lastActivity = 0, known = false } = {}) {
    if (!isConversationId(id)) return null;
    let entry = this.#entries.get(id);
    if (!entry) {
      entry = { id, title: '', exchanges: 0, lastActivity: 0, known: false };
      this.#entries.set(id, entry);
    }
    if (!entry.title && title) entry.title = titleFor(title);
    entry.exchanges = Math.max(entry.exchanges, toCount(exchanges));
    entry.lastActivity = Math.max(entry.lastActivity, toCount(lastActivity));
    entry.known ||= known === true;
    return entry;
  }

  // The first title wins: a conversation is named after its first message.
  setTitle(id, text) {
    const entry = this.#entries.get(id);
    if (entry && !entry.title && titleFor(text)) entry.title = titleFor(text);
  }

  // Something happened in `id` at `ms` (a message sent, a reply ended): it moves up.
  touch(id, ms, { exchange = false } = {}) {
    const entry = this.#entries.get(id);
    if (!entry) return;
    entry.lastActivity = Math.max(entry.lastActivity, toCount(ms));
    if (exchange) entry.exchanges++;
  }

  remove(id) {
    return this.#entries.delete(id);
  }

  // A `conversations` frame. Entries the gateway lists are updated from it (its counts are
  // authoritative); known entries it no longer lists are removed, except those in `keep`
  // (the one on screen). Returns the ids removed.
  applyServerList(conversations, { keep = [] } = {}) {
    if (!Array.isArray(conversations)) return [];
    const listed = new Set();
    for (const item of conversations) {
      const id = item?.conversationId;
      if (!isConversationId(id)) continue;
      listed.add(id);
      const entry = this.add(id, { known: true });
      entry.exchanges = toCount(item.exchanges);
      entry.lastActivity = Math.max(entry.lastActivity, toCount(item.lastActivity));
    }
    const removed = [];
    for (const entry of this.#entries.values()) {
      if (entry.known && !listed.has(entry.id) && !keep.includes(entry.id)) removed.push(entry.id);
    }
    for (const id of removed) this.#entries.delete(id);
    return removed;
  }

  // Newest activity first; never-active (new) ones on top; ties by id, so the order is stable.
  items() {
    return [...this.#entries.values()].sort((a, b) => {
      const rank = (entry) => (entry.lastActivity === 0 ? Infinity : entry.lastActivity);
      return rank(b) - rank(a) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
    });
  }

  // For the resume state: what the sidebar needs before the gateway's list comes.
  toJSON() {
    return this.items().map(({ id, title, exchanges, lastActivity, known }) =>
      ({ id, title, exchanges, lastActivity, known }));
  }

  static fromJSON(saved) {
    const list = new ConversationList();
    if (Array.isArray(saved)) {
      for (const entry of saved) list.add(entry?.id, entry ?? {});
    }
    return list;
  }
}

function toCount(value) {
  return Number.isSafeInteger(value) && value > 0 ? value : 0;
}
