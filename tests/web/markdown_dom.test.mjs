// The DOM layer of the chat page's Markdown renderer, run against a small stand-in document
// that records what is created: only allow-listed elements and attributes, text only as
// text nodes. Run: node --test tests/web/markdown_dom.test.mjs

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { parseMarkdown } from '../../gateway/web/markdown.js';
import { renderMarkdown } from '../../gateway/web/markdown_dom.js';

// The part of the DOM API markdown_dom.js may use, and nothing else: a property it does not
// know (innerHTML, outerHTML, insertAdjacentHTML...) is simply absent.
class FakeNode {
  constructor(kind, name) {
    this.kind = kind;  // 'element' | 'text' | 'fragment'
    this.name = name;
    this.attributes = {};
    this.children = [];
  }
  append(...nodes) {
    for (const node of nodes) {
      assert.ok(node instanceof FakeNode, 'append() takes nodes, never strings');
      if (node.kind === 'fragment') this.children.push(...node.children);
      else this.children.push(node);
    }
  }
  setAttribute(name, value) {
    assert.equal(typeof value, 'string');
    this.attributes[name] = value;
  }
}

const fakeDocument = {
  createElement: (tag) => new FakeNode('element', tag),
  createTextNode: (text) => Object.assign(new FakeNode('text'), { text }),
  createDocumentFragment: () => new FakeNode('fragment'),
};

const render = (source) => renderMarkdown(parseMarkdown(source), fakeDocument);

// Serialises the fake tree for compact assertions: <tag attr="v">children</tag>, text as-is.
function html(node) {
  if (node.kind === 'text') return node.text;
  const inner = node.children.map(html).join('');
  if (node.kind === 'fragment') return inner;
  const attrs = Object.entries(node.attributes).map(([k, v]) => ` ${k}="${v}"`).join('');
  return `<${node.name}${attrs}>${inner}</${node.name}>`;
}

const ALLOWED = {
  p: [], br: [], hr: [], em: [], strong: [], s: [], code: ['class'], pre: ['data-language'],
  blockquote: [], ul: [], ol: ['start'], li: [], h3: [], h4: [], h5: [], h6: [],
  a: ['href', 'target', 'rel'],
};

function assertSafe(node) {
  if (node.kind === 'element') {
    assert.ok(node.name in ALLOWED, `element <${node.name}>`);
    for (const name of Object.keys(node.attributes)) {
      assert.ok(ALLOWED[node.name].includes(name), `attribute ${name} on <${node.name}>`);
    }
    if (node.name === 'a') assert.match(node.attributes.href, /^(https?:\/\/|mailto:)/);
  }
  node.children.forEach(assertSafe);
}

test('renders paragraphs, emphasis, code and line breaks', () => {
  assert.equal(html(render('Hi **there** *you* `x`\nnext')),
               '<p>Hi <strong>there</strong> <em>you</em> <code>x</code><br></br>next</p>');
});

test('renders a fenced code block with its language', () => {
  assert.equal(html(render('```js\nlet a = "<b>";\n```')),
               '<pre data-language="js"><code class="language-js">let a = "<b>";</code></pre>');
});

test('tight lists hold plain lines; loose lists hold paragraphs', () => {
  assert.equal(html(render('- a\n- b')), '<ul><li>a</li><li>b</li></ul>');
  assert.equal(html(render('3. a\n\n4. b')), '<ol start="3"><li><p>a</p></li><li><p>b</p></li></ol>');
});

test('reply headings start at h3, under the page headings', () => {
  assert.equal(html(render('# A\n###### F')), '<h3>A</h3><h6>F</h6>');
});

test('links open in a new tab without referrer or opener', () => {
  assert.equal(html(render('[a](https://e.example/)')),
               '<p><a href="https://e.example/" target="_blank" ' +
                   'rel="noopener noreferrer nofollow">a</a></p>');
});

test('markup in model output arrives as text nodes only', () => {
  const fragment = render('<script>alert(1)</script> <img src=x onerror=alert(1)> ' +
                          '[x](javascript:alert(1)) <b onclick="x">b</b>');
  assertSafe(fragment);
  const [p] = fragment.children;
  assert.equal(p.name, 'p');
  assert.ok(p.children.every((child) => child.kind === 'text'));
  assert.equal(html(fragment),
               '<p><script>alert(1)</script> <img src=x onerror=alert(1)> x <b onclick="x">b</b></p>');
});

test('a hand-made tree with a bad link, tag or language is rendered safely anyway', () => {
  const tree = { type: 'document', children: [
    { type: 'paragraph', children: [
      { type: 'link', href: 'javascript:alert(1)', children: [{ type: 'text', text: 'x' }] },
      { type: 'script', children: [{ type: 'text', text: 'alert(1)' }] },
      { type: 'text', text: '<i>' },
    ] },
    { type: 'code_block', language: '" onmouseover="alert(1)', text: 'code' },
    { type: 'heading', level: '1 onclick=x', children: [] },
    { type: 'list', ordered: true, start: '1" onclick="x', tight: true, items: [] },
  ] };
  const fragment = renderMarkdown(tree, fakeDocument);
  assertSafe(fragment);
  assert.equal(html(fragment), '<p>x<i></p><pre><code>code</code></pre><h3></h3><ol></ol>');
});

test('every construct of a long mixed reply renders within the allow-list', () => {
  const reply = [
    '# Title', 'Some *text* with **bold**, ~~gone~~ and `code`.', '', '> quote', '',
    '1. one', '   - nested [link](https://a.example/)', '2. two', '', '---',
    '```python', 'print("<hi>")', '```', '<div onclick=alert(1)>', 'https://b.example/x',
  ].join('\n');
  assertSafe(render(reply));
});
