// How the page gets through the gateway's door, attempt by attempt. ChatConnection asks it
// for the URL of each attempt (prepare) and what a closed socket means (afterClose); it
// answers from this tab's credential and the gateway's replies to POST /v1/tickets. It
// touches no DOM; app.js shows what it decides. Runs on the page's main thread.
//
//   no credential   connect to /ws as is (a gateway with --auth none lets it in). If that
//                   fails before the socket opens, ask POST /v1/tickets without a
//                   credential: 401 means a credential is needed (lock: "needed"),
//                   anything else is an outage (retry with backoff).
//   a credential    trade it for a fresh single-use ticket before every attempt and connect
//                   to /ws?ticket=...; a 401 means it was not accepted (forget it, lock:
//                   "rejected").
//   a launch ticket (from the URL fragment) is used for the first attempt only.
//   close 4001      the gateway ended this credential's access: forget it and lock with
//                   "revoked", "expired" or "ended" (its close reason says which).

import { isJwt } from './credential.js';
import { requestTicket } from './ticket_request.js';

// The close code and reasons the gateway uses when a credential stops being valid while
// connected (docs/chat-page-auth.md).
export const CLOSE_UNAUTHORIZED = 4001;
const CLOSE_REASON_LOCKS = {
  'credential revoked': 'revoked',
  'token expired': 'expired',
};

// Why a 4001 close locked the page.
export function lockForClose(reason) {
  return CLOSE_REASON_LOCKS[reason] ?? 'ended';
}

export class ConnectionAccess {
  #fetch;
  #store;
  #socketUrl;
  #launchTicket;
  #renewalSent = null;  // the JWT last sent with "authenticate"; each is sent at most once

  // `fetch` is window.fetch, `store` a CredentialStore, `socketUrl` the gateway's /ws URL
  // (ws: or wss:, as the page), `launchTicket` a ticket from the URL fragment or null.
  constructor({ fetch, store, socketUrl, launchTicket = null }) {
    this.#fetch = fetch;
    this.#store = store;
    this.#socketUrl = socketUrl;
    this.#launchTicket = launchTicket;
  }

  get hasCredential() { return Boolean(this.#store.get()); }

  // Keeps `credential` (already read with readCredential) for this tab's next attempts.
  useCredential(credential) {
    this.#store.set(credential);
  }

  forget() {
    this.#store.forget();
  }

  // Before each attempt: { url } to connect to, { wait, retryAfterMs, why } to back off, or
  // { locked } to stop until the person gives a credential.
  async prepare() {
    if (this.#launchTicket) {
      const ticket = this.#launchTicket;
      this.#launchTicket = null;
      return { url: this.#ticketUrl(ticket) };
    }
    const credential = this.#store.get();
    if (!credential) return { url: this.#socketUrl };
    const outcome = await requestTicket(this.#fetch, credential);
    switch (outcome.kind) {
      case 'ticket':
        return { url: this.#ticketUrl(outcome.ticket) };
      case 'unauthorized':
        this.#store.forget();
        return { locked: 'rejected' };
      case 'forbidden':
        return { wait: true, why: 'forbidden' };
      default:
        return { wait: true, retryAfterMs: outcome.retryAfterMs };
    }
  }

  // After a socket closed ({ opened, code, reason }): { retry, retryAfterMs, why } or
  // { locked }.
  async afterClose({ opened, code, reason }) {
    if (code === CLOSE_UNAUTHORIZED) {
      this.#store.forget();
      return { locked: lockForClose(reason) };
    }
    // An upgrade refused for want of a credential never opens. With a credential the next
    // ticket request checks it again, so only a page without one needs to ask.
    if (opened || this.#store.get()) return { retry: true };
    const outcome = await requestTicket(this.#fetch, null);
    if (outcome.kind === 'unauthorized') return { locked: 'needed' };
    if (outcome.kind === 'forbidden') return { retry: true, why: 'forbidden' };
    return { retry: true, retryAfterMs: outcome.kind === 'unavailable' ? outcome.retryAfterMs : 0 };
  }

  // On a token_expired frame: the JWT to send with "authenticate", or null when this tab
  // has none it has not already sent (then the person is asked for a fresh one).
  renewalToken() {
    const credential = this.#store.get();
    if (!isJwt(credential) || credential === this.#renewalSent) return null;
    this.#renewalSent = credential;
    return credential;
  }

  #ticketUrl(ticket) {
    return `${this.#socketUrl}?ticket=${encodeURIComponent(ticket)}`;
  }
}
