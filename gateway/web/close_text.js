// What the page says when the gateway's WebSocket closes, by close code: a true sentence for
// each code the gateway sends (README "Close codes", gateway/ws_connection*.cc) and for the
// ones a browser reports by itself (1006: no close frame came). Pure.
//
//   closeNotice({ code, reason, limitBytes }) -> { text, kind } or null
//
// null means the top bar tells it all (a dropped network, a restart, a take-over, an access
// that ended: those have their own words elsewhere). None of these sentences is about a
// reply: a reply that was streaming says so under itself (and goes on after a resume). A
// 1009 is about the message this page sent: app.js puts it back in the message box.

export const CLOSE_NORMAL = 1000;
export const CLOSE_GOING_AWAY = 1001;
export const CLOSE_PROTOCOL_ERROR = 1002;
export const CLOSE_UNSUPPORTED_DATA = 1003;
export const CLOSE_ABNORMAL = 1006;
export const CLOSE_INVALID_PAYLOAD = 1007;
export const CLOSE_POLICY = 1008;
export const CLOSE_TOO_BIG = 1009;
export const CLOSE_INTERNAL_ERROR = 1011;
export const CLOSE_SERVICE_RESTART = 1012;
export const CLOSE_TRY_AGAIN_LATER = 1013;
export const CLOSE_TAKEN_OVER = 4000;
export const CLOSE_UNAUTHORIZED = 4001;

// Codes the top bar, the access panel or "Use here" explain already.
const TOLD_ELSEWHERE = new Set([CLOSE_ABNORMAL, CLOSE_SERVICE_RESTART, CLOSE_TAKEN_OVER,
                                CLOSE_UNAUTHORIZED]);

const RECONNECTING = 'Reconnecting…';

// The sentence for a 1009; `limitBytes` when the page knows it, `kept` when the message was
// put back in the message box.
export function tooBigText(limitBytes, { kept = false } = {}) {
  const limit = Number.isSafeInteger(limitBytes) && limitBytes > 0
    ? ` (at most ${formatBytes(limitBytes)} in one message)` : '';
  const back = kept ? ' It is back in the message box: shorten it or split it into parts.' : '';
  return `Your message was too large for the gateway${limit}, so it was not sent.${back}`;
}

export function closeNotice({ code, reason = '', limitBytes = null }) {
  if (TOLD_ELSEWHERE.has(code)) return null;
  switch (code) {
    case CLOSE_TOO_BIG:
      return { text: tooBigText(limitBytes), kind: 'error' };
    case CLOSE_POLICY:
      return {
        text: reason === 'rate limit'
          ? `The gateway closed the connection because this page sent too much too fast. ${RECONNECTING}`
          : `The gateway closed the connection: this page broke one of its rules. ${RECONNECTING}`,
        kind: 'error',
      };
    case CLOSE_INVALID_PAYLOAD:
      return { text: `The gateway could not read a message from this page (text that is not ` +
                     `valid UTF-8) and closed the connection. ${RECONNECTING}`, kind: 'error' };
    case CLOSE_PROTOCOL_ERROR:
    case CLOSE_UNSUPPORTED_DATA:
      return { text: `The gateway closed the connection: it did not understand what this page ` +
                     `sent. ${RECONNECTING}`, kind: 'error' };
    case CLOSE_INTERNAL_ERROR:
      return { text: `The gateway hit an internal error and closed the connection. ` +
                     `${RECONNECTING}`, kind: 'error' };
    case CLOSE_GOING_AWAY:
      return { text: `The gateway is shutting down and closed the connection. ` +
                     `${RECONNECTING}`, kind: 'info' };
    case CLOSE_TRY_AGAIN_LATER:
      return { text: `The gateway is overloaded and closed the connection. ` +
                     `${RECONNECTING}`, kind: 'info' };
    case CLOSE_NORMAL:
      return { text: `The gateway closed the connection. ${RECONNECTING}`, kind: 'info' };
    default:
      return { text: `The connection closed (code ${Number(code) || 'none'}). ${RECONNECTING}`,
               kind: 'error' };
  }
}

// "900 bytes", "256 KiB", "1.5 MiB": sizes as the gateway's flags count them (1 KiB = 1024).
export function formatBytes(bytes) {
  const n = Number(bytes);
  if (!Number.isFinite(n) || n < 1024) {
    const count = Math.max(0, Math.round(n) || 0);
    return `${count} ${count === 1 ? 'byte' : 'bytes'}`;
  }
  const [value, unit] = n < 1024 * 1024 ? [n / 1024, 'KiB'] : [n / (1024 * 1024), 'MiB'];
  const rounded = Math.round(value * 10) / 10;
  return `${Number.isInteger(rounded) ? rounded : rounded.toFixed(1)} ${unit}`;
}
