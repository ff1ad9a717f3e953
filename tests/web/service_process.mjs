// A gateway or llm-service started by a browser test: its output is kept line by line so
// the test can wait for "listening ... port=N" (or any other line) instead of sleeping and
// can check what was logged, and every process still running is killed when the test
// process exits, however it exits.

import { spawn } from 'node:child_process';

const LISTENING = /listening .*port=(\d+)/;
const RECENT_LOG_LINES = 40;
// Enough for any test run; a runaway log cannot exhaust memory.
const KEPT_LOG_LINES = 100_000;
const running = new Set();

process.on('exit', () => ServiceProcess.killAll());
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    ServiceProcess.killAll();
    process.exit(1);
  });
}

// The environment without anything that would make a service talk to the real model or
// override the flags the test passes.
function hermeticEnv() {
  const env = { ...process.env };
  for (const name of Object.keys(env)) {
    if (/^(ANTHROPIC_|GATEWAY_|LLM_SERVICE_)/.test(name)) delete env[name];
  }
  return env;
}

export class ServiceProcess {
  #name;
  #child;
  #lines = [];
  #exited = null;  // resolves with the exit code or signal
  #onLine = new Set();
  port = 0;

  constructor(name, argv) {
    this.#name = name;
    this.#child = spawn(argv[0], argv.slice(1), {
      env: hermeticEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    running.add(this.#child);
    this.#exited = new Promise((resolve) => {
      this.#child.on('exit', (code, signal) => {
        running.delete(this.#child);
        resolve(signal ?? code);
        for (const listener of this.#onLine) listener(null);
      });
    });
    for (const stream of [this.#child.stdout, this.#child.stderr]) {
      let partial = '';
      stream.setEncoding('utf8');
      stream.on('data', (data) => {
        const parts = (partial + data).split('\n');
        partial = parts.pop();
        for (const line of parts) this.#addLine(line);
      });
    }
  }

  #addLine(line) {
    if (this.#lines.length < KEPT_LOG_LINES) this.#lines.push(line);
    for (const listener of this.#onLine) listener(line);
  }

  // Resolves with the port from the "listening" line; rejects if the process exits first or
  // the line does not come within timeoutMs.
  async waitUntilListening(timeoutMs) {
    const match = await this.waitForLine(LISTENING, timeoutMs, { since: 0 });
    this.port = Number(match[1]);
    return this.port;
  }

  // How many lines have been seen: a `since` for waitForLine that ignores older lines.
  mark() {
    return this.#lines.length;
  }

  // Resolves with the match of the first line from line number `since` on (default: from
  // now) that matches `pattern`; rejects if the process exits first or no such line comes
  // within timeoutMs.
  waitForLine(pattern, timeoutMs, { since = this.#lines.length } = {}) {
    return new Promise((resolve, reject) => {
      const done = (error, match) => {
        clearTimeout(timer);
        this.#onLine.delete(listener);
        if (error) {
          reject(new Error(`${this.#name}: ${error}\n${this.recentLog()}`));
        } else {
          resolve(match);
        }
      };
      const listener = (line) => {
        if (line === null) return done(`exited before logging ${pattern}`);
        const match = pattern.exec(line);
        if (match) done(null, match);
      };
      const timer = setTimeout(() => done(`no line matching ${pattern} within ${timeoutMs} ms`),
                               timeoutMs);
      for (const line of this.#lines.slice(since)) {
        const match = pattern.exec(line);
        if (match) return done(null, match);
      }
      this.#onLine.add(listener);
      if (!running.has(this.#child)) done('is not running');
    });
  }

  // Whether any line logged so far contains `text` (a secret that must never be logged).
  logIncludes(text) {
    return this.#lines.some((line) => line.includes(text));
  }

  // Sends `signal` without waiting (SIGHUP: reload).
  signal(signal) {
    this.#child.kill(signal);
  }

  // Sends `signal` and waits (at most timeoutMs) for the process to exit.
  async kill(signal, timeoutMs) {
    this.#child.kill(signal);
    let timer;
    const timeout = new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${this.#name} did not exit on ${signal}`)),
                         timeoutMs);
    });
    try {
      return await Promise.race([this.#exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  recentLog() {
    const recent = this.#lines.slice(-RECENT_LOG_LINES);
    return `--- last ${recent.length} lines of ${this.#name}:\n${recent.join('\n')}`;
  }

  static killAll() {
    for (const child of running) child.kill('SIGKILL');
    running.clear();
  }
}
