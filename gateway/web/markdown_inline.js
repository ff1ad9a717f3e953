// The inline half of the Markdown parser (see markdown.js for the tree it builds): code
// spans, emphasis, strong, strikethrough, links, autolinks, bare URLs, escapes and line
// breaks inside one paragraph or heading. Also the one check every link passes, safeHref.

// Deeper nesting than this is shown as text: it keeps hostile input from exhausting the stack.
const MAX_INLINE_DEPTH = 12;
// Link labels and destinations longer than this are not links; it bounds the scanning.
const MAX_LINK_LABEL = 1000;
const MAX_LINK_DEST = 2048;

const SAFE_SCHEMES = new Set(['http:', 'https:', 'mailto:']);

// The normalised URL if `raw` is an absolute http(s) or mailto URL, otherwise null.
// Relying on the URL parser (not a regex) means "java\tscript:" and friends are seen as
// the browser would see them.
export function safeHref(raw) {
  if (typeof raw !== 'string') return null;
  let url;
  try {
    url = new URL(raw.trim());
  } catch {
    return null;
  }
  return SAFE_SCHEMES.has(url.protocol) ? url.href : null;
}

const ASCII_PUNCTUATION = /[!-/:-@[-`{-~]/;
const AUTOLINK = /^<([A-Za-z][A-Za-z0-9+.-]{1,31}:[^\s<>]*)>/;
const BARE_URL = /^https?:\/\/[^\s<>"`]+/i;

function isWhitespace(c) {
  return c === undefined || /\s/.test(c);
}

function isWordChar(c) {
  return c !== undefined && /[\p{L}\p{N}]/u.test(c);
}

function runLength(src, i, c) {
  let j = i;
  while (src[j] === c) j++;
  return j - i;
}

function pushText(out, text) {
  if (text === '') return;
  const last = out[out.length - 1];
  if (last && last.type === 'text') {
    last.text += text;
  } else {
    out.push({ type: 'text', text });
  }
}

// Parses inline content. `noLinks` is set inside a link's label (links do not nest).
export function parseInline(src, depth = 0, noLinks = false) {
  if (depth > MAX_INLINE_DEPTH) return src === '' ? [] : [{ type: 'text', text: src }];
  const out = [];
  // Remembers closers known to be absent, so hostile input cannot make parsing quadratic.
  const missing = new Set();
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    if (c === '\\') {
      if (src[i + 1] === '\n') {
        out.push({ type: 'line_break' });
        i += 2;
        continue;
      }
      if (i + 1 < src.length && ASCII_PUNCTUATION.test(src[i + 1])) {
        pushText(out, src[i + 1]);
        i += 2;
        continue;
      }
    }
    if (c === '\n') {
      out.push({ type: 'line_break' });
      i++;
      continue;
    }
    if (c === '`') {
      const span = matchCodeSpan(src, i, missing);
      if (span) {
        out.push({ type: 'code', text: span.text });
        i = span.end;
      } else {
        const length = runLength(src, i, '`');
        pushText(out, src.slice(i, i + length));
        i += length;
      }
      continue;
    }
    if (!noLinks && (c === '[' || (c === '!' && src[i + 1] === '['))) {
      // An image becomes a link to it, labelled with its alt text: the page loads nothing
      // a reply names.
      const link = matchLink(src, c === '!' ? i + 1 : i, depth);
      if (link) {
        pushLink(out, link.href, link.children);
        i = link.end;
        continue;
      }
    }
    if (!noLinks && c === '<') {
      const match = AUTOLINK.exec(src.slice(i, i + MAX_LINK_DEST));
      if (match) {
        pushLink(out, match[1], [{ type: 'text', text: match[1] }]);
        i += match[0].length;
        continue;
      }
    }
    if (!noLinks && (c === 'h' || c === 'H') && !isWordChar(src[i - 1])) {
      const url = matchBareUrl(src, i);
      if (url) {
        pushLink(out, url, [{ type: 'text', text: url }]);
        i += url.length;
        continue;
      }
    }
    if (c === '*' || c === '_' || c === '~') {
      const span = matchDelimited(src, i, depth, noLinks, missing);
      if (span) {
        out.push(span.node);
        i = span.end;
      } else {
        const length = runLength(src, i, c);
        pushText(out, src.slice(i, i + length));
        i += length;
      }
      continue;
    }
    pushText(out, c);
    i++;
  }
  return out;
}

