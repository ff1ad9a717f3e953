// How long the page waits before reconnect attempt number `attempt` (0 for the first).
// Exponential from baseMs, capped at capMs, with "equal jitter": half of the step is fixed
// and half random, so pages that lost the same gateway do not all return at one instant,
// yet none retries sooner than half its schedule.
export function backoffDelay(attempt, { baseMs = 500, capMs = 10000, random = Math.random } = {}) {
  const step = Math.min(capMs, baseMs * 2 ** Math.min(Math.max(attempt, 0), 30));
  return Math.round(step / 2 + (random() * step) / 2);
}
