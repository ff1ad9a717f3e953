// The API key or JWT a person pastes into the access panel: how the pasted text is read,
// whether it is a JWT, and where it is kept. It is kept in sessionStorage, so it lasts as
// long as this tab (reloads included) and no other tab or later visit sees it; it never goes
// into a URL or the console. Runs on the page's main thread.

const STORAGE_KEY = 'streamgate.credential';

// The characters the gateway accepts in a bearer credential; anything else would only be
// refused, so the page says so without sending it.
const TOKEN_TEXT = /^[A-Za-z0-9\-_.~+/=]+$/;
const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;
// The gateway refuses bigger tokens before parsing them (docs/jwt.md, kMaxTokenBytes).
const MAX_CREDENTIAL_BYTES = 8192;

// The credential in what was pasted, or null if it cannot be one. People paste whole header
// lines and stray whitespace or quotes, so those are dropped.
export function readCredential(pasted) {
  let text = String(pasted ?? '').trim();
  text = text.replace(/^authorization:\s*/i, '').replace(/^bearer(\s+|$)/i, '');
  text = text.replace(/^["']|["']$/g, '').trim();
  if (!text || text.length > MAX_CREDENTIAL_BYTES || !TOKEN_TEXT.test(text)) return null;
  return text;
}

// A JWT is three base64url parts joined by dots; an API key (sg_<id>_<secret>) has no dot.
// Only a JWT expires while connected and can be sent again with "authenticate".
export function isJwt(credential) {
  return typeof credential === 'string' && JWT_SHAPE.test(credential);
}

// This tab's credential. `storage` is window.sessionStorage; it may be missing or throw
// (storage disabled by the browser), and then the credential lives only as long as the page.
export class CredentialStore {
  #storage;
  #fallback = null;

  constructor(storage) {
    this.#storage = storage ?? null;
  }

  get() {
    try {
      if (this.#storage) return this.#storage.getItem(STORAGE_KEY) ?? this.#fallback;
    } catch {
      // fall through to the in-page copy
    }
    return this.#fallback;
  }

  set(credential) {
    this.#fallback = credential;
    try {
      this.#storage?.setItem(STORAGE_KEY, credential);
    } catch {
      // kept in the page only
    }
  }

  forget() {
    this.#fallback = null;
    try {
      this.#storage?.removeItem(STORAGE_KEY);
    } catch {
      // nothing stored
    }
  }
}
