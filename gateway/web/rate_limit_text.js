// What the page says when the gateway refuses a message with `rate_limited`: which limit
// (the frame's `limit`) and when to try again (`retryAfterMs`), in words a person acts on.

const LIMIT_TEXT = {
  messages_per_minute: 'Too many messages this minute.',
  concurrent_replies: 'Too many replies are streaming at once for this key (other tabs or apps).',
  tokens_per_minute: 'This key has used its share of the model for this minute.',
};

// "in 42 s", "in about 3 min"; a missing or bad delay gives "shortly".
export function retryWhen(retryAfterMs) {
  const ms = Number(retryAfterMs);
  if (!Number.isFinite(ms) || ms <= 0) return 'shortly';
  const seconds = Math.ceil(ms / 1000);
  if (seconds < 90) return `in ${seconds} s`;
  return `in about ${Math.round(seconds / 60)} min`;
}

// The notice for a rate_limited error frame.
export function rateLimitText(frame) {
  const what = LIMIT_TEXT[frame?.limit] ?? 'Too many requests.';
  return `${what} Try again ${retryWhen(frame?.retryAfterMs)}.`;
}
