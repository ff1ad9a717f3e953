// Markdown → a plain tree of objects, for the assistant's replies. No DOM and no HTML here:
// markdown_dom.js turns the tree into elements with createElement and text nodes, so
// nothing in a reply can ever become markup. Raw HTML in the input stays literal text.
//
// The subset chat replies use: paragraphs (a single newline is a line break, as in chat),
// ATX headings, fenced code blocks (``` or ~~~; an unclosed fence runs to the end, which is
// what a reply still streaming looks like), bullet and ordered lists nested by indentation,
// block quotes, thematic breaks; inline code, **strong**, *emphasis*, ~~strikethrough~~,
// [links](url), <autolinks>, bare http(s) URLs and backslash escapes. Links keep only
// http, https and mailto URLs; any other link is shown as its text.
//
// Tree shape (every node is a plain object with a `type`):
//   document     { children: Block[] }
//   paragraph    { children: Inline[] }          heading  { level: 1-6, children: Inline[] }
//   code_block   { language: string, text }      blockquote { children: Block[] }
//   list         { ordered, start, tight, items: list_item[] }
//   list_item    { children: Block[] }           thematic_break {}
//   text { text }  code { text }  line_break {}  link { href, children: Inline[] }
//   strong | emphasis | strikethrough { children: Inline[] }

import { parseInline, safeHref } from './markdown_inline.js';

export { safeHref };

// Deeper nesting than this is shown as text: it keeps hostile input from exhausting the stack.
const MAX_BLOCK_DEPTH = 12;

export function parseMarkdown(source) {
  const text = String(source ?? '').replace(/\r\n?/g, '\n');
  const lines = text.split('\n').map(expandLeadingTabs);
  return { type: 'document', children: parseBlocks(lines, 0) };
}

// ---------------------------------------------------------------------------------------
// Blocks

const FENCE_OPEN = /^( {0,3})(`{3,}|~{3,})(.*)$/;
const HEADING = /^ {0,3}(#{1,6})(?:[ \t]+(.*))?$/;
const THEMATIC_BREAK = /^ {0,3}(?:(?:\*[ \t]*){3,}|(?:-[ \t]*){3,}|(?:_[ \t]*){3,})$/;
const QUOTE = /^ {0,3}> ?(.*)$/;
const LIST_ITEM = /^( *)([-+*]|\d{1,9}[.)])(?:([ \t]+)(.*))?$/;

function expandLeadingTabs(line) {
  return line.replace(/^[ \t]+/, (lead) => lead.replace(/\t/g, '    '));
}

function isBlank(line) {
  return /^[ \t]*$/.test(line);
}

function indentOf(line) {
  return line.length - line.trimStart().length;
}

function openFence(line) {
  const match = FENCE_OPEN.exec(line);
  if (!match) return null;
  const [, indent, fence, info] = match;
  if (fence[0] === '`' && info.includes('`')) return null;
  return { indent: indent.length, char: fence[0], length: fence.length,
           language: info.trim().split(/\s+/)[0] };
}

function closesFence(line, fence) {
  const match = /^ {0,3}(`{3,}|~{3,})[ \t]*$/.exec(line);
  return match !== null && match[1][0] === fence.char && match[1].length >= fence.length;
}

function listMarker(line) {
  const match = LIST_ITEM.exec(line);
  if (!match) return null;
  const [, indent, marker, spaces = '', rest = ''] = match;
  const ordered = /\d/.test(marker[0]);
  // Content starts after the marker and its spaces; five or more spaces count as one.
  const gap = rest === '' ? 1 : (spaces.length > 4 ? 1 : spaces.length);
  return {
    indent: indent.length,
    ordered,
    // Items of one list share the bullet character or the ordered delimiter.
    kind: ordered ? marker[marker.length - 1] : marker,
    start: ordered ? Number.parseInt(marker, 10) : null,
    contentIndent: indent.length + marker.length + gap,
    content: spaces.length > 4 ? spaces.slice(1) + rest : rest,
  };
}

// Whether `line` begins a block other than a paragraph (so it ends a paragraph).
function startsBlock(line, containers) {
  if (openFence(line) || HEADING.test(line) || THEMATIC_BREAK.test(line)) return true;
  if (!containers) return false;
  if (QUOTE.test(line)) return true;
  const marker = listMarker(line);
  return marker !== null && marker.indent <= 3;
}

