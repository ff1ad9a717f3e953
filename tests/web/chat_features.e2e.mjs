// The chat page's limits, service state and reply actions in a real browser (Debian's
// Chromium driven by playwright-core) against the real llm-service (mock provider) and
// gateway (--auth none, a small --max-message-bytes): a message over the gateway's limit is
// refused before it is sent and stays in the box; the top bar follows llm-service going
// down and coming back (status frames) and names the provider; a failed message is retried
// in one click; a reply and a code block are copied; Esc stops a reply; a phone keeps the
// message box usable while Stop shows. A page whose gateway tells no limits or service (an
// older one, played by stripping those fields in the browser) gets the close 1009 instead,
// keeps the text, and speaks only of the socket. Screenshots go to TEST_ARTIFACTS_DIR.
//
//   npm ci --prefix tests/web      # once: playwright-core only; it never downloads a browser
//   node tests/web/chat_features.e2e.mjs --gateway build/bin/gateway \
//        --llm-service build/bin/llm-service
//
// Every wait has a deadline and waits on a condition (a log line, the page's state), never
// on time alone. Steps run in order; after a failure the rest are skipped.

import assert from 'node:assert/strict';
import { after, before } from 'node:test';

import { BrowserHarness, STEP_TIMEOUT_MS } from './browser_harness.mjs';
import { ServiceProcess } from './service_process.mjs';

const CHUNK_DELAY_MS = 40;
// Small enough to paste over quickly, large enough for every ordinary message here.
const MAX_MESSAGE_BYTES = 2048;

const harness = new BrowserHarness('chat_features.e2e', ['gateway', 'llm-service'],
                                   { wholeRunTimeoutMs: 170_000 });
const { args } = harness;
const step = (name, body) => harness.step(name, body);

let llmService;
let llmPort = 0;
let gateway;
let browser;
let page;
harness.watch({ services: () => [llmService, gateway], page: () => page });

async function startLlmService() {
  llmService = new ServiceProcess('llm-service', [
    args.llmService, '--bind', '127.0.0.1', '--port', String(llmPort), '--metrics-port', '0',
    '--provider', 'mock',
    '--mock-chunk-delay-ms', String(CHUNK_DELAY_MS), '--mock-extra-words', '0',
  ]);
  llmPort = await llmService.waitUntilListening(STEP_TIMEOUT_MS);
}

before(async () => {
  await startLlmService();
  gateway = new ServiceProcess('gateway', [
    args.gateway, '--bind', '127.0.0.1', '--port', '0', '--llm-service', `127.0.0.1:${llmPort}`,
    '--io-threads', '2', '--store', 'memory', '--max-message-bytes', String(MAX_MESSAGE_BYTES),
    // A message while llm-service is down fails within this instead of the default.
    '--llm-connect-timeout', '1s',
  ]);
  await gateway.waitUntilListening(STEP_TIMEOUT_MS);
  browser = await harness.launch();
});

after(async () => {
  await browser?.close().catch(() => {});
  harness.finish();
});

// Plays an older gateway: connection_established without `limits` and `service`, and no
// `status` frames.
function olderGateway() {
  const Native = window.WebSocket;
  window.WebSocket = class extends Native {
    addEventListener(type, listener, options) {
      if (type !== 'message') return super.addEventListener(type, listener, options);
      return super.addEventListener(type, (event) => {
        const frame = JSON.parse(event.data);
        if (frame.type === 'status') return;
        delete frame.limits;
        delete frame.service;
        listener(new MessageEvent('message', { data: JSON.stringify(frame) }));
      }, options);
    }
  };
}

async function openPage({ older = false, ...contextOptions } = {}) {
  await page?.context().close();
  ({ page } = await harness.openPage(browser, null, contextOptions));
  if (older) await page.addInitScript(olderGateway);
  await page.context().grantPermissions(['clipboard-read', 'clipboard-write']);
  await page.goto(`http://127.0.0.1:${gateway.port}/`);
  await waitForConnection('connected');
}

const messageBox = () => page.getByRole('textbox', { name: 'Message' });
const sendButton = () => page.getByRole('button', { name: 'Send' });
const stopButton = () => page.getByRole('button', { name: 'Stop' });
const lastReply = () => page.locator('article.message.assistant').last();
const header = () => page.locator('#connection-text');

async function waitForConnection(state) {
  await page.locator(`#connection[data-state="${state}"]`).waitFor();
}

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

// A message whose user_message frame is over MAX_MESSAGE_BYTES by a few bytes only.
const oversized = 'x'.repeat(MAX_MESSAGE_BYTES);

step('the top bar says the service is ready and who answers', async () => {
  await openPage({ viewport: { width: 1280, height: 800 } });
  await page.locator('#connection[data-service="ready"]').waitFor();
  assert.equal(await header().textContent(), 'Connected');
  assert.equal(await page.locator('#service').textContent(), 'Mock replies');
  await harness.screenshot(page, 'features-ready.png');
});

