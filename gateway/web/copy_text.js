// Puts text on the clipboard: the async Clipboard API where the page may use it (a secure
// context: https, or http on localhost), else a selected off-screen textarea and the older
// execCommand("copy"), which a plain-http deployment behind a proxy still allows on a click.
// Resolves to whether it worked. Runs on the page's main thread, from a click.

export async function copyText(text, { clipboard = globalThis.navigator?.clipboard,
                                       doc = globalThis.document } = {}) {
  if (typeof clipboard?.writeText === 'function') {
    try {
      await clipboard.writeText(text);
      return true;
    } catch {
      // Denied (no permission, not focused): the fallback may still work.
    }
  }
  return copyBySelection(text, doc);
}

function copyBySelection(text, doc) {
  if (!doc?.body || typeof doc.execCommand !== 'function') return false;
  const area = doc.createElement('textarea');
  area.value = text;
  area.setAttribute('readonly', '');
  area.className = 'copy-buffer';
  const focused = doc.activeElement;
  doc.body.append(area);
  area.select();
  let copied = false;
  try {
    copied = doc.execCommand('copy') === true;
  } catch {
    copied = false;
  }
  area.remove();
  focused?.focus?.();
  return copied;
}
