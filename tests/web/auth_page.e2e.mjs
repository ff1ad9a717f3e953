// The chat page against gateways that need a credential or serve TLS, in a real browser
// (Debian's Chromium driven by playwright-core) with the real binaries:
//   --auth api-keys   the access panel; a wrong key refused; the right key chats; a reload
//                     gets back in from sessionStorage; a ticket in the URL fragment; the
//                     key revoked (keys file rewritten + SIGHUP) closes with 4001 and the
//                     panel says so; Chromium accepts the streamgate.v1 echo of a socket
//                     that offered a bearer entry; no key in the gateway's log.
//   --auth jwt        a JWT that expires is renewed on the same connection with a fresh
//                     one pasted into the panel; one that is not renewed ends with 4001.
//   --tls-cert        https:// and wss:// with a test CA that Chromium trusts through an
//                     NSS database in a temporary HOME; a rate-limited message.
// Screenshots go to TEST_ARTIFACTS_DIR.
//
//   npm ci --prefix tests/web      # once: playwright-core only; it never downloads a browser
//   node tests/web/auth_page.e2e.mjs --gateway build/bin/gateway \
//       --llm-service build/bin/llm-service --streamgate-cli build/bin/streamgate-cli
//
// Every wait has a deadline and waits on a condition (a log line, the page's state), never
// on time alone. Steps run in order; after a failure the rest are skipped, and the failing
// step leaves a screenshot and the services' logs.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before } from 'node:test';

import { BrowserHarness, STEP_TIMEOUT_MS } from './browser_harness.mjs';
import { ServiceProcess } from './service_process.mjs';
import { makeTestPki, trustInNssDatabase } from './test_pki.mjs';

const harness = new BrowserHarness('auth_page.e2e', ['gateway', 'llm-service', 'streamgate-cli'], {
  wholeRunTimeoutMs: 170_000,
  // Chromium logs every 401 the page's ticket requests get: the probe that finds out a
  // credential is needed, and each refused key.
  expectedConsoleErrors: [/Failed to load resource: .*status of 401 \(Unauthorized\)/],
});
const { args } = harness;
const step = (name, body) => harness.step(name, body);

// ---------------------------------------------------------------------------------------
// Keys, certificates, services and browser.

let tmp;
let alice;  // the key the page uses, revoked near the end
let bob;  // a second key: keeps the keys file non-empty after alice goes, and makes tickets
let wrongKey;
let keysFile;
let llmService;
let keysGateway;  // --auth api-keys, plain HTTP
let jwtGateway;  // --auth jwt (one HS256 key), plain HTTP
let jwtSecret;
let tlsGateway;  // --auth none over TLS, one message a minute
let browser;
let page;
harness.watch({
  services: () => [llmService, keysGateway, jwtGateway, tlsGateway],
  page: () => page,
});
// How long the JWT gateway lets an expired token be renewed before it closes with 4001.
const JWT_LEEWAY_S = 6;

// A key made the way an operator makes one: `streamgate-cli keys add NAME` prints comment
// lines, the key, and the line for the keys file.
function makeKey(name) {
  const out = execFileSync(args.streamgateCli, ['keys', 'add', name],
                           { encoding: 'utf8', timeout: STEP_TIMEOUT_MS });
  const lines = out.split('\n').map((line) => line.trim())
      .filter((line) => line && !line.startsWith('#'));
  assert.equal(lines.length, 2, out.replace(/sg_\S+/g, 'sg_…'));
  const [key, fileLine] = lines;
  const parts = /^sg_([0-9a-f]+)_(.+)$/.exec(key);
  assert.ok(parts, 'the key looks like sg_<id>_<secret>');
  return { key, id: parts[1], secret: parts[2], fileLine };
}

const base64url = (bytes) => Buffer.from(bytes).toString('base64url');