step('a message over the limit is refused before sending and stays in the box', async () => {
  await sendWithEnter(oversized);
  const problem = page.locator('#composer-problem');
  await problem.waitFor();
  assert.equal(await problem.getAttribute('role'), 'alert');
  assert.match(await problem.textContent(),
               /^This message is too long to send: [\d.]+ KiB, and the gateway takes at most 2 KiB in one message\. Shorten it by about \d+ bytes/);
  assert.equal(await messageBox().inputValue(), oversized, 'the text is kept');
  assert.equal(await page.locator('article.message.user').count(), 0, 'nothing was sent');
  await harness.screenshot(page, 'features-too-big.png');
  // Shortened under the limit it goes, and the problem goes away as soon as it fits.
  await messageBox().fill('short enough');
  assert.equal(await problem.isHidden(), true);
  await messageBox().press('Enter');
  assert.equal(await waitForLastReply('done'), 'Echo: short enough');
  assert.equal(await page.locator('#connection').getAttribute('data-state'), 'connected');
  assert.equal(gateway.logIncludes('message too big'), false, 'the gateway never saw it');
});

step('a reply and a code block are copied in one click', async () => {
  await messageBox().fill('Try:\n\n```sh\nls -la /tmp\n```\n\ndone');
  await sendButton().click();
  await waitForLastReply('done');
  await lastReply().getByRole('button', { name: 'Copy code' }).click();
  await lastReply().getByRole('button', { name: 'Copied' }).waitFor();
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), 'ls -la /tmp');
  await lastReply().getByRole('button', { name: 'Copy reply' }).click();
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()),
               'Echo: Try:\n\n```sh\nls -la /tmp\n```\n\ndone');
  // The buttons add no words to the reply's text.
  assert.equal(await lastReply().locator('pre code').textContent(), 'ls -la /tmp');
  await harness.screenshot(page, 'features-copy.png');
});

step('Esc stops a streaming reply', async () => {
  await sendWithEnter(Array.from({ length: 150 }, (_, i) => `word${i}`).join(' '));
  await page.waitForFunction(() => {
    const all = document.querySelectorAll('article.message.assistant');
    return all[all.length - 1].textContent.includes('word3');
  });
  await messageBox().press('Escape');
  await waitForLastReply('stopped');
  assert.equal(await lastReply().locator('.message-meta').textContent(), 'Stopped');
  await page.waitForFunction(() => !document.getElementById('send').disabled);
});

step('llm-service down: the top bar says so, the message fails, Retry sends it again', async () => {
  await llmService.kill('SIGKILL', STEP_TIMEOUT_MS);
  await page.locator('#connection[data-service="unavailable"]').waitFor();
  assert.equal(await header().textContent(), 'Model service unreachable');
  assert.equal(await page.locator('#service').isHidden(), true);
  await sendWithEnter('are you there?');
  await waitForLastReply('failed');
  const retry = lastReply().getByRole('button', { name: 'Retry this message' });
  await retry.waitFor();
  await harness.screenshot(page, 'features-service-down.png');

  await startLlmService();
  await page.locator('#connection[data-service="ready"]').waitFor();
  assert.equal(await header().textContent(), 'Connected');
  await retry.click();
  assert.equal(await waitForLastReply('done'), 'Echo: are you there?');
  const asked = await page.locator('article.message.user .message-text').allTextContents();
  assert.equal(asked.filter((text) => text === 'are you there?').length, 1,
               'the failed attempt left the conversation');
  assert.equal(await page.locator('article.message[data-state="failed"]').count(), 0);
});

step('a phone keeps the message box usable while Stop is shown', async () => {
  await openPage({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true,
                   hasTouch: true });
  await sendWithEnter(Array.from({ length: 150 }, (_, i) => `w${i}`).join(' '));
  await stopButton().waitFor();
  const box = await messageBox().boundingBox();
  const stop = await stopButton().boundingBox();
  const form = await page.locator('#composer').boundingBox();
  assert.ok(box.width >= form.width * 0.65, `message box ${box.width}px of ${form.width}px`);
  assert.ok(stop.x + stop.width <= 390 && stop.y + stop.height <= 844, 'Stop is on screen');
  assert.equal(await sendButton().isVisible(), false, 'Stop takes the disabled Send\'s place');
  assert.equal(await messageBox().evaluate((el) => getComputedStyle(el).fontSize), '16px',
               'no zoom into the box on focus');
  await messageBox().fill('the next question');
  await harness.screenshot(page, 'features-phone-streaming.png');
  await stopButton().tap();
  await waitForLastReply('stopped');
  assert.equal(await sendButton().isVisible(), true);
  assert.equal(await messageBox().inputValue(), 'the next question');
});

step('an older gateway: no limit known, a 1009 puts the text back and cuts off nothing', async () => {
  await openPage({ older: true, viewport: { width: 1280, height: 800 } });
  assert.equal(await header().textContent(), 'Connected to the gateway');
  assert.equal(await page.locator('#service').isHidden(), true);
  const since = gateway.mark();
  await sendWithEnter(oversized);
  await gateway.waitForLine(/message too big/, STEP_TIMEOUT_MS, { since });
  const notice = page.locator('.notice', { hasText: 'too large for the gateway' });
  await notice.waitFor();
  assert.equal(await notice.textContent(),
               'Your message was too large for the gateway, so it was not sent. It is back in ' +
               'the message box: shorten it or split it into parts.');
  assert.equal(await messageBox().inputValue(), oversized);
  assert.equal(await page.locator('article.message').count(), 0, 'no message, no reply');
  assert.equal(await page.getByText(/cut off/).count(), 0);
  await waitForConnection('connected');
  await sendWithEnter('small again');
  assert.equal(await waitForLastReply('done'), 'Echo: small again');
  await harness.screenshot(page, 'features-older-gateway-1009.png');
});

step('the page logged no errors', async () => {
  assert.deepEqual(harness.problems, []);
});
