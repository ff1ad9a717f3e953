// What the page accepts as a pasted credential, how it tells a JWT from an API key, and
// that the tab's copy survives a browser that refuses storage.
// Run: node --test tests/web/credential.test.mjs

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { CredentialStore, isJwt, readCredential } from '../../gateway/web/credential.js';

const KEY = 'sg_79cbb496ef69__0PpQ9KxD1BwtLFwN_eZtWngGP8T2OUF--9hJaDmwCU';
const JWT = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl';

test('a key or token pasted as it is, or with the dressing people copy along', () => {
  for (const pasted of [KEY, `  ${KEY}\n`, `Bearer ${KEY}`, `Authorization: Bearer ${KEY}`,
                        `"${KEY}"`, `'${KEY}'`]) {
    assert.equal(readCredential(pasted), KEY, JSON.stringify(pasted));
  }
  assert.equal(readCredential(`bearer ${JWT}`), JWT);
});

test('text that cannot be a credential is refused before it is sent', () => {
  for (const pasted of ['', '   ', null, undefined, 'two words', 'sg_x\nsg_y', 'ключ',
                        'a'.repeat(8193), 'Bearer ']) {
    assert.equal(readCredential(pasted), null, JSON.stringify(pasted));
  }
});

test('a JWT is three base64url parts; an API key is not one', () => {
  assert.equal(isJwt(JWT), true);
  assert.equal(isJwt('a.b.'), true, 'an unsigned shape still counts; the gateway decides');
  for (const other of [KEY, 'a.b', 'a.b.c.d', '.b.c', 'a+b.c.d', '', null, undefined, 42]) {
    assert.equal(isJwt(other), false, String(other));
  }
});

class MemoryStorage {
  items = new Map();
  getItem(key) { return this.items.has(key) ? this.items.get(key) : null; }
  setItem(key, value) { this.items.set(key, String(value)); }
  removeItem(key) { this.items.delete(key); }
}

test('the store keeps one credential in the storage it is given, and forgets it', () => {
  const storage = new MemoryStorage();
  const store = new CredentialStore(storage);
  assert.equal(store.get(), null);
  store.set(KEY);
  assert.equal(new CredentialStore(storage).get(), KEY, 'a reload finds it');
  assert.equal(storage.items.size, 1);
  store.forget();
  assert.equal(store.get(), null);
  assert.equal(new CredentialStore(storage).get(), null);
});

test('without usable storage the credential lasts as long as the page', () => {
  const refusing = {
    getItem() { throw new Error('SecurityError'); },
    setItem() { throw new Error('QuotaExceededError'); },
    removeItem() { throw new Error('SecurityError'); },
  };
  for (const storage of [refusing, null, undefined]) {
    const store = new CredentialStore(storage);
    store.set(JWT);
    assert.equal(store.get(), JWT);
    store.forget();
    assert.equal(store.get(), null);
  }
});
