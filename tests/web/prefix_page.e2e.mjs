// The chat page under a path prefix behind a reverse proxy, in a real browser (Debian's
// Chromium driven by playwright-core): path_proxy.mjs serves the real gateway (--auth jwt,
// so the ticket request goes through the prefix too) at /chat/ and refuses everything
// else. The page loads with its security headers, asks for a token, trades it for a ticket
// at /chat/v1/tickets, connects to /chat/ws, chats and resumes after a reload, and never
// asks for a URL outside /chat/. Screenshots go to TEST_ARTIFACTS_DIR.
//
//   npm ci --prefix tests/web      # once: playwright-core only; it never downloads a browser
//   node tests/web/prefix_page.e2e.mjs --gateway build/bin/gateway \
//        --llm-service build/bin/llm-service
//
// Every wait has a deadline and waits on a condition, never on time alone.

import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before } from 'node:test';

import { BrowserHarness, STEP_TIMEOUT_MS } from './browser_harness.mjs';
import { PathProxy } from './path_proxy.mjs';
import { ServiceProcess } from './service_process.mjs';

const PREFIX = '/chat';

const harness = new BrowserHarness('prefix_page.e2e', ['gateway', 'llm-service'],
                                   { wholeRunTimeoutMs: 120_000,
                                     // The page's probes before it has a token.
                                     expectedConsoleErrors: [/status of 401 \(Unauthorized\)/] });
const { args } = harness;
const step = (name, body) => harness.step(name, body);

const tmp = mkdtempSync(path.join(os.tmpdir(), 'streamgate-prefix-page-'));
const jwtSecret = randomBytes(32);
let llmService;
let gateway;
let proxy;
let browser;
let page;
harness.watch({ services: () => [llmService, gateway], page: () => page });

const base64url = (bytes) => Buffer.from(bytes).toString('base64url');

function makeJwt(sub, seconds) {
  const header = base64url(JSON.stringify({ alg: 'HS256', typ: 'JWT', kid: 'prefix-test' }));
  const payload = base64url(JSON.stringify({ sub, exp: Math.floor(Date.now() / 1000) + seconds }));
  const signature = createHmac('sha256', jwtSecret).update(`${header}.${payload}`).digest();
  return `${header}.${payload}.${base64url(signature)}`;
}

before(async () => {
  llmService = new ServiceProcess('llm-service', [
    args.llmService, '--bind', '127.0.0.1', '--port', '0', '--metrics-port', '0', '--provider', 'mock',
    '--mock-chunk-delay-ms', '10', '--mock-extra-words', '0',
  ]);
  await llmService.waitUntilListening(STEP_TIMEOUT_MS);
  const jwks = path.join(tmp, 'jwks.json');
  writeFileSync(jwks, JSON.stringify({
    keys: [{ kid: 'prefix-test', alg: 'HS256', kty: 'oct', k: base64url(jwtSecret) }],
  }), { mode: 0o600 });
  gateway = new ServiceProcess('gateway', [
    args.gateway, '--bind', '127.0.0.1', '--port', '0', '--llm-service',
    `127.0.0.1:${llmService.port}`, '--io-threads', '1', '--store', 'memory',
    '--auth', 'jwt', '--jwt-keys-file', jwks,
  ]);
  await gateway.waitUntilListening(STEP_TIMEOUT_MS);
  proxy = new PathProxy(PREFIX, gateway.port);
  await proxy.listen();
  browser = await harness.launch();
});

after(async () => {
  await browser?.close().catch(() => {});
  await proxy?.close().catch(() => {});
  harness.finish();
  rmSync(tmp, { recursive: true, force: true });
});

const proxyBase = () => `http://127.0.0.1:${proxy.port}`;
const messageBox = () => page.getByRole('textbox', { name: 'Message' });
const lastReply = () => page.locator('article.message.assistant').last();

async function waitForConnection(state) {
  await page.locator(`#connection[data-state="${state}"]`).waitFor();
}

async function chat(text) {
  await messageBox().fill(text);
  await messageBox().press('Enter');
  await page.waitForFunction(() => {
    const all = document.querySelectorAll('article.message.assistant');
    return all.length > 0 && all[all.length - 1].dataset.state === 'done';
  });
  return lastReply().locator('.message-body').textContent();
}

step('through the proxy the page keeps its security headers', async () => {
  for (const [urlPath, type] of [['/chat/', 'text/html'], ['/chat/app.js', 'text/javascript']]) {
    const response = await fetch(proxyBase() + urlPath,
                                 { signal: AbortSignal.timeout(STEP_TIMEOUT_MS) });
    assert.equal(response.status, 200, urlPath);
    assert.ok(response.headers.get('content-type').startsWith(type), urlPath);
    assert.match(response.headers.get('content-security-policy'), /default-src 'self'/);
    assert.match(response.headers.get('content-security-policy'), /connect-src 'self' ws: wss:/);
    assert.equal(response.headers.get('x-content-type-options'), 'nosniff');
  }
});

step('/chat redirects to /chat/, the page loads there and asks for a token', async () => {
  ({ page } = await harness.openPage(browser, `${proxyBase()}${PREFIX}`,
                                     { viewport: { width: 1280, height: 800 } }));
  assert.equal(new URL(page.url()).pathname, '/chat/');
  await waitForConnection('locked');
  await page.getByRole('dialog').waitFor();
  assert.equal(await page.locator('link[rel="stylesheet"]').first().evaluate(
      (link) => link.sheet !== null), true, 'the styles loaded');
});

step('a token is traded for a ticket under the prefix and the socket connects there', async () => {
  await page.getByLabel('API key or token', { exact: true }).fill(makeJwt('prefix-user', 600));
  await page.getByRole('button', { name: 'Connect', exact: true }).click();
  await waitForConnection('connected');
  assert.equal(await chat('hello through a proxy'), 'Echo: hello through a proxy');
  await gateway.waitForLine(/session open .*identity=prefix-user/, STEP_TIMEOUT_MS, { since: 0 });
  assert.ok(proxy.forwarded.includes('/v1/tickets'), proxy.forwarded.join(' '));
  assert.ok(proxy.forwarded.some((p) => p.startsWith('/ws?ticket=')), proxy.forwarded.join(' '));
  await harness.screenshot(page, 'prefix-chat.png');
});

step('a reload under the prefix resumes the session', async () => {
  const since = gateway.mark();
  await page.reload();
  await waitForConnection('connected');
  await gateway.waitForLine(/session resumed/, STEP_TIMEOUT_MS, { since });
  await page.locator('article.message.user', { hasText: 'hello through a proxy' }).waitFor();
  assert.equal(await chat('and after a reload'), 'Echo: and after a reload');
});

step('the page never asked for anything outside /chat/ and logged no errors', async () => {
  assert.deepEqual(proxy.outside, []);
  for (const asset of ['/', '/app.js', '/style.css', '/favicon.svg', '/chat_connection.js']) {
    assert.ok(proxy.forwarded.includes(asset), `${asset} came through the prefix`);
  }
  assert.deepEqual(harness.problems, []);
});
