// What this tab keeps to take its session back after a dropped connection or a reload: the
// session's id, its resume token, the highest seq processed, the conversation on screen,
// the conversation list, and each reply still arriving (its message and text so far, which
// no history holds until it ends). One JSON snapshot under one sessionStorage key, so the
// seq and the text it covers always agree. sessionStorage lasts as long as the tab (reloads
// included) and no other tab sees it. The token is a secret: it is never logged and never
// put in a URL. Pure apart from the storage it is given; runs on the page's main thread.

import { isConversationId } from './conversation_list.js';
import { keptReplyRecord, readReplyRecord } from './reply_record.js';

export const RESUME_STORAGE_KEY = 'streamgate.session';
const VERSION = 1;

// state: { sessionId, resumeToken, lastSeq, conversationId, conversations: [...] (see
// ConversationList.toJSON), replies: { [conversationId]: record } (reply_record.js) }.

// The state in `json` (a stored string), or null when there is none or it is not usable
// (then the page starts a fresh session).
export function parseResumeState(json) {
  let saved;
  try {
    saved = JSON.parse(json);
  } catch {
    return null;
  }
  if (!saved || typeof saved !== 'object' || saved.v !== VERSION) return null;
  const { sessionId, resumeToken, lastSeq } = saved;
  if (typeof sessionId !== 'string' || !sessionId || sessionId.length > 128) return null;
  if (typeof resumeToken !== 'string' || !resumeToken || resumeToken.length > 256) return null;
  if (!Number.isSafeInteger(lastSeq) || lastSeq < 0) return null;
  const replies = {};
  if (saved.replies && typeof saved.replies === 'object') {
    for (const [id, value] of Object.entries(saved.replies)) {
      const record = readReplyRecord(value);
      if (isConversationId(id) && record) replies[id] = record;
    }
  }
  return {
    sessionId,
    resumeToken,
    lastSeq,
    conversationId: isConversationId(saved.conversationId) ? saved.conversationId : null,
    conversations: Array.isArray(saved.conversations) ? saved.conversations : [],
    replies,
  };
}

export function serializeResumeState(state) {
  const replies = {};
  for (const [id, record] of Object.entries(state.replies ?? {})) {
    replies[id] = keptReplyRecord(record);
  }
  return JSON.stringify({
    v: VERSION,
    sessionId: state.sessionId,
    resumeToken: state.resumeToken,
    lastSeq: state.lastSeq,
    conversationId: state.conversationId ?? null,
    conversations: state.conversations ?? [],
    replies,
  });
}

// The tab's resume state. `storage` is window.sessionStorage; it may be missing or throw
// (storage disabled, or full), and then the state lives only as long as the page: a dropped
// connection still resumes, a reload starts over.
export class ResumeStateStore {
  #storage;
  #fallback = null;  // the serialized state when storage failed

  constructor(storage) {
    this.#storage = storage ?? null;
  }

  load() {
    let json = this.#fallback;
    try {
      json ??= this.#storage?.getItem(RESUME_STORAGE_KEY) ?? null;
    } catch {
      // nothing readable
    }
    return json === null ? null : parseResumeState(json);
  }

  save(state) {
    const json = serializeResumeState(state);
    try {
      if (this.#storage) {
        this.#storage.setItem(RESUME_STORAGE_KEY, json);
        this.#fallback = null;
        return;
      }
    } catch {
      // Full or disabled: kept in the page only, and no older state left to be read.
      this.#forgetStored();
    }
    this.#fallback = json;
  }

  clear() {
    this.#fallback = null;
    this.#forgetStored();
  }

  #forgetStored() {
    try {
      this.#storage?.removeItem(RESUME_STORAGE_KEY);
    } catch {
      // nothing stored
    }
  }
}
