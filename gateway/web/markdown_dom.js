// Renders the tree from markdown.js into DOM nodes. Text only ever reaches the DOM as text
// nodes, element names come from the fixed table below, and the only attributes set are
// an href that passes safeHref again, a start number and a sanitised class: model output
// cannot add markup, attributes or script.
//
// Uses only document.createElement/createTextNode/createDocumentFragment, setAttribute
// and append, so tests can pass a small stand-in document.

import { safeHref } from './markdown_inline.js';

const SIMPLE_TAGS = {
  paragraph: 'p',
  blockquote: 'blockquote',
  emphasis: 'em',
  strong: 'strong',
  strikethrough: 's',
};

// Reply headings sit under the page's h1 and the conversation's h2, so "# x" is an h3.
const HEADING_OFFSET = 2;

export function renderMarkdown(tree, doc = globalThis.document) {
  const fragment = doc.createDocumentFragment();
  appendAll(doc, fragment, tree.children ?? [], false);
  return fragment;
}

function appendAll(doc, parent, nodes, tight) {
  for (const node of nodes) {
    // In a tight list an item's paragraphs are plain lines, not spaced-out paragraphs.
    if (tight && node.type === 'paragraph') {
      appendAll(doc, parent, node.children, false);
    } else {
      const rendered = renderNode(doc, node);
      if (rendered) parent.append(rendered);
    }
  }
}

function element(doc, tag, children) {
  const el = doc.createElement(tag);
  if (children) appendAll(doc, el, children, false);
  return el;
}

function renderNode(doc, node) {
  switch (node.type) {
    case 'text':
      return doc.createTextNode(String(node.text));
    case 'line_break':
      return doc.createElement('br');
    case 'thematic_break':
      return doc.createElement('hr');
    case 'code': {
      const code = doc.createElement('code');
      code.append(doc.createTextNode(String(node.text)));
      return code;
    }
    case 'code_block':
      return renderCodeBlock(doc, node);
    case 'heading': {
      const level = Math.min(6, Math.max(1, Number(node.level) || 1) + HEADING_OFFSET);
      return element(doc, `h${level}`, node.children);
    }
    case 'list':
      return renderList(doc, node);
    case 'link':
      return renderLink(doc, node);
    default: {
      const tag = SIMPLE_TAGS[node.type];
      // An unknown node type is a bug in the parser; show nothing rather than guess.
      return tag ? element(doc, tag, node.children) : null;
    }
  }
}

function renderCodeBlock(doc, node) {
  const pre = doc.createElement('pre');
  const code = doc.createElement('code');
  const language = String(node.language ?? '');
  if (/^[A-Za-z0-9_+#.-]{1,32}$/.test(language)) {
    code.setAttribute('class', `language-${language}`);
    pre.setAttribute('data-language', language);
  }
  code.append(doc.createTextNode(String(node.text)));
  pre.append(code);
  return pre;
}

function renderList(doc, node) {
  const list = doc.createElement(node.ordered ? 'ol' : 'ul');
  const start = Number(node.start);
  if (node.ordered && Number.isSafeInteger(start) && start !== 1) {
    list.setAttribute('start', String(start));
  }
  for (const item of node.items ?? []) {
    const li = doc.createElement('li');
    appendAll(doc, li, item.children ?? [], node.tight);
    list.append(li);
  }
  return list;
}

function renderLink(doc, node) {
  const href = safeHref(node.href);
  if (!href) {
    const fragment = doc.createDocumentFragment();
    appendAll(doc, fragment, node.children ?? [], false);
    return fragment;
  }
  const a = element(doc, 'a', node.children);
  a.setAttribute('href', href);
  a.setAttribute('target', '_blank');
  a.setAttribute('rel', 'noopener noreferrer nofollow');
  return a;
}
