// The chat page keeps its session through trouble, in a real browser (Debian's Chromium
// driven by playwright-core) against the real llm-service (mock provider, slow replies) and
// gateway (SQLite store), with a TCP proxy (tcp_proxy.mjs) between them that the test can
// cut or point at another gateway process: (a) a connection cut mid-reply, (b) a reload
// mid-reply, (c) a gateway restart by SIGTERM mid-reply, the next process on the same store
// and, through the proxy, the same address; (d) the sidebar: two conversations, a reply
// that goes on in its own while another is shown, switch, delete, the menu on a phone.
// Every reply must end as the mock's whole reply, exactly once. Screenshots go to
// TEST_ARTIFACTS_DIR.
//
//   npm ci --prefix tests/web      # once: playwright-core only; it never downloads a browser
//   node tests/web/resume_page.e2e.mjs --gateway build/bin/gateway \
//        --llm-service build/bin/llm-service
//
// Every wait has a deadline and waits on a condition (a log line, the page's state), never
// on time alone. Steps run in order; after a failure the rest are skipped, and the failing
// step leaves a screenshot and the services' logs.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before } from 'node:test';

import { BrowserHarness, STEP_TIMEOUT_MS } from './browser_harness.mjs';
import { ServiceProcess } from './service_process.mjs';
import { TcpProxy } from './tcp_proxy.mjs';

// One word per chunk this far apart, and this many words after the echo: every reply
// streams for about 4 s, long enough to cut it halfway.
const CHUNK_DELAY_MS = 40;
const EXTRA_WORDS = 100;
const FILLER = ['lorem', 'ipsum', 'dolor', 'sit', 'amet', 'consectetur', 'adipiscing', 'elit',
                'sed', 'do', 'eiusmod', 'tempor', 'incididunt', 'ut', 'labore', 'et', 'dolore',
                'magna', 'aliqua'];
// How far a reply gets before the test breaks something: well into it, well before its end.
const WORDS_BEFORE_TROUBLE = 25;

// The mock's reply to `message` (llm-service/mock_reply.cc).
function mockReply(message) {
  let text = `Echo: ${message}`;
  for (let i = 0; i < EXTRA_WORDS; i++) text += ` ${FILLER[i % FILLER.length]}`;
  return text;
}

const harness = new BrowserHarness('resume_page.e2e', ['gateway', 'llm-service'],
                                   { wholeRunTimeoutMs: 220_000 });
const { args } = harness;
const step = (name, body) => harness.step(name, body);

// ---------------------------------------------------------------------------------------
// Services, proxy and browser.

const stateDir = mkdtempSync(path.join(tmpdir(), 'streamgate-resume-page-'));
let llmService;
let gateway;
let proxy;
let browser;
let page;
const tokensSeen = new Set();  // every resume token the page held: never in a log
harness.watch({ services: () => [llmService, gateway], page: () => page });

async function startGateway() {
  gateway = new ServiceProcess('gateway', [
    args.gateway, '--bind', '127.0.0.1', '--port', '0',
    '--llm-service', `127.0.0.1:${llmService.port}`, '--io-threads', '2',
    '--store', `sqlite:${path.join(stateDir, 'gw.db')}`,
  ]);
  return gateway.waitUntilListening(STEP_TIMEOUT_MS);
}

before(async () => {
  llmService = new ServiceProcess('llm-service', [
    args.llmService, '--bind', '127.0.0.1', '--port', '0', '--metrics-port', '0', '--provider', 'mock',
    '--mock-chunk-delay-ms', String(CHUNK_DELAY_MS), '--mock-extra-words', String(EXTRA_WORDS),
  ]);
  await llmService.waitUntilListening(STEP_TIMEOUT_MS);
  proxy = new TcpProxy(await startGateway());
  await proxy.listen();
  browser = await harness.launch();
});

after(async () => {
  await browser?.close().catch(() => {});
  await proxy?.close().catch(() => {});
  harness.finish();
  rmSync(stateDir, { recursive: true, force: true });
});

const pageUrl = () => `http://127.0.0.1:${proxy.port}/`;

// ---------------------------------------------------------------------------------------
// Page helpers, all about the conversation on screen (#messages holds only its log).

