// POST /v1/tickets: trades this tab's credential for a single-use ticket for one WebSocket
// upgrade (/ws?ticket=...), so the credential itself never goes into a URL. Asked without a
// credential, the same request tells whether the gateway needs one at all: 401 means it
// does, 200 means it runs with --auth none.

// Relative to the page, so a page under a proxy's path prefix asks its own gateway.
export const TICKET_PATH = 'v1/tickets';
// A gateway that accepts the connection but does not answer must not stall the page's
// reconnect loop; ChatConnection's own attempts give up after a similar time.
const TICKET_TIMEOUT_MS = 10000;
const TICKET_TEXT = /^[A-Za-z0-9\-_.~]+$/;

// The fetch() arguments for a ticket request; `credential` may be null (the probe).
export function ticketRequest(credential) {
  const headers = {};
  if (credential) headers.Authorization = `Bearer ${credential}`;
  return [TICKET_PATH, {
    method: 'POST',
    headers,
    // A ticket is good once: never from a cache, and nothing to send but the header.
    cache: 'no-store',
    credentials: 'omit',
    redirect: 'error',
  }];
}

// What an answer means:
//   { kind: 'ticket', ticket }          200 with a ticket
//   { kind: 'unauthorized' }            401: no credential, or the gateway refused it
//   { kind: 'forbidden' }               403: this page's origin is not allowed
//   { kind: 'unavailable', retryAfterMs }  anything else (429, 503, a network error, a
//                                       malformed 200): try again later
export function ticketOutcome(status, body, retryAfter) {
  if (status === 401) return { kind: 'unauthorized' };
  if (status === 403) return { kind: 'forbidden' };
  if (status === 200) {
    const ticket = body && typeof body === 'object' ? body.ticket : undefined;
    if (typeof ticket === 'string' && TICKET_TEXT.test(ticket)) return { kind: 'ticket', ticket };
  }
  return { kind: 'unavailable', retryAfterMs: retryAfterMs(retryAfter) };
}

// Retry-After in delay-seconds (the gateway's form); an HTTP date or garbage counts as none.
export function retryAfterMs(header) {
  if (typeof header !== 'string' || !/^\s*\d+\s*$/.test(header)) return 0;
  return Math.min(Number(header), 3600) * 1000;
}

// Sends the request with `fetchImpl` (window.fetch) and returns its ticketOutcome. Never
// throws: a network error or a timeout is "unavailable".
export async function requestTicket(fetchImpl, credential, { timeoutMs = TICKET_TIMEOUT_MS } = {}) {
  const [url, init] = ticketRequest(credential);
  let response;
  try {
    response = await fetchImpl(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
  } catch {
    return { kind: 'unavailable', retryAfterMs: 0 };
  }
  let body = null;
  if (response.status === 200) {
    try {
      body = await response.json();
    } catch {
      body = null;
    }
  }
  return ticketOutcome(response.status, body, response.headers?.get?.('Retry-After') ?? null);
}