function parseBlocks(lines, depth) {
  const blocks = [];
  const containers = depth < MAX_BLOCK_DEPTH;
  let i = 0;
  while (i < lines.length) {
    const line = lines[i];
    if (isBlank(line)) {
      i++;
      continue;
    }
    const fence = openFence(line);
    if (fence) {
      const body = [];
      i++;
      while (i < lines.length && !closesFence(lines[i], fence)) {
        // Content lines lose up to as many spaces as the fence was indented.
        const strip = Math.min(fence.indent, indentOf(lines[i]));
        body.push(lines[i].slice(strip));
        i++;
      }
      i++;  // the closing fence, if there is one
      blocks.push({ type: 'code_block', language: fence.language, text: body.join('\n') });
      continue;
    }
    const heading = HEADING.exec(line);
    if (heading) {
      // A closing run of #s (after a space) is not part of the text.
      const content = (heading[2] ?? '').replace(/(?:^|[ \t]+)#+[ \t]*$/, '').trim();
      blocks.push({ type: 'heading', level: heading[1].length,
                    children: parseInline(content) });
      i++;
      continue;
    }
    if (THEMATIC_BREAK.test(line)) {
      blocks.push({ type: 'thematic_break' });
      i++;
      continue;
    }
    if (containers && QUOTE.test(line)) {
      const quoted = [];
      while (i < lines.length && !isBlank(lines[i])) {
        const match = QUOTE.exec(lines[i]);
        // A line without ">" continues the quote's paragraph ("lazy" continuation).
        if (!match && startsBlock(lines[i], containers)) break;
        quoted.push(match ? match[1] : lines[i]);
        i++;
      }
      blocks.push({ type: 'blockquote', children: parseBlocks(quoted, depth + 1) });
      continue;
    }
    const marker = containers ? listMarker(line) : null;
    if (marker && marker.indent <= 3) {
      const list = parseList(lines, i, marker, depth);
      blocks.push(list.node);
      i = list.next;
      continue;
    }
    const paragraph = [line.trim()];
    i++;
    while (i < lines.length && !isBlank(lines[i]) && !startsBlock(lines[i], containers)) {
      paragraph.push(lines[i].trim());
      i++;
    }
    blocks.push({ type: 'paragraph', children: parseInline(paragraph.join('\n')) });
  }
  return blocks;
}

// Parses the list whose first item is at lines[start]; returns the node and the next line.
function parseList(lines, start, first, depth) {
  const node = { type: 'list', ordered: first.ordered, start: first.start, tight: true,
                 items: [] };
  let i = start;
  let marker = first;
  while (marker) {
    const body = [marker.content];
    let blankInside = false;
    i++;
    while (i < lines.length) {
      const line = lines[i];
      if (isBlank(line)) {
        // Blank lines belong to the item only if it goes on, indented, after them.
        let next = i;
        while (next < lines.length && isBlank(lines[next])) next++;
        if (next < lines.length && indentOf(lines[next]) >= marker.contentIndent) {
          for (; i < next; i++) body.push('');
          blankInside = true;
          continue;
        }
        break;
      }
      const indent = indentOf(line);
      const nested = listMarker(line);
      if (indent >= marker.contentIndent || (nested && indent > marker.indent)) {
        // Indented under the item (or a sub-list indented less than CommonMark asks,
        // which models often write): part of this item.
        body.push(line.slice(Math.min(indent, marker.contentIndent)));
      } else if (!nested && !startsBlock(line, true) && !isBlank(lines[i - 1])) {
        body.push(line.trim());  // lazy continuation of the item's paragraph
      } else {
        break;
      }
      i++;
    }
    node.items.push({ type: 'list_item', children: parseBlocks(body, depth + 1) });
    if (blankInside) node.tight = false;

    // The list goes on if the next item (after blank lines, which make it loose) matches.
    let next = i;
    while (next < lines.length && isBlank(lines[next])) next++;
    const following = next < lines.length ? listMarker(lines[next]) : null;
    if (following && following.kind === marker.kind && following.indent <= 3 &&
        following.ordered === marker.ordered) {
      if (next > i) node.tight = false;
      i = next;
      marker = following;
    } else {
      marker = null;
    }
  }
  return { node, next: i };
}