// An HS256 JWT for `sub` that expires `seconds` from now (JWT times are whole seconds).
function makeJwt(sub, seconds) {
  const header = base64url(JSON.stringify({ alg: 'HS256', typ: 'JWT', kid: 'page-test' }));
  const exp = Math.floor(Date.now() / 1000) + seconds;
  const payload = base64url(JSON.stringify({ sub, exp }));
  const signature = createHmac('sha256', jwtSecret).update(`${header}.${payload}`).digest();
  return `${header}.${payload}.${base64url(signature)}`;
}

function writeKeysFile(keys) {
  writeFileSync(keysFile, keys.map((k) => `${k.fileLine}\n`).join(''), { mode: 0o600 });
}

async function startService(name, argv) {
  const service = new ServiceProcess(name, argv);
  await service.waitUntilListening(STEP_TIMEOUT_MS);
  return service;
}

before(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'streamgate-auth-page-'));
  alice = makeKey('alice');
  bob = makeKey('bob');
  // Well-formed, with alice's id, but not her secret.
  wrongKey = `sg_${alice.id}_${'x'.repeat(alice.secret.length)}`;
  keysFile = path.join(tmp, 'api-keys');
  writeKeysFile([alice, bob]);
  const pki = makeTestPki(path.join(tmp, 'pki'));
  const home = path.join(tmp, 'home');
  trustInNssDatabase(home, pki.ca);

  llmService = await startService('llm-service', [
    args.llmService, '--bind', '127.0.0.1', '--port', '0', '--metrics-port', '0', '--provider', 'mock',
    '--mock-chunk-delay-ms', '10', '--mock-extra-words', '0',
  ]);
  // --store memory: the three gateways share no file, and nothing is written under $HOME.
  const common = ['--bind', '127.0.0.1', '--port', '0',
                  '--llm-service', `127.0.0.1:${llmService.port}`, '--io-threads', '1',
                  '--store', 'memory'];
  keysGateway = await startService('gateway(api-keys)', [
    args.gateway, ...common, '--auth', 'api-keys', '--api-keys-file', keysFile,
  ]);
  jwtSecret = randomBytes(32);
  const jwks = path.join(tmp, 'jwks.json');
  writeFileSync(jwks, JSON.stringify({
    keys: [{ kid: 'page-test', alg: 'HS256', kty: 'oct', k: base64url(jwtSecret) }],
  }), { mode: 0o600 });
  jwtGateway = await startService('gateway(jwt)', [
    args.gateway, ...common, '--auth', 'jwt', '--jwt-keys-file', jwks,
    '--jwt-leeway', `${JWT_LEEWAY_S}s`,
  ]);
  tlsGateway = await startService('gateway(tls)', [
    args.gateway, ...common, '--tls-cert', pki.cert, '--tls-key', pki.key,
    '--limit-messages-per-minute', '1',
  ]);
  // Chromium reads $HOME/.pki/nssdb: this HOME trusts the test CA, and nothing else differs.
  browser = await harness.launch({ env: { HOME: home } });
});

