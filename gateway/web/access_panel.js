// The access panel: a dialog that says why the page cannot get in (or has to get in
// again) and takes an API key or token. It only shows and reads; app.js decides what to do
// with what is pasted. Owns the children of the <dialog id="access"> in index.html; runs
// on the page's main thread.
//
// Events: "submit" ({ text }) when the person asks to connect with what they pasted;
//         "hidden" whenever the panel closes (hide(), "Not now" or Escape).

// What the panel says for each reason it is shown. "needed" ... "ended" are the locks of
// connection_access.js; "expiring" and "renewal_refused" come while still connected, so
// their button renews the connection instead of making one.
export const ACCESS_TEXT = {
  needed: {
    title: 'This gateway needs an API key or token',
    detail: 'Paste the API key (it starts with sg_) or the token (JWT) you were given for ' +
            'this gateway.',
  },
  rejected: {
    title: 'That key was not accepted',
    detail: 'The gateway refused it: it may be mistyped, revoked or expired. This tab has ' +
            'forgotten it; paste a valid API key or token.',
  },
  revoked: {
    title: 'Your access was revoked',
    detail: 'The gateway closed the connection because this key or token was revoked. ' +
            'Paste another one to go on; the conversation starts anew.',
  },
  expired: {
    title: 'Your token expired',
    detail: 'The gateway closed the connection because the token expired and was not ' +
            'renewed. Paste a fresh token to go on; the conversation starts anew.',
  },
  ended: {
    title: 'Your access ended',
    detail: 'The gateway closed the connection because your access was revoked or has ' +
            'expired. Paste a valid API key or token to go on.',
  },
  expiring: {
    title: 'Your token has expired',
    detail: 'Paste a fresh token (JWT) now to keep this conversation; otherwise the ' +
            'gateway closes the connection shortly.',
    action: 'Renew',
  },
  renewal_refused: {
    title: 'Your token has expired',
    detail: 'The gateway did not accept the token this tab had. Paste a fresh token (JWT) ' +
            'now to keep this conversation; otherwise the gateway closes the connection ' +
            'shortly.',
    action: 'Renew',
  },
};

const BUSY_LABEL = { Connect: 'Connecting…', Renew: 'Renewing…' };

export class AccessPanel extends EventTarget {
  #dialog;
  #title;
  #detail;
  #problem;
  #input;
  #submit;
  #reason = null;
  #action = 'Connect';

  constructor(dialog) {
    super();
    this.#dialog = dialog;
    this.#title = dialog.querySelector('#access-title');
    this.#detail = dialog.querySelector('#access-detail');
    this.#problem = dialog.querySelector('#access-problem');
    this.#input = dialog.querySelector('#access-credential');
    this.#submit = dialog.querySelector('#access-submit');
    dialog.querySelector('form').addEventListener('submit', (event) => {
      event.preventDefault();
      if (this.#submit.disabled) return;
      this.dispatchEvent(new CustomEvent('submit', { detail: { text: this.#input.value } }));
    });
    dialog.querySelector('#access-dismiss').addEventListener('click', () => this.hide());
    // Escape closes a modal dialog by itself, so this is the one place that sees every close.
    // The event comes a task later: a show() in between has reopened the panel.
    dialog.addEventListener('close', () => {
      if (dialog.open) return;
      this.#reason = null;
      this.#input.value = '';
      this.dispatchEvent(new CustomEvent('hidden'));
    });
  }

  get isOpen() { return this.#dialog.open; }
  // The reason it is shown for; null while closed.
  get reason() { return this.#reason; }

  // Shows (or re-words) the panel; the pasted text is cleared, since a reason to show it
  // again is that it did not work.
  show(reason) {
    const text = ACCESS_TEXT[reason] ?? ACCESS_TEXT.ended;
    this.#reason = reason;
    this.#action = text.action ?? 'Connect';
    this.#title.textContent = text.title;
    this.#detail.textContent = text.detail;
    this.#problem.textContent = '';
    this.#problem.hidden = true;
    this.#input.value = '';
    this.setBusy(false);
    if (!this.#dialog.open) this.#dialog.showModal();
    this.#input.focus();
  }

  // A problem with what was pasted, shown under the field; the panel stays open.
  showProblem(text) {
    this.setBusy(false);
    this.#problem.textContent = text;
    this.#problem.hidden = false;
    this.#input.focus();
  }

  // While a pasted credential is being tried, the button says so and cannot be pressed again.
  setBusy(busy) {
    this.#submit.disabled = busy;
    this.#submit.textContent = busy ? BUSY_LABEL[this.#action] : this.#action;
  }

  hide() {
    this.#reason = null;
    if (this.#dialog.open) this.#dialog.close();
  }
}