const messageBox = () => page.getByRole('textbox', { name: 'Message' });
const replies = () => page.locator('#messages article.message.assistant');
const sidebarItems = () => page.locator('#conversation-list .conversation-item');

async function waitForConnection(state) {
  await page.locator(`#connection[data-state="${state}"]`).waitFor();
}

async function send(text) {
  await messageBox().fill(text);
  await messageBox().press('Enter');
}

// Waits until the newest reply on screen has at least `words` words; returns its text.
async function waitForWords(words) {
  await page.waitForFunction((wanted) => {
    const all = document.querySelectorAll('#messages article.message.assistant .message-body');
    const last = all[all.length - 1];
    return last !== undefined && last.textContent.trim().split(/\s+/).length >= wanted;
  }, words);
  return replies().last().locator('.message-body').textContent();
}

// Waits for the newest reply on screen to be done; returns its text.
async function waitForDone() {
  await page.waitForFunction(() => {
    const all = document.querySelectorAll('#messages article.message.assistant');
    return all.length > 0 && all[all.length - 1].dataset.state === 'done';
  });
  return replies().last().locator('.message-body').textContent();
}

async function conversationOnScreen() {
  return {
    users: await page.locator('#messages article.message.user .message-text').allTextContents(),
    replies: await replies().locator('.message-body').allTextContents(),
    states: await replies().evaluateAll((all) => all.map((a) => a.dataset.state)),
  };
}

// What the conversation with these messages looks like once every reply is done.
function expectedConversation(...messages) {
  return { users: messages, replies: messages.map(mockReply), states: messages.map(() => 'done') };
}

// The page's resume state, as kept in sessionStorage (its token noted for the last check).
async function storedState() {
  const json = await page.evaluate(() => sessionStorage.getItem('streamgate.session'));
  const state = JSON.parse(json);
  tokensSeen.add(state.resumeToken);
  return state;
}

// Records every state the connection indicator takes, from now on, in window.__states.
async function recordConnectionStates() {
  await page.evaluate(() => {
    const indicator = document.getElementById('connection');
    window.__states = [indicator.dataset.state];
    new MutationObserver(() => window.__states.push(indicator.dataset.state))
        .observe(indicator, { attributes: true, attributeFilter: ['data-state'] });
  });
}

async function screenshot(name) {
  await harness.screenshot(page, name);
}

// ---------------------------------------------------------------------------------------
// The scenario. One session throughout (a–d), in one tab.

step('the page connects through the proxy and keeps its session in sessionStorage', async () => {
  ({ page } = await harness.openPage(browser, pageUrl(),
                                     { viewport: { width: 1280, height: 800 } }));
  await waitForConnection('connected');
  const state = await storedState();
  assert.match(state.sessionId, /^[0-9a-f-]{36}$/);
  assert.equal(state.resumeToken.length, 43);
  assert.ok(state.lastSeq >= 1);
  assert.equal(await sidebarItems().count(), 1, 'one (new) conversation');
});

step('(a) a reply survives a cut connection: resumed in place, its text exactly once', async () => {
  await send('cut test');
  const before = await waitForWords(WORDS_BEFORE_TROUBLE);
  assert.notEqual(before, mockReply('cut test'), 'cut mid-reply');
  const since = gateway.mark();
  assert.ok(proxy.sever() >= 1, 'a connection was cut');
  await gateway.waitForLine(/session resumed session=\S+ last_seq=\d+ replayed=\d+/,
                            STEP_TIMEOUT_MS, { since });
  await waitForConnection('connected');
  assert.equal(await waitForDone(), mockReply('cut test'));
  assert.deepEqual(await conversationOnScreen(), expectedConversation('cut test'));
  assert.equal(await page.locator('.notice').count(), 0, 'nothing to tell: it just went on');
  await screenshot('resume-after-cut.png');
});

step('(b) a reload mid-reply shows the conversation and the whole reply, once', async () => {
  await send('reload test');
  const before = await waitForWords(WORDS_BEFORE_TROUBLE);
  assert.notEqual(before, mockReply('reload test'));
  const since = gateway.mark();
  await page.reload();
  await gateway.waitForLine(/session resumed/, STEP_TIMEOUT_MS, { since });
  await waitForConnection('connected');
  await waitForDone();
  await page.waitForFunction(() => document.querySelectorAll(
      '#messages article.message.assistant[data-state="done"]').length === 2);
  assert.deepEqual(await conversationOnScreen(), expectedConversation('cut test', 'reload test'));
  await screenshot('resume-after-reload.png');
});

