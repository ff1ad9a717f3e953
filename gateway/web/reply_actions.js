// The buttons under and inside a finished reply: "Copy" (the reply's Markdown text), "Copy"
// on each code block (its code), and "Retry" on a failed one (its message, sent again).
// A Copy button says "Copied" (or "Copy failed") for a moment after a click. Owned by the
// ReplyView whose article they are in; run on the page's main thread.

import { copyText } from './copy_text.js';

// How long "Copied" shows before the button reads "Copy" again.
const COPIED_MS = 1500;

function button(doc, label, className, onClick) {
  const element = doc.createElement('button');
  element.type = 'button';
  element.className = `reply-action ${className}`;
  element.textContent = label;
  element.addEventListener('click', onClick);
  return element;
}

// `what` names the thing copied ("reply", "code"). Its label is drawn by CSS from
// data-copied (style.css), so a button inside a reply's text adds no words to it.
function copyButton(doc, what, text) {
  const name = `Copy ${what}`;
  const element = button(doc, '', 'copy', async () => {
    const copied = await copyText(text());
    element.dataset.copied = copied ? 'yes' : 'failed';
    element.setAttribute('aria-label', copied ? 'Copied' : `${name}: copying failed`);
    clearTimeout(element.resetTimer);
    element.resetTimer = setTimeout(() => {
      delete element.dataset.copied;
      element.setAttribute('aria-label', name);
    }, COPIED_MS);
  });
  element.setAttribute('aria-label', name);
  return element;
}

// A Copy button on each code block of the rendered `body`.
export function addCodeCopyButtons(body) {
  const doc = body.ownerDocument;
  for (const pre of body.querySelectorAll('pre')) {
    const code = pre.querySelector('code') ?? pre;
    pre.classList.add('has-copy');
    pre.append(copyButton(doc, 'code', () => code.textContent));
  }
}

// The row under a reply: Copy when it has text, Retry when `retry` is given.
export function replyActions(doc, { text, retry = null }) {
  const row = doc.createElement('div');
  row.className = 'reply-actions';
  if (text) row.append(copyButton(doc, 'reply', () => text));
  if (retry) {
    const again = button(doc, 'Retry', 'retry-message', () => retry());
    again.setAttribute('aria-label', 'Retry this message');
    row.append(again);
  }
  return row.childElementCount > 0 ? row : null;
}
