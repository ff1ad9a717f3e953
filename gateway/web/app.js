// The chat page: wires the connection, its access to the gateway, the conversation and the
// composer together and decides what each server frame means on screen. Entry point loaded
// by index.html. How the page gets in when the gateway needs a credential:
// docs/chat-page-auth.md.

import { AccessPanel } from './access_panel.js';
import { ChatConnection } from './chat_connection.js';
import { CLOSE_UNAUTHORIZED, ConnectionAccess } from './connection_access.js';
import { ConversationView } from './conversation_view.js';
import { CredentialStore, isJwt, readCredential } from './credential.js';
import { takeFragmentTicket } from './fragment_ticket.js';
import { rateLimitText } from './rate_limit_text.js';

const byId = (id) => document.getElementById(id);
const ui = {
  connection: byId('connection'),
  connectionText: byId('connection-text'),
  retry: byId('retry'),
  accessOpen: byId('access-open'),
  messages: byId('messages'),
  conversation: byId('conversation'),
  form: byId('composer'),
  input: byId('message'),
  send: byId('send'),
  stop: byId('stop'),
};

const MAX_INPUT_HEIGHT_PX = 200;

// Taken before anything else runs, so the ticket leaves the address bar at once.
const launch = takeFragmentTicket(location.hash);
if (launch.hash !== location.hash) {
  history.replaceState(history.state, '', `${location.pathname}${location.search}${launch.hash}`);
}

const conversation = new ConversationView(ui.messages, ui.conversation);
const panel = new AccessPanel(byId('access'));
const access = new ConnectionAccess({
  fetch: (...request) => fetch(...request),
  store: new CredentialStore(tabStorage()),
  socketUrl: socketUrl(),
  launchTicket: launch.ticket,
});
const connection = new ChatConnection({
  prepare: () => access.prepare(),
  afterClose: (closed) => access.afterClose(closed),
});
let everConnected = false;
let reply = null;  // the ReplyView of the reply in progress; one at a time per session
let replyUserMessage = null;  // its user message (element and text), until the reply ends
let cancelRequested = false;
// A token_expired frame came and no fresh token has been accepted on this connection yet.
let renewalPending = false;
let rateNotice = null;  // the latest rate-limit notice; a newer one replaces it
let lockReason = 'needed';  // why the connection last locked, for reopening the panel