after(async () => {
  await browser?.close().catch(() => {});
  harness.finish();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

const keysBase = () => `http://127.0.0.1:${keysGateway.port}`;

// Opens `url` in a new context (its own sessionStorage); returns the navigation's response.
async function openPage(url, contextOptions = { viewport: { width: 1280, height: 800 } }) {
  const opened = await harness.openPage(browser, url, contextOptions);
  page = opened.page;
  return opened.response;
}

// ---------------------------------------------------------------------------------------
// Page helpers. Locators are by role and label, as a person (or a screen reader) finds them.

const messageBox = () => page.getByRole('textbox', { name: 'Message' });
const sendButton = () => page.getByRole('button', { name: 'Send' });
const panel = (title) => page.getByRole('dialog', { name: title });
const credentialField = () => page.getByRole('textbox', { name: 'API key or token', exact: true });
const storedCredential = () => page.evaluate(() => sessionStorage.getItem('streamgate.credential'));

async function waitForConnection(state) {
  await page.locator(`#connection[data-state="${state}"]`).waitFor();
}

async function assertNoAccessPanel() {
  assert.equal(await page.getByRole('dialog').count(), 0, 'no access panel');
}

// Sends `text` and waits for its reply to finish; returns the reply's text.
async function chat(text) {
  const before = await page.locator('article.message.assistant').count();
  await messageBox().fill(text);
  await messageBox().press('Enter');
  await page.waitForFunction((count) => {
    const all = document.querySelectorAll('article.message.assistant');
    return all.length > count && all[all.length - 1].dataset.state === 'done';
  }, before);
  return page.locator('article.message.assistant').last().locator('.message-body').textContent();
}

async function screenshot(name) {
  await harness.screenshot(page, name);
}

// Pastes `text` into the panel and presses its button ("Connect", or "Renew" while the
// connection still stands).
async function pasteCredential(text, button = 'Connect') {
  await credentialField().fill(text);
  await page.getByRole('button', { name: button, exact: true }).click();
}

// ---------------------------------------------------------------------------------------
// --auth api-keys

step('the page explains that the gateway needs an API key or token', async () => {
  await openPage(`${keysBase()}/`);
  const dialog = panel('This gateway needs an API key or token');
  await dialog.waitFor();
  await waitForConnection('locked');
  assert.equal(await page.locator('#connection-text').textContent(), 'Needs an API key or token');
  assert.match(await dialog.textContent(), /only in this tab \(sessionStorage\)/);
  assert.match(await dialog.textContent(), /never put in a URL/);
  assert.equal(await credentialField().getAttribute('type'), 'password');
  assert.equal(await sendButton().isDisabled(), true);
  await screenshot('auth-panel.png');
});

step('a wrong key is refused with a message and not kept', async () => {
  await pasteCredential(wrongKey);
  await panel('That key was not accepted').waitFor();
  assert.match(await panel('That key was not accepted').textContent(), /forgotten it/);
  assert.equal(await credentialField().inputValue(), '');
  assert.equal(await storedCredential(), null);
  assert.equal(await sendButton().isDisabled(), true);
  await screenshot('auth-panel-refused.png');
});

step('the right key lets the user chat; the socket speaks streamgate.v1', async () => {
  await pasteCredential(alice.key);
  await waitForConnection('connected');
  await assertNoAccessPanel();
  assert.equal(await page.locator('#connection').getAttribute('data-protocol'), 'streamgate.v1');
  assert.equal(await chat('hello with a key'), 'Echo: hello with a key');
  await keysGateway.waitForLine(/session open .*identity=alice/, STEP_TIMEOUT_MS, { since: 0 });
  assert.equal(await storedCredential(), alice.key, 'kept for this tab');
  assert.ok(!page.url().includes(alice.secret));
  await screenshot('auth-chat.png');
});

step('after a reload the page gets back in without asking', async () => {
  await page.reload();
  await waitForConnection('connected');
  await assertNoAccessPanel();
  assert.equal(await chat('after a reload'), 'Echo: after a reload');
});

step('Chromium accepts the streamgate.v1 echo of a socket that offered a bearer entry', async () => {
  const open = (url, protocols) => page.evaluate(({ url, protocols }) => new Promise((resolve) => {
    const ws = new WebSocket(url, protocols);
    const deadline = setTimeout(() => resolve({ outcome: 'no answer within 10 s' }), 10000);
    let protocol = null;
    ws.onopen = () => { protocol = ws.protocol; };
    ws.onmessage = (event) => {
      clearTimeout(deadline);
      ws.onclose = null;
      ws.close();
      resolve({ outcome: 'open', protocol, first: JSON.parse(event.data).type });
    };
    // A handshake Chromium fails (a refused upgrade, a wrong echo) closes with 1006.
    ws.onclose = (event) => {
      clearTimeout(deadline);
      resolve({ outcome: 'closed', code: event.code, opened: protocol !== null });
    };
  }), { url, protocols });
  const url = `ws://127.0.0.1:${keysGateway.port}/ws`;
  assert.deepEqual(await open(url, ['streamgate.v1', `streamgate.bearer.${alice.key}`]),
                   { outcome: 'open', protocol: 'streamgate.v1', first: 'connection_established' });
  // Without the bearer entry the same offer is refused: the entry is what let it in.
  assert.deepEqual(await open(url, ['streamgate.v1']),
                   { outcome: 'closed', code: 1006, opened: false });
  for (const secret of [alice.key, alice.secret]) {
    assert.equal(keysGateway.logIncludes(secret), false, 'the key is not in the gateway log');
  }
});

step('a ticket in the URL fragment gets in once and leaves the address bar', async () => {
  const response = await fetch(`${keysBase()}/v1/tickets`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${bob.key}` },
    signal: AbortSignal.timeout(STEP_TIMEOUT_MS),
  });
  assert.equal(response.status, 200);
  assert.equal(response.headers.get('cache-control'), 'no-store');
  const { ticket } = await response.json();
  assert.match(ticket, /^sgt_/);

  const alicePage = page;
  // On a phone in dark mode, so that the panel's layout is seen there too.
  await openPage(`${keysBase()}/#ticket=${ticket}`, {
    viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true,
    colorScheme: 'dark',
  });
  await waitForConnection('connected');
  await assertNoAccessPanel();
  assert.equal(await page.evaluate(() => location.hash), '');
  assert.ok(!page.url().includes(ticket), page.url());
  assert.equal(await storedCredential(), null, 'a ticket is not a credential to keep');
  assert.equal(await chat('from an embedding app'), 'Echo: from an embedding app');
  await keysGateway.waitForLine(/session open .*identity=bob/, STEP_TIMEOUT_MS, { since: 0 });

  // The ticket was good once; without a key this tab is asked for one.
  await page.reload();
  await panel('This gateway needs an API key or token').waitFor();
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth -
                                             document.documentElement.clientWidth);
  assert.equal(overflow, 0, 'no horizontal scrolling of the page');
  await screenshot('phone-dark-panel.png');
  await page.context().close();
  page = alicePage;
});

