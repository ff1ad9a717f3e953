// The chat page in a real browser (Debian's Chromium driven by playwright-core) against the
// real llm-service (mock provider) and gateway with --auth none: send, stream, Markdown,
// Stop, reconnect after the gateway dies, desktop and phone layouts, and no access panel
// (auth_page.e2e.mjs covers a gateway that needs a credential). Screenshots go to
// TEST_ARTIFACTS_DIR.
//
//   npm ci --prefix tests/web      # once: playwright-core only; it never downloads a browser
//   node tests/web/chat_page.e2e.mjs --gateway build/bin/gateway --llm-service build/bin/llm-service
//
// Every wait has a deadline and waits on a condition (a log line, the page's state), never
// on time alone. Steps run in order; after a failure the rest are skipped, and the failing
// step leaves a screenshot and the services' logs.

import assert from 'node:assert/strict';
import { after, before } from 'node:test';

import { BrowserHarness, STEP_TIMEOUT_MS } from './browser_harness.mjs';
import { ServiceProcess } from './service_process.mjs';

// The mock streams one word per chunk, this far apart: short messages finish in well under
// a second, and a 150-word message streams for ~6 s, long enough to press Stop.
const CHUNK_DELAY_MS = 40;

const harness = new BrowserHarness('chat_page.e2e', ['gateway', 'llm-service'],
                                   { wholeRunTimeoutMs: 150_000 });
const { args } = harness;
const step = (name, body) => harness.step(name, body);

// ---------------------------------------------------------------------------------------
// Services and browser.

let llmService;
let gateway;
let gatewayPort;
let browser;
let page;
harness.watch({ services: () => [llmService, gateway], page: () => page });

async function startGateway(port) {
  gateway = new ServiceProcess('gateway', [
    args.gateway, '--bind', '127.0.0.1', '--port', String(port),
    '--llm-service', `127.0.0.1:${llmService.port}`, '--io-threads', '2',
    // Nothing outlives a process: a restart loses the session (resume_page.e2e.mjs covers
    // the store), and nothing is written under $HOME.
    '--store', 'memory',
  ]);
  await gateway.waitUntilListening(STEP_TIMEOUT_MS);
  return gateway.port;
}

before(async () => {
  llmService = new ServiceProcess('llm-service', [
    args.llmService, '--bind', '127.0.0.1', '--port', '0', '--metrics-port', '0', '--provider', 'mock',
    '--mock-chunk-delay-ms', String(CHUNK_DELAY_MS), '--mock-extra-words', '0',
  ]);
  await llmService.waitUntilListening(STEP_TIMEOUT_MS);
  gatewayPort = await startGateway(0);
  browser = await harness.launch();
});

after(async () => {
  await browser?.close().catch(() => {});
  harness.finish();
});

function openPage(contextOptions) {
  return harness.openPage(browser, `http://127.0.0.1:${gatewayPort}/`, contextOptions);
}

// ---------------------------------------------------------------------------------------
// Page helpers. Locators are by role and label, as a person (or a screen reader) finds them.

const messageBox = () => page.getByRole('textbox', { name: 'Message' });
const sendButton = () => page.getByRole('button', { name: 'Send' });
const stopButton = () => page.getByRole('button', { name: 'Stop' });
const replies = () => page.locator('article.message.assistant');
const lastReply = () => replies().last();

async function waitForConnection(state) {
  await page.locator(`#connection[data-state="${state}"]`).waitFor();
}

// Waits for the newest reply to reach `state` ("done", "stopped", ...) and returns its text.
async function waitForLastReply(state) {
  await page.waitForFunction((wanted) => {
    const all = document.querySelectorAll('article.message.assistant');
    return all.length > 0 && all[all.length - 1].dataset.state === wanted;
  }, state);
  return (await lastReply().locator('.message-body').textContent()) ?? '';
}

async function sendWithEnter(text) {
  await messageBox().fill(text);
  await messageBox().press('Enter');
}

async function screenshot(name) {
  await harness.screenshot(page, name);
}

// With --auth none the gateway lets the page in: the access panel never opens.
async function assertNoAccessPanel() {
  assert.equal(await page.getByRole('dialog').count(), 0, 'no access panel');
  assert.equal(await page.locator('#access').evaluate((dialog) => dialog.open), false);
}

// ---------------------------------------------------------------------------------------
// The scenario.

step('the gateway serves the page and its assets with strict headers', async () => {
  const base = `http://127.0.0.1:${gatewayPort}`;
  for (const [urlPath, type] of [['/', 'text/html'], ['/app.js', 'text/javascript'],
                                 ['/style.css', 'text/css'], ['/markdown.js', 'text/javascript']]) {
    const response = await fetch(base + urlPath, { signal: AbortSignal.timeout(STEP_TIMEOUT_MS) });
    assert.equal(response.status, 200, urlPath);
    assert.ok(response.headers.get('content-type').startsWith(type), urlPath);
    assert.equal(response.headers.get('cache-control'), 'no-cache', urlPath);
    const csp = response.headers.get('content-security-policy');
    assert.match(csp, /default-src 'self'/);
    assert.match(csp, /connect-src 'self' ws: wss:/);
    assert.doesNotMatch(csp, /unsafe-inline/);
  }
  const missing = await fetch(`${base}/no-such-file.js`, { signal: AbortSignal.timeout(STEP_TIMEOUT_MS) });
  assert.equal(missing.status, 404);
});