step('(b) a reply that ends while a reloaded page connects is shown once', async () => {
  await send('ends meanwhile');
  await waitForWords(WORDS_BEFORE_TROUBLE);
  // The reloaded page loads, but its WebSocket waits in the proxy until the reply has ended
  // (into the replay log): the resume replays its end, and the history then holds it too.
  proxy.holdUpgrades(true);
  const since = gateway.mark();
  await page.reload();
  await gateway.waitForLine(/reply end session=\S+ conversation=\S+ request=\S+ status=OK/,
                            STEP_TIMEOUT_MS, { since });
  proxy.holdUpgrades(false);
  await gateway.waitForLine(/session resumed .*replayed=[1-9]/, STEP_TIMEOUT_MS, { since });
  await page.waitForFunction(() => document.querySelectorAll(
      '#messages article.message.assistant[data-state="done"]').length === 3);
  assert.deepEqual(await conversationOnScreen(),
                   expectedConversation('cut test', 'reload test', 'ends meanwhile'));
});

step('(b) a reload with no reply running restores the conversation from its history', async () => {
  const since = gateway.mark();
  await page.reload();
  await gateway.waitForLine(/session resumed/, STEP_TIMEOUT_MS, { since });
  await page.waitForFunction(() => document.querySelectorAll(
      '#messages article.message.assistant[data-state="done"]').length === 3);
  assert.deepEqual(await conversationOnScreen(),
                   expectedConversation('cut test', 'reload test', 'ends meanwhile'));
  assert.deepEqual((await storedState()).replies, {}, 'no reply in flight is kept');
});

step('(c) a restart by SIGTERM: going_away, 1012, resumed on the next process', async () => {
  await recordConnectionStates();
  await send('restart test');
  await waitForWords(WORDS_BEFORE_TROUBLE);
  // New connections wait in the proxy until the next process is up; the open one stays.
  proxy.setTarget(null);
  const exited = gateway.kill('SIGTERM', 40_000);
  // The drain lets the running reply finish, then says going_away and closes with 1012.
  assert.equal(await waitForDone(), mockReply('restart test'));
  await waitForConnection('restarting');
  assert.equal(await exited, 0, 'the drained gateway exits 0');
  await screenshot('resume-restarting.png');

  proxy.setTarget(await startGateway());
  await gateway.waitForLine(/session resumed/, STEP_TIMEOUT_MS, { since: 0 });
  await waitForConnection('connected');
  assert.deepEqual(await conversationOnScreen(),
                   expectedConversation('cut test', 'reload test', 'ends meanwhile',
                                        'restart test'));
  const states = await page.evaluate(() => window.__states);
  assert.ok(states.includes('restarting'), states.join(' '));
  assert.ok(!states.includes('reconnecting'), `a restart is not an outage: ${states.join(' ')}`);
  assert.equal(await page.locator('.notice').count(), 0, 'no error, no notice');

  // The history now comes from the new process, which read it from the store.
  const since = gateway.mark();
  await page.reload();
  await gateway.waitForLine(/session resumed/, STEP_TIMEOUT_MS, { since });
  await page.waitForFunction(() => document.querySelectorAll(
      '#messages article.message.assistant[data-state="done"]').length === 4);
  assert.deepEqual(await conversationOnScreen(),
                   expectedConversation('cut test', 'reload test', 'ends meanwhile',
                                        'restart test'));
  await send('after restart');
  assert.equal(await waitForDone(), mockReply('after restart'));
  await screenshot('resume-after-restart.png');
});

