// The conversation on screen: the user's messages, the assistant's replies (Markdown,
// re-rendered as chunks arrive) and notices such as "reconnected". Owns the children of
// the conversation element; runs on the page's main thread.

import { parseMarkdown } from './markdown.js';
import { renderMarkdown } from './markdown_dom.js';

// Within this many pixels of the bottom counts as "following the reply": new text keeps
// it in view. Someone who scrolled up to read is left where they are.
const FOLLOW_SLACK_PX = 48;

export class ConversationView {
  #log;
  #scroller;

  // `log` receives the messages; `scroller` is the element that scrolls them.
  constructor(log, scroller) {
    this.#log = log;
    this.#scroller = scroller;
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

  // A reply waiting for its first chunk; returns the ReplyView that fills it.
  startReply() {
    const article = this.#article('assistant', 'Assistant');
    article.dataset.state = 'waiting';
    const body = document.createElement('div');
    body.className = 'message-body markdown';
    // Screen readers hear the reply once it is complete (aria-busy holds it back while it
    // streams) instead of every re-render.
    body.setAttribute('aria-live', 'polite');
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

  #article(role, label) {
    this.#log.querySelector('.empty-state')?.remove();
    const article = document.createElement('article');
    article.className = `message ${role}`;
    article.setAttribute('aria-label', label);
    return article;
  }

  #append(node) {
    this.#follow(() => this.#log.append(node), true);
  }

  // Runs `update`, then keeps the newest content in view if the reader was following it.
  #follow(update, force = false) {
    const s = this.#scroller;
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

  // Ends the reply: "done", "stopped" or "failed" (with a readable `note`).
  finish(outcome, note = '') {
    cancelAnimationFrame(this.#frame);
    this.#frame = 0;
    this.#render();
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
