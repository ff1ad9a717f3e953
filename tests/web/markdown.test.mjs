// The chat page's Markdown parser: the tree it builds, and that nothing in model output
// turns into anything but text or an http(s)/mailto link.
// Run: node --test tests/web/markdown.test.mjs

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { parseMarkdown, safeHref } from '../../gateway/web/markdown.js';

const blocks = (source) => parseMarkdown(source).children;
const inline = (source) => {
  const [first, ...rest] = blocks(source);
  assert.equal(rest.length, 0, 'expected one block');
  assert.equal(first.type, 'paragraph');
  return first.children;
};
const text = (t) => ({ type: 'text', text: t });

// Every node type that exists, to check no input invents another.
const NODE_TYPES = new Set([
  'document', 'paragraph', 'heading', 'code_block', 'blockquote', 'list', 'list_item',
  'thematic_break', 'text', 'code', 'line_break', 'link', 'strong', 'emphasis', 'strikethrough',
]);

function* walk(node) {
  yield node;
  for (const child of [...(node.children ?? []), ...(node.items ?? [])]) yield* walk(child);
}

function assertOnlyTextAndSafeLinks(tree) {
  for (const node of walk(tree)) {
    assert.ok(NODE_TYPES.has(node.type), `unexpected node type ${node.type}`);
    if (node.type === 'link') assert.match(node.href, /^(https?|mailto):/);
  }
}

test('plain text is one paragraph of text', () => {
  assert.deepEqual(blocks('Hello world'), [{ type: 'paragraph', children: [text('Hello world')] }]);
});

test('blank lines separate paragraphs; a single newline is a line break', () => {
  assert.deepEqual(blocks('one\ntwo\n\nthree'), [
    { type: 'paragraph', children: [text('one'), { type: 'line_break' }, text('two')] },
    { type: 'paragraph', children: [text('three')] },
  ]);
});

test('empty and whitespace-only input give an empty document', () => {
  assert.deepEqual(parseMarkdown(''), { type: 'document', children: [] });
  assert.deepEqual(parseMarkdown('  \n\t\n'), { type: 'document', children: [] });
  assert.deepEqual(parseMarkdown(undefined), { type: 'document', children: [] });
});

test('emphasis, strong, both and strikethrough', () => {
  assert.deepEqual(inline('*a* _b_ **c** __d__ ***e*** ~~f~~'), [
    { type: 'emphasis', children: [text('a')] }, text(' '),
    { type: 'emphasis', children: [text('b')] }, text(' '),
    { type: 'strong', children: [text('c')] }, text(' '),
    { type: 'strong', children: [text('d')] }, text(' '),
    { type: 'strong', children: [{ type: 'emphasis', children: [text('e')] }] }, text(' '),
    { type: 'strikethrough', children: [text('f')] },
  ]);
});

test('emphasis nests inside strong', () => {
  assert.deepEqual(inline('**bold *and italic* text**'), [{
    type: 'strong',
    children: [text('bold '), { type: 'emphasis', children: [text('and italic')] }, text(' text')],
  }]);
});

test('stray delimiters stay literal', () => {
  assert.deepEqual(inline('2 * 3 * 4'), [text('2 * 3 * 4')]);
  assert.deepEqual(inline('snake_case_name and __init__'), [
    text('snake_case_name and '), { type: 'strong', children: [text('init')] }]);
  assert.deepEqual(inline('**unclosed'), [text('**unclosed')]);
  assert.deepEqual(inline('a ~ b ~~ c'), [text('a ~ b ~~ c')]);
});

test('inline code keeps its content literally', () => {
  assert.deepEqual(inline('use `a *b* <i>` here'), [
    text('use '), { type: 'code', text: 'a *b* <i>' }, text(' here')]);
  assert.deepEqual(inline('`` a`b ``'), [{ type: 'code', text: 'a`b' }]);
  assert.deepEqual(inline('an `unclosed span'), [text('an `unclosed span')]);
});

test('backslash escapes make punctuation literal', () => {
  assert.deepEqual(inline('\\*not em\\* \\`x\\` \\[y\\](z)'), [text('*not em* `x` [y](z)')]);
});