function socketUrl() {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${location.host}/ws`;
}

// sessionStorage, or null where the browser forbids it (reading it can throw).
function tabStorage() {
  try {
    return window.sessionStorage;
  } catch {
    return null;
  }
}

function showConnection(state, text) {
  ui.connection.dataset.state = state;
  ui.connectionText.textContent = text;
  ui.retry.hidden = state !== 'reconnecting';
  updateAccessButton();
}

// While locked out, the top bar offers the panel again after "Not now".
function updateAccessButton() {
  ui.accessOpen.hidden = connection.state !== 'locked' || panel.isOpen;
}

function updateControls() {
  const busy = reply !== null;
  ui.send.disabled = busy || !connection.isOpen;
  ui.stop.hidden = !busy;
  ui.stop.disabled = cancelRequested;
}

function endReply(outcome, note) {
  const stopHadFocus = document.activeElement === ui.stop;
  reply.finish(outcome, note);
  clearReply();
  // The Stop button disappears; keep the keyboard user in the composer.
  if (stopHadFocus) ui.input.focus();
}

function clearReply() {
  reply = null;
  replyUserMessage = null;
  cancelRequested = false;
  updateControls();
}

function showRateNotice(text) {
  rateNotice?.remove();
  rateNotice = conversation.addNotice(text, 'error');
}

// The gateway refused a message for a limit. Refused before any reply text, the message
// was never taken (the gateway keeps no trace of it): it leaves the conversation and goes
// back into the message box, unless something new was typed there meanwhile.
function onRateLimited(frame) {
  const text = rateLimitText(frame);
  if (!reply) return showRateNotice(text);
  if (reply.hasText) return endReply('failed', text);
  const { element, text: sent } = replyUserMessage ?? {};
  reply.remove();
  element?.remove();
  clearReply();
  if (sent && !ui.input.value) {
    ui.input.value = sent;
    fitInput();
  }
  showRateNotice(`${text} Your message was not sent; it is back in the message box.`);
}

// The gateway says this connection's JWT expired: renew it with this tab's token if that
// has not been tried, else ask for a fresh one while the connection still stands.
function onTokenExpired() {
  renewalPending = true;
  const token = access.renewalToken();
  if (token && connection.sendAuthenticate(token)) return;
  panel.show('expiring');
}

function onRenewalRefused() {
  access.forget();
  panel.show('renewal_refused');
}

function errorText(frame) {
  return typeof frame.error === 'string' && frame.error ? frame.error : 'Something went wrong.';
}

function endNote(stopReason) {
  if (stopReason === 'max_tokens') return 'Cut short: the reply reached its length limit.';
  return '';
}

function onFrame(frame) {
  switch (frame.type) {
    case 'stream_start':
      reply?.markStreaming();
      break;
    case 'stream_chunk':
      if (reply && typeof frame.content === 'string') reply.append(frame.content);
      break;
    case 'stream_end': {
      if (!reply) break;
      const stopped = frame.cancelled === true || frame.stopReason === 'cancelled';
      if (stopped) {
        endReply('stopped', 'Stopped');
      } else {
        endReply('done', endNote(frame.stopReason));
      }
      break;
    }
    case 'authenticated':
      renewalPending = false;
      if (panel.isOpen) panel.hide();
      break;
    case 'error':
      // Access and limits first: these do not end a reply that is streaming.
      if (frame.code === 'token_expired') {
        onTokenExpired();
      } else if (frame.code === 'unauthenticated') {
        onRenewalRefused();
      } else if (frame.code === 'rate_limited') {
        onRateLimited(frame);
      } else if (reply) {
        // A server that ends a cancelled reply with an error still means "stopped".
        if (cancelRequested) {
          endReply('stopped', 'Stopped');
        } else {
          endReply('failed', errorText(frame));
        }
      } else if (frame.code !== 'nothing_to_cancel') {
        conversation.addNotice(errorText(frame), 'error');
      }
      break;
    default:
      break;  // newer servers may send more; ignore what we do not know
  }
}

function send() {
  const text = ui.input.value;
  if (!text.trim() || reply || !connection.sendUserMessage(text)) return;
  replyUserMessage = { element: conversation.addUserMessage(text), text };
  reply = conversation.startReply();
  cancelRequested = false;
  ui.input.value = '';
  fitInput();
  updateControls();
}

function stop() {
  if (!reply || cancelRequested || !connection.sendCancel()) return;
  cancelRequested = true;
  reply.markStopping();
  updateControls();
}

// Grows the message box with its text, up to a limit (then it scrolls).
function fitInput() {
  const box = ui.input;
  box.style.height = 'auto';
  const borders = box.offsetHeight - box.clientHeight;
  box.style.height = `${Math.min(box.scrollHeight + borders, MAX_INPUT_HEIGHT_PX)}px`;
}

// What was pasted into the panel: renew the open connection with it (a token_expired is
// pending), or keep it for this tab and connect with it.
function onCredentialPasted(text) {
  const credential = readCredential(text);
  if (!credential) {
    return panel.showProblem('That does not look like an API key or token. Paste it again.');
  }
  if (connection.isOpen && renewalPending) {
    if (!isJwt(credential)) {
      return panel.showProblem('This connection needs a fresh token (a JWT); an API key cannot renew it.');
    }
    access.useCredential(credential);
    panel.setBusy(true);
    connection.sendAuthenticate(access.renewalToken() ?? credential);
    return;
  }
  access.useCredential(credential);
  panel.setBusy(true);
  connection.resume();
}

connection.addEventListener('state', ({ detail }) => {
  if (detail.state === 'connecting') {
    showConnection(everConnected ? 'reconnecting' : 'connecting',
                   everConnected ? 'Reconnecting…' : 'Connecting…');
  } else if (detail.state === 'waiting') {
    const seconds = Math.max(1, Math.round(detail.delayMs / 1000));
    showConnection('reconnecting', detail.why === 'forbidden'
        ? `The gateway does not accept this page's address. Retrying in ${seconds} s…`
        : `Disconnected. Reconnecting in ${seconds} s…`);
    // The panel is for credentials; an outage is told in the top bar.
    if (panel.isOpen && !connection.isOpen) panel.hide();
  } else if (detail.state === 'locked') {
    lockReason = detail.reason;
    showConnection('locked', 'Needs an API key or token');
    panel.show(lockReason);
    updateAccessButton();
  }
  updateControls();
});

connection.addEventListener('session', ({ detail }) => {
  everConnected = true;
  renewalPending = false;
  if (panel.isOpen) panel.hide();
  showConnection('connected', 'Connected');
  ui.connection.dataset.protocol = connection.protocol;
  if (detail.reconnected) {
    conversation.addNotice(
        'Reconnected. This is a new session: the assistant does not remember the messages above.');
  }
  updateControls();
});

connection.addEventListener('closed', ({ detail }) => {
  renewalPending = false;
  if (reply) {
    endReply('failed', detail.code === CLOSE_UNAUTHORIZED
        ? 'Access ended: this reply was cut off.'
        : 'Connection lost: this reply was cut off.');
  }
  // 1008 "rate limit": the gateway closes a connection that sends frames too fast.
  if (detail.code === 1008) {
    conversation.addNotice('The gateway closed the connection because this page sent too ' +
                           'much too fast. Reconnecting…', 'error');
  }
});

panel.addEventListener('submit', ({ detail }) => onCredentialPasted(detail.text));
panel.addEventListener('hidden', () => {
  updateAccessButton();
  if (connection.isOpen && window.matchMedia('(pointer: fine)').matches) ui.input.focus();
});

connection.addEventListener('frame', ({ detail }) => onFrame(detail));

ui.form.addEventListener('submit', (event) => {
  event.preventDefault();
  send();
});
ui.input.addEventListener('keydown', (event) => {
  if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
    event.preventDefault();
    send();
  }
});
ui.input.addEventListener('input', fitInput);
ui.stop.addEventListener('click', stop);
ui.retry.addEventListener('click', () => connection.reconnectNow());
ui.accessOpen.addEventListener('click', () => panel.show(lockReason));
window.addEventListener('online', () => connection.reconnectNow());

connection.start();
updateControls();
fitInput();
// Focus the composer where that does not pop up an on-screen keyboard.
if (window.matchMedia('(pointer: fine)').matches) ui.input.focus();
