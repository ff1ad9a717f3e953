// What the browser tests share: their command line, playwright-core and Debian's Chromium,
// a watchdog, pages that record their errors, and steps that run in order and leave a
// screenshot and the services' logs when one fails. It never downloads a browser.

import { existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { ServiceProcess } from './service_process.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
export const STEP_TIMEOUT_MS = 20_000;

// Failed reconnect attempts while a gateway is down or refuses the upgrade are expected
// noise in the console: the browser itself logs them, and the page handles them.
const EXPECTED_CONSOLE_ERRORS = [
  /WebSocket connection to .* failed/,
  /Failed to load resource: net::ERR_CONNECTION_REFUSED/,
];

export class BrowserHarness {
  name;
  args;
  artifactsDir;
  chromium;
  problems = [];  // page errors and unexpected console errors, for a final step to check
  consoleText = [];  // every console message, whatever its type
  failed = false;
  #services = [];
  #page = () => null;
  #watchdog;
  #expectedConsoleErrors;

  // `binaries` lists the flags the test takes (e.g. ['gateway', 'llm-service']); each is
  // --<name> PATH, defaulting to build/bin/<name>. `expectedConsoleErrors` adds patterns of
  // console errors the browser prints for what the test does on purpose.
  constructor(name, binaries, { wholeRunTimeoutMs, expectedConsoleErrors = [] }) {
    this.name = name;
    this.#expectedConsoleErrors = [...EXPECTED_CONSOLE_ERRORS, ...expectedConsoleErrors];
    this.args = this.#parseArgs(process.argv.slice(2), binaries);
    this.chromium = this.#loadPlaywright().chromium;
    this.artifactsDir = process.env.TEST_ARTIFACTS_DIR ||
        path.join(path.dirname(path.dirname(this.args.gateway)), 'test-artifacts', 'web');
    mkdirSync(this.artifactsDir, { recursive: true });
    // A backstop for anything that could hang outside a step's own deadlines.
    this.#watchdog = setTimeout(() => {
      console.error(`${name}: gave up after ${wholeRunTimeoutMs} ms`);
      ServiceProcess.killAll();
      process.exit(1);
    }, wholeRunTimeoutMs);
    this.#watchdog.unref();
  }

  fail(message) {
    console.error(`${this.name}: ${message}`);
    process.exit(1);
  }

  // The services whose logs a failing step prints, and where its screenshot comes from.
  watch({ services, page }) {
    this.#services = services;
    this.#page = page;
  }

  // Chromium as the tests run it; `env` lets a test give it its own HOME (an NSS database).
  launch({ env } = {}) {
    return this.chromium.launch({
      executablePath: CHROMIUM,
      // Playwright gives every launch a fresh temporary profile (user-data dir).
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
             '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      env: env ? { ...process.env, ...env } : undefined,
      // Starting Chromium on a loaded two-core CI machine (the C++ suites run beside it) can
      // take longer than a step.
      timeout: 90_000,
    });
  }

  // A new context and page whose errors are recorded; navigates to `url` if given.
  async openPage(browser, url, contextOptions) {
    const context = await browser.newContext(contextOptions);
    context.setDefaultTimeout(STEP_TIMEOUT_MS);
    const page = await context.newPage();
    page.on('pageerror', (error) => this.problems.push(`page error: ${error.message}`));
    page.on('console', (message) => {
      this.consoleText.push(message.text());
      if (message.type() === 'error' &&
          !this.#expectedConsoleErrors.some((expected) => expected.test(message.text()))) {
        this.problems.push(`console error: ${message.text()}`);
      }
    });
    const response = url ? await page.goto(url) : null;
    return { page, response };
  }

  async screenshot(page, name) {
    await page.screenshot({ path: path.join(this.artifactsDir, name) });
  }

  // One step of the scenario: skipped after an earlier failure; on failure it saves a
  // screenshot and prints the services' recent logs.
  step(name, body) {
    test(name, async (t) => {
      if (this.failed) return t.skip('an earlier step failed');
      try {
        await body();
      } catch (error) {
        this.failed = true;
        const file = path.join(this.artifactsDir, `failure-${name.replace(/\W+/g, '-')}.png`);
        await this.#page()?.screenshot({ path: file, fullPage: true }).catch(() => {});
        console.error(`--- step failed; screenshot ${file}`);
        for (const service of this.#services()) console.error(service?.recentLog());
        throw error;
      }
    });
  }

  finish() {
    ServiceProcess.killAll();
    clearTimeout(this.#watchdog);
  }

  #parseArgs(argv, binaries) {
    const out = {};
    for (const binary of binaries) {
      const env = `${binary.replace(/-/g, '_').toUpperCase()}_BIN`;
      out[camel(binary)] = process.env[env] || path.join(HERE, '../../build/bin', binary);
    }
    for (let i = 0; i < argv.length; i += 2) {
      const flag = argv[i].replace(/^--/, '');
      if (!binaries.includes(flag) || argv[i + 1] === undefined) {
        this.fail(`unknown argument ${argv[i]} (use ${binaries.map((b) => `--${b} PATH`).join(' ')})`);
      }
      out[camel(flag)] = argv[i + 1];
    }
    for (const binary of Object.values(out)) {
      if (!existsSync(binary)) this.fail(`binary not found: ${binary} (build first)`);
    }
    if (!existsSync(CHROMIUM)) this.fail(`${CHROMIUM} is missing: apt-get install -y chromium`);
    return out;
  }

  #loadPlaywright() {
    const require = createRequire(import.meta.url);
    try {
      return require('playwright-core');
    } catch {
      this.fail('playwright-core is not installed: run `npm ci --prefix tests/web` ' +
                '(it installs only the library; the test uses /usr/bin/chromium)');
    }
  }
}

function camel(flag) {
  return flag.replace(/-(\w)/g, (_, letter) => letter.toUpperCase());
}