test('links keep http, https and mailto URLs', () => {
  assert.deepEqual(inline('[docs](https://example.com/a?b=1) and [mail](mailto:a@b.c)'), [
    { type: 'link', href: 'https://example.com/a?b=1', children: [text('docs')] },
    text(' and '),
    { type: 'link', href: 'mailto:a@b.c', children: [text('mail')] },
  ]);
  assert.deepEqual(inline('[t](<https://e.com/a b> "title")'), [
    { type: 'link', href: 'https://e.com/a%20b', children: [text('t')] }]);
  assert.deepEqual(inline('[w](https://en.wikipedia.org/wiki/C_(language))'), [
    { type: 'link', href: 'https://en.wikipedia.org/wiki/C_(language)', children: [text('w')] }]);
});

test('link labels may hold emphasis and code but not links', () => {
  assert.deepEqual(inline('[**b** `c` [x](https://x.y)](https://a.b/)'), [{
    type: 'link',
    href: 'https://a.b/',
    children: [{ type: 'strong', children: [text('b')] }, text(' '),
               { type: 'code', text: 'c' }, text(' [x](https://x.y)')],
  }]);
});

test('autolinks and bare URLs become links, without trailing punctuation', () => {
  assert.deepEqual(inline('see <https://a.example/x> or https://b.example/y.'), [
    text('see '),
    { type: 'link', href: 'https://a.example/x', children: [text('https://a.example/x')] },
    text(' or '),
    { type: 'link', href: 'https://b.example/y', children: [text('https://b.example/y')] },
    text('.'),
  ]);
  assert.deepEqual(inline('(https://c.example/z)'), [
    text('('), { type: 'link', href: 'https://c.example/z', children: [text('https://c.example/z')] },
    text(')')]);
});

test('images become links to the image, labelled with the alt text', () => {
  assert.deepEqual(inline('![a cat](https://img.example/cat.png)'), [
    { type: 'link', href: 'https://img.example/cat.png', children: [text('a cat')] }]);
});

test('headings, rules and block quotes', () => {
  assert.deepEqual(blocks('# One\n### Three ###\n---\n> quoted\n> still'), [
    { type: 'heading', level: 1, children: [text('One')] },
    { type: 'heading', level: 3, children: [text('Three')] },
    { type: 'thematic_break' },
    { type: 'blockquote', children: [
      { type: 'paragraph', children: [text('quoted'), { type: 'line_break' }, text('still')] }] },
  ]);
  assert.deepEqual(blocks('#hashtag'), [{ type: 'paragraph', children: [text('#hashtag')] }]);
});

test('fenced code blocks keep their text verbatim with the language', () => {
  assert.deepEqual(blocks('Before\n```python\ndef f():\n    return "<b>*x*</b>"\n```\nAfter'), [
    { type: 'paragraph', children: [text('Before')] },
    { type: 'code_block', language: 'python', text: 'def f():\n    return "<b>*x*</b>"' },
    { type: 'paragraph', children: [text('After')] },
  ]);
  assert.deepEqual(blocks('~~~\n```\n~~~'), [{ type: 'code_block', language: '', text: '```' }]);
});

test('an unclosed fence (a reply still streaming) runs to the end', () => {
  assert.deepEqual(blocks('```js\nconst a = 1;\n\nconst b'), [
    { type: 'code_block', language: 'js', text: 'const a = 1;\n\nconst b' }]);
});

test('bullet and ordered lists, tight, with nesting', () => {
  const item = (...children) => ({ type: 'list_item', children });
  const para = (t) => ({ type: 'paragraph', children: [text(t)] });
  assert.deepEqual(blocks('- a\n- b\n  - c\n\n3. x\n4. y'), [
    { type: 'list', ordered: false, start: null, tight: true, items: [
      item(para('a')),
      item(para('b'), { type: 'list', ordered: false, start: null, tight: true,
                        items: [item(para('c'))] }),
    ] },
    { type: 'list', ordered: true, start: 3, tight: true, items: [item(para('x')), item(para('y'))] },
  ]);
});

test('lists: blank lines make them loose; continuation lines stay in the item', () => {
  const [list] = blocks('1. first\n   more of first\n\n2. second');
  assert.equal(list.tight, false);
  assert.equal(list.items.length, 2);
  assert.deepEqual(list.items[0].children, [{ type: 'paragraph', children: [
    text('first'), { type: 'line_break' }, text('more of first')] }]);
});