step('the page loads, is labelled and connects', async () => {
  ({ page } = await openPage({ viewport: { width: 1280, height: 800 } }));
  await waitForConnection('connected');
  // "Connected" once the gateway tells llm-service's state (chat_features.e2e.mjs).
  assert.match(await page.locator('#connection-text').textContent(), /^Connected/);
  await assertNoAccessPanel();
  await messageBox().waitFor();
  assert.equal(await sendButton().isEnabled(), true);
  assert.equal(await stopButton().isVisible(), false);
  await screenshot('desktop-empty.png');
});

step('Enter sends, the reply streams in, and Shift+Enter only adds a line', async () => {
  await messageBox().fill('line one');
  await messageBox().press('Shift+Enter');
  await messageBox().pressSequentially('line two');
  assert.equal(await messageBox().inputValue(), 'line one\nline two');
  assert.equal(await page.locator('article.message.user').count(), 0);

  await sendWithEnter('hello there');
  assert.equal(await messageBox().inputValue(), '');
  const live = lastReply().locator('[aria-live="polite"]');
  assert.equal(await live.count(), 1, 'the reply is an aria-live region');
  assert.equal(await waitForLastReply('done'), 'Echo: hello there');
  assert.equal(await live.getAttribute('aria-busy'), 'false');
});

step('the conversation is kept across turns', async () => {
  await sendWithEnter('second question');
  assert.equal(await waitForLastReply('done'), 'Echo: second question');
  const users = await page.locator('article.message.user .message-text').allTextContents();
  assert.deepEqual(users, ['hello there', 'second question']);
  assert.equal(await replies().count(), 2);
});

step('replies render Markdown and model output cannot inject markup', async () => {
  await sendWithEnter('**bold** and `code` <img src=x onerror="window.__pwned=1"> ' +
                      '[bad](javascript:window.__pwned=2) [good](https://example.com/)');
  const text = await waitForLastReply('done');
  assert.ok(text.includes('<img src=x onerror="window.__pwned=1">'), text);
  const body = lastReply().locator('.message-body');
  assert.equal(await body.locator('strong').textContent(), 'bold');
  assert.equal(await body.locator('code').textContent(), 'code');
  assert.equal(await page.locator('#messages img').count(), 0);
  assert.deepEqual(await body.locator('a').evaluateAll((links) => links.map((a) => a.href)),
                   ['https://example.com/']);
  assert.equal(await page.evaluate(() => window.__pwned), undefined);

  await messageBox().fill('Here is a snippet:\n\n```js\nconst reply = await stream();\n```\n\n' +
                          '- streamed *word by word*\n- rendered as it arrives');
  await sendButton().click();
  await waitForLastReply('done');
  assert.equal(await lastReply().locator('pre code').textContent(), 'const reply = await stream();');
  assert.equal(await lastReply().locator('li').count(), 2);
  await screenshot('desktop.png');
});

step('Stop ends a streaming reply as stopped and Send works again', async () => {
  const words = Array.from({ length: 150 }, (_, i) => `word${i}`).join(' ');
  await sendWithEnter(words);
  await page.waitForFunction(() => {
    const all = document.querySelectorAll('article.message.assistant');
    return all[all.length - 1].textContent.includes('word3');
  });
  assert.equal(await sendButton().isDisabled(), true, 'Send is disabled while a reply streams');
  await screenshot('desktop-streaming.png');
  await stopButton().click();
  const text = await waitForLastReply('stopped');
  assert.ok(!text.includes('word149'), 'the reply was cut short');
  assert.equal(await lastReply().locator('.message-meta').textContent(), 'Stopped');
  await page.waitForFunction(() => !document.getElementById('send').disabled);
  assert.equal(await stopButton().isVisible(), false);

  await sendWithEnter('after stop');
  assert.equal(await waitForLastReply('done'), 'Echo: after stop');
});

step('when the gateway dies the page says so, reconnects afresh and chats again', async () => {
  await gateway.kill('SIGKILL', STEP_TIMEOUT_MS);
  await waitForConnection('reconnecting');
  assert.match(await page.locator('#connection-text').textContent(), /Reconnecting/);
  assert.equal(await sendButton().isDisabled(), true);
  await screenshot('desktop-reconnecting.png');

  await startGateway(gatewayPort);
  await waitForConnection('connected');
  await assertNoAccessPanel();
  // The new process has no such session (a memory store): the resume fails, and the page
  // says the assistant starts afresh, under the conversation it keeps on screen.
  await page.locator('.notice', { hasText: 'Reconnected as a new session' }).waitFor();
  await sendWithEnter('back again');
  assert.equal(await waitForLastReply('done'), 'Echo: back again');
  assert.equal(await page.locator('article.message.user').count(), 7, 'the conversation stays');
});

step('the page fits a phone (in dark mode)', async () => {
  await page.context().close();
  ({ page } = await openPage({
    viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true,
    colorScheme: 'dark',
  }));
  await waitForConnection('connected');
  await messageBox().fill('On a phone:\n\n1. **Short** lines\n2. `code` fits\n\n' +
                          '```\nlong_line = "' + 'x'.repeat(80) + '"\n```');
  await sendButton().tap();
  await waitForLastReply('done');
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth -
                                             document.documentElement.clientWidth);
  assert.equal(overflow, 0, 'no horizontal scrolling of the page');
  await screenshot('phone-dark.png');
});

step('a failed reply shows the error readably and Send works again', async () => {
  await llmService.kill('SIGKILL', STEP_TIMEOUT_MS);
  await sendWithEnter('anyone there?');
  await waitForLastReply('failed');
  const note = lastReply().locator('.message-meta');
  assert.equal(await note.getAttribute('role'), 'alert');
  assert.match(await note.textContent(), /unavailable/i);
  await page.waitForFunction(() => !document.getElementById('send').disabled);
  await screenshot('phone-dark-error.png');
});

step('the page logged no errors', async () => {
  assert.deepEqual(harness.problems, []);
});
