// A ticket handed over by an app that embeds or links to the page: /#ticket=sgt_... The
// fragment is never sent to a server (nor in a Referer), so the ticket reaches only this
// page, which uses it for its first connection and removes it from the address bar so that
// it is not bookmarked, shared or kept in history.

const TICKET_TEXT = /^[A-Za-z0-9\-_.~]+$/;

// Splits `hash` (location.hash, with or without its "#") into the ticket it carries, if
// any, and the fragment to leave in its place (other parameters are kept).
export function takeFragmentTicket(hash) {
  const text = String(hash ?? '').replace(/^#/, '');
  if (!/(^|&)ticket=/.test(text)) return { ticket: null, hash: hash ?? '' };
  const params = new URLSearchParams(text);
  const value = params.get('ticket');
  params.delete('ticket');
  const rest = params.toString();
  return {
    ticket: value && TICKET_TEXT.test(value) ? value : null,
    hash: rest ? `#${rest}` : '',
  };
}