function pushLink(out, href, children) {
  const safe = safeHref(href);
  if (safe) {
    out.push({ type: 'link', href: safe, children });
  } else {
    for (const child of children) {
      if (child.type === 'text') pushText(out, child.text);
      else out.push(child);
    }
  }
}

function matchCodeSpan(src, start, missing) {
  const length = runLength(src, start, '`');
  if (missing.has('`' + length)) return null;
  let j = start + length;
  while (j < src.length) {
    if (src[j] !== '`') {
      j++;
      continue;
    }
    const closing = runLength(src, j, '`');
    if (closing === length) {
      let text = src.slice(start + length, j).replace(/\n/g, ' ');
      if (text.length > 1 && text[0] === ' ' && text[text.length - 1] === ' ' && text.trim()) {
        text = text.slice(1, -1);
      }
      return { text, end: j + length };
    }
    j += closing;
  }
  missing.add('`' + length);
  return null;
}

// [label](destination "optional title") starting at src[start] === '['.
function matchLink(src, start, depth) {
  let level = 0;
  let j = start;
  let labelEnd = -1;
  const limit = Math.min(src.length, start + MAX_LINK_LABEL);
  for (; j < limit; j++) {
    const c = src[j];
    if (c === '\\') {
      j++;
    } else if (c === '[') {
      level++;
    } else if (c === ']') {
      level--;
      if (level === 0) {
        labelEnd = j;
        break;
      }
    }
  }
  if (labelEnd < 0 || src[labelEnd + 1] !== '(') return null;
  const tail = /^\(\s*(<[^<>\n]*>|(?:[^\s()\\]|\\.|\((?:[^\s()\\]|\\.)*\))*)(?:\s+("[^"]*"|'[^']*'|\([^()]*\)))?\s*\)/
      .exec(src.slice(labelEnd + 1, labelEnd + 1 + MAX_LINK_DEST));
  if (!tail) return null;
  let href = tail[1];
  if (href.startsWith('<')) href = href.slice(1, -1);
  href = href.replace(/\\([!-/:-@[-`{-~])/g, '$1');
  return {
    href,
    children: parseInline(src.slice(start + 1, labelEnd), depth + 1, true),
    end: labelEnd + 1 + tail[0].length,
  };
}

function matchBareUrl(src, start) {
  const match = BARE_URL.exec(src.slice(start, start + MAX_LINK_DEST));
  if (!match) return null;
  let url = match[0];
  // Trailing punctuation ends the sentence, not the URL; so does an unbalanced ")".
  for (;;) {
    const last = url[url.length - 1];
    if ('.,:;!?\'"*_~'.includes(last)) {
      url = url.slice(0, -1);
    } else if (last === ')' && (url.match(/\(/g) ?? []).length < (url.match(/\)/g) ?? []).length) {
      url = url.slice(0, -1);
    } else {
      break;
    }
  }
  return /^https?:\/\/[^/?#]/i.test(url) ? url : null;
}

// *emphasis*, **strong**, ***both***, the same with _, and ~~strikethrough~~, starting at
// src[start]. The closer is the next run of the same character and the same length that
// can close; "_" does not open or close inside a word (snake_case stays as it is).
function matchDelimited(src, start, depth, noLinks, missing) {
  const c = src[start];
  const length = runLength(src, start, c);
  if (c === '~' ? length !== 2 : length > 3) return null;
  const after = src[start + length];
  if (isWhitespace(after)) return null;
  if (c === '_' && isWordChar(src[start - 1])) return null;
  const key = c + length;
  if (missing.has(key)) return null;
  let j = start + length;
  while (j < src.length) {
    const d = src[j];
    if (d === '\\') {
      j += 2;
      continue;
    }
    if (d === '`') {
      const span = matchCodeSpan(src, j, missing);
      j = span ? span.end : j + runLength(src, j, '`');
      continue;
    }
    if (d !== c) {
      j++;
      continue;
    }
    const closing = runLength(src, j, c);
    const canClose = closing === length && j > start + length && !isWhitespace(src[j - 1]) &&
        !(c === '_' && isWordChar(src[j + closing]));
    if (canClose) {
      const children = parseInline(src.slice(start + length, j), depth + 1, noLinks);
      return { node: wrapDelimited(c, length, children), end: j + closing };
    }
    j += closing;
  }
  missing.add(key);
  return null;
}

function wrapDelimited(c, length, children) {
  if (c === '~') return { type: 'strikethrough', children };
  if (length === 1) return { type: 'emphasis', children };
  if (length === 2) return { type: 'strong', children };
  return { type: 'strong', children: [{ type: 'emphasis', children }] };
}
