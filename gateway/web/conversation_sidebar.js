// The sidebar: the session's conversations (newest first), a button for a new one, and on
// narrow screens the menu it becomes (opened from the top bar, over the conversation). It
// only shows and reports; conversations.js decides. Owns the children of the list element
// and the menu's open state; runs on the page's main thread.
//
// Events: "select" ({ id }), "create", "delete" ({ id }).

const UNTITLED = 'New conversation';

// "3 exchanges", "Replying…": the line under a title.
export function conversationMeta(entry, busy) {
  if (busy) return 'Replying…';
  if (entry.exchanges === 0) return entry.known ? 'No replies yet' : 'Not started';
  return entry.exchanges === 1 ? '1 exchange' : `${entry.exchanges} exchanges`;
}

export class ConversationSidebar extends EventTarget {
  #nav;
  #list;
  #toggle;
  #scrim;
  #narrow;
  #behind;

  // `nav` the sidebar, `list` its <ul>, `toggle` the top bar's menu button, `newButton`,
  // `closeButton` the menu's own close button, `scrim` what covers the conversation while
  // the menu is open, `behind` that conversation (inert while the menu covers it); `narrow`
  // a MediaQueryList that matches while the sidebar is a menu.
  constructor({ nav, list, toggle, newButton, closeButton, scrim, behind, narrow }) {
    super();
    this.#nav = nav;
    this.#list = list;
    this.#toggle = toggle;
    this.#scrim = scrim;
    this.#narrow = narrow;
    this.#behind = behind;
    toggle.addEventListener('click', () => (this.isOpen ? this.close() : this.open()));
    scrim.addEventListener('click', () => this.close());
    closeButton.addEventListener('click', () => this.close());
    // The menu closes first: what the page then focuses is no longer behind it (inert).
    newButton.addEventListener('click', () => {
      this.close();
      this.dispatchEvent(new CustomEvent('create'));
    });
    nav.addEventListener('keydown', (event) => {
      if (event.key === 'Escape' && this.isOpen) {
        event.preventDefault();
        this.close();
      }
    });
    list.addEventListener('click', (event) => this.#onClick(event));
    // Widening the window turns the menu back into a sidebar.
    narrow.addEventListener?.('change', () => this.close({ focusToggle: false }));
    this.#setOpen(false);
  }

  get isOpen() { return this.#nav.dataset.open === 'true'; }

  open() {
    this.#setOpen(true);
    (this.#list.querySelector('[aria-current="true"]') ?? this.#nav.querySelector('button'))
        ?.focus();
  }

  // Focus that was in the menu goes back to its toggle (`focusToggle`).
  close({ focusToggle = true } = {}) {
    if (!this.isOpen) return;
    const focusWasInside = this.#nav.contains(document.activeElement);
    this.#setOpen(false);
    if (focusToggle && focusWasInside && this.#narrow.matches) this.#toggle.focus();
  }

  // `items` from ConversationList.items(), `currentId` the one on screen, `busyIds` those
  // with a reply running. Focus stays on the button it was on.
  render(items, currentId, busyIds = []) {
    const focused = this.#list.contains(document.activeElement)
      ? { id: document.activeElement.dataset.id, action: document.activeElement.dataset.action }
      : null;
    const rows = items.map((entry) => this.#row(entry, entry.id === currentId,
                                                busyIds.includes(entry.id)));
    this.#list.replaceChildren(...rows);
    if (focused) {
      const again = [...this.#list.querySelectorAll('button')].find(
          (b) => b.dataset.id === focused.id && b.dataset.action === focused.action);
      (again ?? this.#list.querySelector('button') ?? this.#nav.querySelector('button'))?.focus();
    }
  }

  #row(entry, current, busy) {
    const title = entry.title || UNTITLED;
    const item = document.createElement('li');
    item.className = 'conversation-row';
    const open = document.createElement('button');
    open.type = 'button';
    open.className = 'conversation-item';
    open.dataset.id = entry.id;
    open.dataset.action = 'select';
    if (current) open.setAttribute('aria-current', 'true');
    const name = document.createElement('span');
    name.className = 'conversation-title';
    name.textContent = title;
    const meta = document.createElement('span');
    meta.className = 'conversation-meta';
    if (busy) meta.dataset.busy = 'true';
    meta.textContent = conversationMeta(entry, busy);
    open.append(name, meta);
    const remove = document.createElement('button');
    remove.type = 'button';
    remove.className = 'conversation-delete';
    remove.dataset.id = entry.id;
    remove.dataset.action = 'delete';
    remove.setAttribute('aria-label', `Delete conversation: ${title}`);
    remove.title = 'Delete';
    remove.textContent = '×';
    item.append(open, remove);
    return item;
  }

  #onClick(event) {
    const button = event.target.closest('button[data-action]');
    if (!button || !this.#list.contains(button)) return;
    const { id, action } = button.dataset;
    if (action === 'select') {
      this.close();
      this.dispatchEvent(new CustomEvent('select', { detail: { id } }));
    } else if (action === 'delete') {
      this.dispatchEvent(new CustomEvent('delete', { detail: { id } }));
    }
  }

  #setOpen(open) {
    this.#nav.dataset.open = String(open);
    this.#toggle.setAttribute('aria-expanded', String(open));
    this.#scrim.hidden = !open;
    this.#behind.inert = open && this.#narrow.matches;
  }
}