step('revoking the key closes the connection with 4001 and the panel says so', async () => {
  const since = keysGateway.mark();
  writeKeysFile([bob]);
  keysGateway.signal('SIGHUP');
  await keysGateway.waitForLine(/reloaded ok=true/, STEP_TIMEOUT_MS, { since });
  // The gateway closes with 4001 "credential revoked"; only that close shows this title.
  await keysGateway.waitForLine(/reason=credential_revoked identity=alice/, STEP_TIMEOUT_MS,
                                { since });
  const dialog = panel('Your access was revoked');
  await dialog.waitFor();
  assert.match(await dialog.textContent(), /revoked/);
  await waitForConnection('locked');
  assert.equal(await storedCredential(), null, 'a revoked key is forgotten');
  assert.equal(await sendButton().isDisabled(), true);
  await screenshot('auth-revoked.png');

  // "Not now" leaves the conversation readable and the top bar offers the panel again.
  await page.getByRole('button', { name: 'Not now' }).click();
  await page.getByRole('button', { name: 'Enter key' }).click();
  await dialog.waitFor();
  await pasteCredential(alice.key);
  await panel('That key was not accepted').waitFor();
});

step('no key was ever logged by the gateway or printed by the page', async () => {
  for (const secret of [alice.key, alice.secret, bob.key, bob.secret, wrongKey]) {
    assert.equal(keysGateway.logIncludes(secret), false, 'gateway log');
    assert.equal(harness.consoleText.some((text) => text.includes(secret)), false, 'console');
  }
});

// ---------------------------------------------------------------------------------------
// --auth jwt

