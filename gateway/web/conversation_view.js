// One conversation's messages: the user's, the assistant's replies (Markdown, re-rendered
// as chunks arrive), notices such as "reconnected", and what shows while there are none
// ("Ask anything", "Loading…"). Owns the children of its log element, which is on screen
// only while its conversation is (chat_thread.js); runs on the page's main thread.

import { parseMarkdown } from './markdown.js';
import { renderMarkdown } from './markdown_dom.js';
import { addCodeCopyButtons, replyActions } from './reply_actions.js';

// Within this many pixels of the bottom counts as "following the reply": new text keeps
// it in view. Someone who scrolled up to read is left where they are.
const FOLLOW_SLACK_PX = 48;

export class ConversationView {
  #log;
  #scroller;

  // `log` receives the messages; `scroller` is the element that scrolls them, or a function
  // that returns it while the log is on screen and null while it is not.
  constructor(log, scroller) {
    this.#log = log;
    this.#scroller = typeof scroller === 'function' ? scroller : () => scroller;
  }

  get isEmpty() { return !this.#log.querySelector('.message, .notice'); }

  // "Ask anything": the conversation has no messages yet.
  showEmptyState() {
    this.#placeholder('Ask anything', 'Replies stream in as they are written. Markdown is ' +
                                      'rendered, code included.');
  }

  showLoading() {
    this.#placeholder('Loading conversation…', '');
  }

  // A message of a history: the user's, or a reply that has ended (not announced: it is
  // not news).
  addHistoryMessage(role, text) {
    if (role === 'user') return this.addUserMessage(text);
    const reply = this.startReply({ live: false });
    reply.append(text);
    reply.finish('done');
    return reply;
  }

  // Returns the message's element, so that a message the gateway refused can be removed.
  addUserMessage(text) {
    const article = this.#article('user', 'You');
    const body = document.createElement('p');
    body.className = 'message-text';
    body.textContent = text;
    article.append(body);
    this.#append(article);
    return article;
  }

  // A reply waiting for its first chunk; returns the ReplyView that fills it. `live`: screen
  // readers hear it when it is complete.
  startReply({ live = true } = {}) {
    const article = this.#article('assistant', 'Assistant');
    article.dataset.state = 'waiting';
    const body = document.createElement('div');
    body.className = 'message-body markdown';
    // Screen readers hear the reply once it is complete (aria-busy holds it back while it
    // streams) instead of every re-render.
    if (live) body.setAttribute('aria-live', 'polite');
    body.setAttribute('aria-busy', 'true');
    const meta = document.createElement('p');
    meta.className = 'message-meta';
    meta.hidden = true;
    article.append(body, meta);
    this.#append(article);
    return new ReplyView(article, body, meta, (update) => this.#follow(update));
  }

  // A line between messages: "info" (reconnected) or "error" (announced as an alert).
  // Returns its element (a newer notice of the same kind may replace it).
  addNotice(text, kind = 'info') {
    const notice = document.createElement('p');
    notice.className = `notice notice-${kind}`;
    if (kind === 'error') notice.setAttribute('role', 'alert');
    notice.textContent = text;
    this.#append(notice);
    return notice;
  }

  #placeholder(title, text) {
    this.#log.querySelector('.empty-state')?.remove();
    const box = document.createElement('div');
    box.className = 'empty-state';
    const heading = document.createElement('p');
    heading.className = 'empty-title';
    heading.textContent = title;
    box.append(heading);
    if (text) {
      const detail = document.createElement('p');
      detail.textContent = text;
      box.append(detail);
    }
    this.#log.append(box);
  }

  #article(role, label) {
    this.#log.querySelector('.empty-state')?.remove();
    const article = document.createElement('article');
    article.className = `message ${role}`;
    article.setAttribute('aria-label', label);
    return article;
  }

  #append(node) {
    this.#log.querySelector('.empty-state')?.remove();
    this.#follow(() => this.#log.append(node), true);
  }

  // Runs `update`, then keeps the newest content in view if the reader was following it.
  // Off screen there is nothing to keep in view.
  #follow(update, force = false) {
    const s = this.#scroller();
    if (!s) return update();
    const following = force || s.scrollHeight - s.scrollTop - s.clientHeight < FOLLOW_SLACK_PX;
    update();
    if (following) s.scrollTop = s.scrollHeight;
  }
}

// One assistant reply. Chunks are appended to the text and the whole reply is re-parsed
// and re-rendered at most once per animation frame; replies are small enough for that.
export class ReplyView {
  #article;
  #body;
  #meta;
  #follow;
  #text = '';
  #frame = 0;

  constructor(article, body, meta, follow) {
    this.#article = article;
    this.#body = body;
    this.#meta = meta;
    this.#follow = follow;
  }

  get state() { return this.#article.dataset.state; }
  get finished() { return !['waiting', 'streaming', 'stopping'].includes(this.state); }
  get hasText() { return this.#text !== ''; }
  get text() { return this.#text; }

  markStreaming() {
    if (this.state === 'waiting') this.#article.dataset.state = 'streaming';
  }

  append(delta) {
    this.markStreaming();
    this.#text += delta;
    if (!this.#frame) {
      this.#frame = requestAnimationFrame(() => {
        this.#frame = 0;
        this.#render();
      });
    }
  }

  markStopping() {
    this.#article.dataset.state = 'stopping';
    this.#showMeta('Stopping…');
  }

  // A note under a reply still running ("Reconnecting…"); an empty one takes it away.
  setNote(text) {
    if (this.finished) return;
    if (text) return this.#showMeta(text);
    if (this.state !== 'stopping') this.#meta.hidden = true;
  }

  // Ends the reply: "done", "stopped" or "failed" (with a readable `note`). Its text and
  // code blocks get Copy buttons; `retry`, when given, is what its Retry button does.
  finish(outcome, note = '', { retry = null } = {}) {
    cancelAnimationFrame(this.#frame);
    this.#frame = 0;
    this.#render();
    addCodeCopyButtons(this.#body);
    this.#article.querySelector('.reply-actions')?.remove();
    const actions = replyActions(this.#article.ownerDocument, { text: this.#text, retry });
    if (actions) this.#follow(() => this.#article.append(actions));
    this.#article.dataset.state = outcome;
    this.#body.setAttribute('aria-busy', 'false');
    if (outcome === 'failed') this.#meta.setAttribute('role', 'alert');
    if (note) {
      this.#showMeta(note);
    } else {
      this.#meta.hidden = true;
    }
  }

  // Takes the reply off the page: the gateway refused the message, so there is none.
  remove() {
    cancelAnimationFrame(this.#frame);
    this.#frame = 0;
    this.#article.remove();
  }

  #showMeta(text) {
    this.#follow(() => {
      this.#meta.textContent = text;
      this.#meta.hidden = false;
    });
  }

  #render() {
    const fragment = renderMarkdown(parseMarkdown(this.#text), document);
    this.#follow(() => this.#body.replaceChildren(fragment));
  }
}