step('(d) the sidebar: a reply goes on in its conversation while another is shown', async () => {
  assert.deepEqual(await sidebarItems().locator('.conversation-title').allTextContents(),
                   ['cut test']);
  await send('first thread');
  await waitForWords(5);
  await page.getByRole('button', { name: 'New conversation' }).click();
  assert.equal(await replies().count(), 0, 'the new conversation is empty');
  await page.locator('#messages .empty-state').waitFor();
  assert.equal(await sidebarItems().count(), 2);
  await send('second thread');
  assert.equal(await waitForDone(), mockReply('second thread'));
  assert.deepEqual(await conversationOnScreen(), expectedConversation('second thread'));
  const current = page.locator('#conversation-list [aria-current="true"] .conversation-title');
  assert.equal(await current.textContent(), 'second thread');

  // The first conversation's reply went on meanwhile, in its own log.
  await page.waitForFunction(() => !document.querySelector('.conversation-meta[data-busy="true"]'));
  await sidebarItems().filter({ hasText: 'cut test' }).click();
  assert.deepEqual(await conversationOnScreen(), expectedConversation(
      'cut test', 'reload test', 'ends meanwhile', 'restart test', 'after restart',
      'first thread'));
  await screenshot('sidebar-two-conversations.png');
});

step('(d) after a reload, switching loads a conversation from its history; delete', async () => {
  await sidebarItems().filter({ hasText: 'second thread' }).click();
  const since = gateway.mark();
  await page.reload();
  await gateway.waitForLine(/session resumed/, STEP_TIMEOUT_MS, { since });
  await page.waitForFunction(() => document.querySelectorAll('#conversation-list li').length === 2);
  await waitForDone();
  assert.deepEqual(await conversationOnScreen(), expectedConversation('second thread'));
  await sidebarItems().filter({ hasText: 'cut test' }).click();
  await page.waitForFunction(() => document.querySelectorAll(
      '#messages article.message.assistant[data-state="done"]').length === 6);
  assert.deepEqual(await conversationOnScreen(), expectedConversation(
      'cut test', 'reload test', 'ends meanwhile', 'restart test', 'after restart',
      'first thread'));

  await page.getByRole('button', { name: 'Delete conversation: second thread' }).click();
  await page.waitForFunction(() => document.querySelectorAll('#conversation-list li').length === 1);
  assert.deepEqual(await sidebarItems().locator('.conversation-title').allTextContents(),
                   ['cut test']);
  // Gone in the gateway too: a reload lists what it has.
  const again = gateway.mark();
  await page.reload();
  await gateway.waitForLine(/session resumed/, STEP_TIMEOUT_MS, { since: again });
  await page.waitForFunction(() => document.querySelectorAll(
      '#messages article.message.assistant[data-state="done"]').length === 6);
  assert.equal(await sidebarItems().count(), 1);
});

step('(d) on a phone the sidebar is a menu', async () => {
  await page.setViewportSize({ width: 390, height: 844 });
  const sidebar = page.getByRole('navigation', { name: 'Conversations' });
  const toggle = page.getByRole('button', { name: 'Conversations', exact: true });
  assert.equal(await sidebar.isVisible(), false, 'closed by default');
  assert.equal(await toggle.getAttribute('aria-expanded'), 'false');
  await toggle.click();
  await sidebar.waitFor();
  assert.equal(await toggle.getAttribute('aria-expanded'), 'true');
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth -
                                             document.documentElement.clientWidth);
  assert.equal(overflow, 0, 'no horizontal scrolling of the page');
  await screenshot('phone-sidebar-open.png');
  await page.keyboard.press('Escape');
  await sidebar.waitFor({ state: 'hidden' });
  assert.equal(await page.evaluate(() => document.activeElement.id), 'menu-toggle');
  await toggle.click();
  await page.getByRole('button', { name: 'Close conversations' }).click();
  await sidebar.waitFor({ state: 'hidden' });
  assert.equal(await page.evaluate(() => document.activeElement.id), 'menu-toggle');
  await toggle.click();
  await page.getByRole('button', { name: 'New conversation' }).click();
  await sidebar.waitFor({ state: 'hidden' });
  await page.locator('#messages .empty-state').waitFor();
  await screenshot('phone-new-conversation.png');
});

step('the page logged no errors and no secret', async () => {
  await storedState();
  assert.deepEqual(harness.problems, []);
  for (const token of tokensSeen) {
    assert.ok(!harness.consoleText.some((text) => text.includes(token)), 'token in the console');
    assert.equal(gateway.logIncludes(token), false, 'token in the gateway log');
  }
});