step('an expired JWT is renewed on the same connection with a fresh one from the panel', async () => {
  await page.context().close();
  await openPage(`http://127.0.0.1:${jwtGateway.port}/`);
  await panel('This gateway needs an API key or token').waitFor();
  const since = jwtGateway.mark();
  await pasteCredential(makeJwt('carol', 6));
  await waitForConnection('connected');
  assert.equal(await chat('before it expires'), 'Echo: before it expires');
  // At expiry the page first sends the token it has, once; that cannot buy time (it is the
  // one that expired), so the panel asks for a fresh one.
  const dialog = panel('Your token has expired');
  await dialog.waitFor();
  await jwtGateway.waitForLine(/authenticate(d| refused) session=/, STEP_TIMEOUT_MS, { since });
  assert.match(await dialog.textContent(), /keep this conversation/);
  assert.equal(await page.locator('#connection').getAttribute('data-state'), 'connected');
  await screenshot('jwt-expiring.png');
  const renewed = jwtGateway.mark();
  await pasteCredential(makeJwt('carol', 120), 'Renew');
  await jwtGateway.waitForLine(/authenticated session=\S+ identity=\S*carol/, STEP_TIMEOUT_MS,
                               { since: renewed });
  await page.locator('#access').waitFor({ state: 'hidden' });
  await assertNoAccessPanel();
  // Same session: the reply request carries the earlier exchange.
  assert.equal(await chat('after renewal'), 'Echo: after renewal');
  await jwtGateway.waitForLine(/reply start .*history=1/, STEP_TIMEOUT_MS, { since });
  assert.equal(await page.locator('.notice', { hasText: 'Reconnected' }).count(), 0);
});

step('a JWT that is not renewed ends with 4001 and the panel says it expired', async () => {
  await page.context().close();
  await openPage(`http://127.0.0.1:${jwtGateway.port}/`);
  await panel('This gateway needs an API key or token').waitFor();
  const since = jwtGateway.mark();
  await pasteCredential(makeJwt('dave', 2));
  await waitForConnection('connected');
  await panel('Your token has expired').waitFor();
  // Nobody pastes a fresh one: after the leeway the gateway closes with 4001 "token expired".
  await jwtGateway.waitForLine(/reason=credential_expired/, STEP_TIMEOUT_MS, { since });
  await panel('Your token expired').waitFor();
  await waitForConnection('locked');
  assert.equal(await storedCredential(), null);
  await screenshot('jwt-expired.png');
});

// ---------------------------------------------------------------------------------------
// TLS (--auth none, one message a minute)

step('over https the page trusts the test CA and chats over wss without a panel', async () => {
  await page.context().close();
  const response = await openPage(`https://localhost:${tlsGateway.port}/`);
  const security = await response.securityDetails();
  assert.equal(security?.issuer, 'streamgate-test-ca');
  assert.equal(security?.subjectName, 'localhost');
  await waitForConnection('connected');
  await assertNoAccessPanel();
  assert.equal(await page.locator('#connection').getAttribute('data-protocol'), 'streamgate.v1');
  await tlsGateway.waitForLine(/session open .*tls=true/, STEP_TIMEOUT_MS, { since: 0 });
  assert.equal(await chat('over wss'), 'Echo: over wss');
  await screenshot('tls-chat.png');
});

step('a rate-limited message says when to try again and stays in the box', async () => {
  await messageBox().fill('one too many');
  await messageBox().press('Enter');
  const notice = page.locator('.notice-error', { hasText: 'Too many messages this minute' });
  await notice.waitFor();
  assert.match(await notice.textContent(),
               /^Too many messages this minute\. Try again in \d+ s\. Your message was not sent/);
  assert.equal(await notice.getAttribute('role'), 'alert');
  assert.equal(await messageBox().inputValue(), 'one too many');
  assert.deepEqual(await page.locator('article.message.user .message-text').allTextContents(),
                   ['over wss'], 'the refused message is not in the conversation');
  assert.equal(await page.locator('article.message.assistant').count(), 1);
  await page.waitForFunction(() => !document.getElementById('send').disabled);
  await screenshot('tls-rate-limited.png');
});

step('the page logged no errors', async () => {
  assert.deepEqual(harness.problems, []);
});