test('a sub-list indented less than the marker width is still nested', () => {
  const [list] = blocks('1. step\n  - detail\n2. next');
  assert.equal(list.items.length, 2);
  assert.equal(list.items[0].children[1].type, 'list');
});

test('a list interrupts a paragraph', () => {
  assert.deepEqual(blocks('Options:\n- one').map((b) => b.type), ['paragraph', 'list']);
});

test('code blocks inside list items', () => {
  const [list] = blocks('- run:\n  ```sh\n  make\n  ```\n- done');
  assert.deepEqual(list.items[0].children[1], { type: 'code_block', language: 'sh', text: 'make' });
});

// ---- injection attempts: everything below must come out as text (or no link at all) ----

test('HTML tags are text, never elements', () => {
  const source = '<script>alert(1)</script>\n<img src=x onerror="alert(1)">\n' +
      '<a href="javascript:alert(1)">x</a> <iframe srcdoc="<script>">';
  const tree = parseMarkdown(source);
  assertOnlyTextAndSafeLinks(tree);
  assert.deepEqual(tree.children[0].children, [
    text('<script>alert(1)</script>'), { type: 'line_break' },
    text('<img src=x onerror="alert(1)">'), { type: 'line_break' },
    text('<a href="javascript:alert(1)">x</a> <iframe srcdoc="<script>">'),
  ]);
});

test('javascript:, data: and other schemes never become links', () => {
  const attempts = [
    '[x](javascript:alert(1))',
    '[x](JavaScript:alert(1))',
    '[x]( javascript:alert(1))',
    '[x](java\tscript:alert(1))',
    '[x](javascript&colon;alert(1))',
    '[x](data:text/html;base64,PHNjcmlwdD4=)',
    '[x](vbscript:msgbox(1))',
    '[x](file:///etc/passwd)',
    '[x](/relative/path)',
    '[x](//evil.example/a)',
    '<javascript:alert(1)>',
    '![x](javascript:alert(1))',
  ];
  for (const attempt of attempts) {
    const tree = parseMarkdown(attempt);
    assertOnlyTextAndSafeLinks(tree);
    const links = [...walk(tree)].filter((n) => n.type === 'link');
    assert.deepEqual(links, [], attempt);
  }
  assert.deepEqual(inline('[click](javascript:alert(1))'), [text('click')]);
});

test('attribute-breaking characters in a URL stay inside the href', () => {
  const [link] = inline('[x](https://e.example/"onmouseover="alert(1))');
  assert.equal(link.type, 'link');
  assert.equal(link.href, 'https://e.example/%22onmouseover=%22alert(1)');
});

test('safeHref accepts only absolute http, https and mailto URLs', () => {
  assert.equal(safeHref('https://example.com'), 'https://example.com/');
  assert.equal(safeHref('HTTP://EXAMPLE.com/A'), 'http://example.com/A');
  assert.equal(safeHref('mailto:x@y.z'), 'mailto:x@y.z');
  for (const bad of ['javascript:alert(1)', '\u0000javascript:x', 'data:,x', 'blob:x', '/a',
                     'example.com', '', null, undefined, 42]) {
    assert.equal(safeHref(bad), null, String(bad));
  }
});

test('hostile nesting and long runs finish quickly and stay text', () => {
  const inputs = [
    '>'.repeat(5000) + ' deep',
    '- '.repeat(2000) + 'deep',
    '*a '.repeat(5000),
    '['.repeat(5000) + 'x',
    '`'.repeat(3000) + 'a' + '``'.repeat(1000),
    '**'.repeat(5000),
    '_a'.repeat(5000),
    '[x]('.repeat(3000),
  ];
  for (const input of inputs) {
    const started = performance.now();
    assertOnlyTextAndSafeLinks(parseMarkdown(input));
    assert.ok(performance.now() - started < 1000, `slow on ${input.slice(0, 12)}…`);
  }
});

test('re-parsing a growing reply (as the page does per chunk) is consistent', () => {
  const full = 'Intro **bold** text.\n\n```js\nlet x = "<b>";\n```\n\n- item `code`\n- [link](https://e.x/)';
  for (let n = 0; n <= full.length; n++) assertOnlyTextAndSafeLinks(parseMarkdown(full.slice(0, n)));
  assert.deepEqual(blocks(full).map((b) => b.type), ['paragraph', 'code_block', 'list']);
});
