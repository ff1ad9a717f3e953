// The chat page: wires the connection, its access to the gateway, the session it keeps,
// the conversations, the sidebar and the composer together, and decides what the frames
// that concern no one conversation mean on screen. Entry point loaded by index.html. How
// the page gets in when the gateway needs a credential: docs/chat-page-auth.md; how it
// keeps its session across dropped connections, reloads and gateway restarts:
// docs/sessions.md and the header of session_keeper.js. Every URL it uses is relative to
// the page's own, so the page also works under a path prefix behind a reverse proxy.

import { AccessPanel } from './access_panel.js';
import { ChatConnection } from './chat_connection.js';
import { CLOSE_TAKEN_OVER, CLOSE_TOO_BIG, closeNotice, tooBigText } from './close_text.js';
import { CLOSE_UNAUTHORIZED, ConnectionAccess } from './connection_access.js';
import { ConversationSidebar } from './conversation_sidebar.js';
import { Conversations } from './conversations.js';
import { CredentialStore, isJwt, readCredential } from './credential.js';
import { takeFragmentTicket } from './fragment_ticket.js';
import { rateLimitText } from './rate_limit_text.js';
import { errorText } from './reply_record.js';
import { ResumeStateStore } from './resume_state.js';
import { connectedHeader, readService, UNKNOWN_SERVICE } from './service_status.js';
import { SessionKeeper } from './session_keeper.js';

const byId = (id) => document.getElementById(id);
const ui = {
  connection: byId('connection'),
  connectionText: byId('connection-text'),
  service: byId('service'),
  retry: byId('retry'),
  accessOpen: byId('access-open'),
  takeBack: byId('take-back'),
  messages: byId('messages'),
  conversation: byId('conversation'),
  conversationTitle: byId('conversation-title'),
  form: byId('composer'),
  input: byId('message'),
  send: byId('send'),
  stop: byId('stop'),
  problem: byId('composer-problem'),
};

const MAX_INPUT_HEIGHT_PX = 200;

// Taken before anything else runs, so the ticket leaves the address bar at once.
const launch = takeFragmentTicket(location.hash);
if (launch.hash !== location.hash) {
  history.replaceState(history.state, '', `${location.pathname}${location.search}${launch.hash}`);
}

const panel = new AccessPanel(byId('access'));
const access = new ConnectionAccess({
  fetch: (...request) => fetch(...request),
  store: new CredentialStore(tabStorage()),
  socketUrl: socketUrl(),
  launchTicket: launch.ticket,
});
const keeper = new SessionKeeper({
  store: new ResumeStateStore(tabStorage()),
  collect: () => conversations.snapshot(),
});
const connection = new ChatConnection({
  prepare: () => access.prepare(),
  // The gateway closes a connection whose session another connection resumed (another tab
  // with this tab's session, e.g. a duplicated tab). Taking it back at once would close the
  // other one in turn, so the page waits until the person asks.
  afterClose: (closed) => (closed.code === CLOSE_TAKEN_OVER
    ? { locked: 'taken_over' } : access.afterClose(closed)),
  resumeRequest: () => keeper.resumeRequest(),
});
const conversations = new Conversations({
  host: ui.messages, scroller: ui.conversation, connection,
});
const sidebar = new ConversationSidebar({
  nav: byId('sidebar'),
  list: byId('conversation-list'),
  toggle: byId('menu-toggle'),
  newButton: byId('new-conversation'),
  closeButton: byId('sidebar-close'),
  scrim: byId('sidebar-scrim'),
  behind: document.querySelector('.chat'),
  narrow: window.matchMedia('(max-width: 860px)'),
});
let everConnected = false;
let restarting = false;  // the gateway said it restarts; until a session is back
// A token_expired frame came and no fresh token has been accepted on this connection yet.
let renewalPending = false;
let rateNotice = null;  // the latest rate-limit notice; a newer one replaces it
let lockReason = 'needed';  // why the connection last locked, for reopening the panel
let service = UNKNOWN_SERVICE;  // what the gateway last said of llm-service (service_status.js)

// "ws" next to the page: /ws, or /chat/ws under a proxy's /chat/ prefix.
function socketUrl() {
  const url = new URL('ws', location.href);
  url.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
  url.search = '';
  url.hash = '';
  return url.href;
}

// sessionStorage, or null where the browser forbids it (reading it can throw).
function tabStorage() {
  try {
    return window.sessionStorage;
  } catch {
    return null;
  }
}

const finePointer = () => window.matchMedia('(pointer: fine)').matches;

// `serviceState` (data-service) and `detail` (who answers) only while connected.
function showConnection(state, text, { serviceState = '', detail = '' } = {}) {
  ui.connection.dataset.state = state;
  if (serviceState) {
    ui.connection.dataset.service = serviceState;
  } else {
    delete ui.connection.dataset.service;
  }
  ui.connectionText.textContent = text;
  ui.service.textContent = detail;
  ui.service.title = detail;  // the whole name where a phone's top bar cuts it
  ui.service.hidden = !detail;
  ui.retry.hidden = state !== 'reconnecting' && state !== 'restarting';
  updateAccessButtons();
}

// The socket is open: say what the gateway tells of the service behind it.
function showConnected() {
  const header = connectedHeader(service);
  if (header.service === 'draining') {
    return showConnection('restarting', header.text, { serviceState: header.service });
  }
  showConnection('connected', header.text, { serviceState: header.service,
                                             detail: header.detail });
}

// While locked out, the top bar offers the panel again after "Not now", or to take the
// session back from another tab.
function updateAccessButtons() {
  const locked = connection.state === 'locked';
  ui.takeBack.hidden = !locked || lockReason !== 'taken_over';
  ui.accessOpen.hidden = !locked || lockReason === 'taken_over' || panel.isOpen;
}

function updateControls() {
  const thread = conversations.current;
  const stopHadFocus = document.activeElement === ui.stop;
  ui.send.disabled = thread.busy || !thread.isReady || !connection.isOpen;
  ui.stop.hidden = !thread.busy;
  ui.stop.disabled = thread.cancelRequested || !connection.isOpen;
  // On a phone the disabled Send gives its room to Stop (style.css).
  ui.form.dataset.busy = String(thread.busy);
  // The Stop button disappears; keep the keyboard user in the composer.
  if (stopHadFocus && ui.stop.hidden) ui.input.focus();
}

function onConversationsChanged() {
  const { current, list } = conversations;
  sidebar.render(list.items(), current.id, conversations.busyIds);
  ui.conversationTitle.textContent = list.get(current.id)?.title || 'New conversation';
  updateControls();
  keeper.changed();
}

function showRateNotice(text, thread = conversations.current) {
  rateNotice?.remove();
  rateNotice = thread.addNotice(text, 'error');
}

// A limit refused a message before any reply text: the gateway kept no trace of it, so it
// goes back into the message box, unless something new was typed there meanwhile.
// A close 1009 (`tooBig`) is refused the same way, with its own sentence.
function onRefused({ text, note, tooBig = false, thread }) {
  const kept = thread === conversations.current && text && !ui.input.value;
  if (kept) {
    ui.input.value = text;
    fitInput();
    checkSize();
  }
  if (tooBig) {
    return showRateNotice(tooBigText(connection.limits.maxMessageBytes, { kept }), thread);
  }
  showRateNotice(`${note} Your message was not sent; it is back in the message box.`, thread);
}

// Says why the text in the message box cannot be sent, or takes that away once it can.
function checkSize() {
  const refusal = ui.input.value ? conversations.sizeRefusal(ui.input.value) : null;
  ui.problem.textContent = refusal ?? '';
  ui.problem.hidden = !refusal;
  return refusal;
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

function onFrame(frame) {
  if (!keeper.admit(frame)) return;  // already processed: a replay overlapping what came
  if (conversations.onFrame(frame)) return;
  switch (frame.type) {
    case 'authenticated':
      renewalPending = false;
      if (panel.isOpen) panel.hide();
      break;
    case 'going_away':
      restarting = true;
      showConnection('restarting', 'The gateway is restarting…');
      break;
    case 'status':
      service = readService(frame);
      if (connection.isOpen && !restarting) showConnected();
      break;
    case 'error':
      if (frame.code === 'token_expired') {
        onTokenExpired();
      } else if (frame.code === 'unauthenticated') {
        onRenewalRefused();
      } else if (frame.code === 'rate_limited') {
        showRateNotice(rateLimitText(frame));
      } else if (frame.code !== 'nothing_to_cancel') {
        conversations.current.addNotice(errorText(frame), 'error');
      }
      break;
    default:
      break;  // newer servers may send more; ignore what we do not know
  }
}

function send() {
  const text = ui.input.value;
  if (!text.trim()) return;
  // Refused here, the text stays in the box; the gateway would have closed the connection.
  if (checkSize()) return ui.input.focus();
  if (!conversations.send(text)) return;
  ui.input.value = '';
  fitInput();
}

// Esc stops the reply streaming on screen, unless something else took it (a dialog, the menu).
function onEscape(event) {
  if (event.key !== 'Escape' || event.defaultPrevented || event.isComposing || panel.isOpen) {
    return;
  }
  if (conversations.stop()) event.preventDefault();
}

// Grows the message box with its text, up to a limit (then it scrolls).
function fitInput() {
  const box = ui.input;
  box.style.height = 'auto';
  const borders = box.offsetHeight - box.clientHeight;
  box.style.height = `${Math.min(box.scrollHeight + borders, MAX_INPUT_HEIGHT_PX)}px`;
}

function focusComposer() {
  if (finePointer()) ui.input.focus();
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
    if (detail.why === 'restart') restarting = true;
    if (restarting) {
      showConnection('restarting', 'The gateway is restarting. Reconnecting…');
    } else {
      showConnection(everConnected ? 'reconnecting' : 'connecting',
                     everConnected ? 'Reconnecting…' : 'Connecting…');
    }
  } else if (detail.state === 'waiting') {
    const seconds = Math.max(1, Math.round(detail.delayMs / 1000));
    restarting = detail.why === 'restart';
    if (restarting) {
      showConnection('restarting', `The gateway is restarting. Reconnecting in ${seconds} s…`);
    } else {
      showConnection('reconnecting', detail.why === 'forbidden'
          ? `The gateway does not accept this page's address. Retrying in ${seconds} s…`
          : `Disconnected. Reconnecting in ${seconds} s…`);
    }
    // The panel is for credentials; an outage is told in the top bar.
    if (panel.isOpen && !connection.isOpen) panel.hide();
  } else if (detail.state === 'locked') {
    lockReason = detail.reason;
    if (lockReason === 'taken_over') {
      showConnection('locked', 'Open in another tab or window');
    } else {
      showConnection('locked', 'Needs an API key or token');
      panel.show(lockReason);
    }
    updateAccessButtons();
  }
  updateControls();
});

connection.addEventListener('session', ({ detail }) => {
  everConnected = true;
  restarting = false;
  renewalPending = false;
  if (panel.isOpen) panel.hide();
  service = detail.service ?? UNKNOWN_SERVICE;
  showConnected();
  ui.connection.dataset.protocol = connection.protocol;
  if (detail.resumed) {
    keeper.resumed(detail);
    conversations.onResumed();
  } else {
    // A resume that failed, or a reconnect with nothing to resume: the old session is gone.
    if (detail.resumeFailed || detail.reconnected) conversations.onStartOver(detail.resumeFailed);
    keeper.fresh(detail);
  }
  updateControls();
  checkSize();
});

connection.addEventListener('closed', ({ detail }) => {
  renewalPending = false;
  const notice = closeNotice({ code: detail.code, reason: detail.reason,
                               limitBytes: connection.limits.maxMessageBytes });
  // The message that was too big never reached a conversation: it goes back to the box.
  const withdrawn = detail.code === CLOSE_TOO_BIG && conversations.onMessageTooBig();
  conversations.onConnectionLost(detail.code === CLOSE_UNAUTHORIZED
    ? 'Access ended: this reply goes on when the page is let in again.'
    : detail.code === CLOSE_TAKEN_OVER ? 'Paused: this session is open in another tab.'
      : 'Connection lost. Reconnecting…');
  if (notice && !withdrawn) conversations.current.addNotice(notice.text, notice.kind);
  keeper.flush();
});

connection.addEventListener('frame', ({ detail }) => onFrame(detail));
conversations.addEventListener('change', onConversationsChanged);
conversations.addEventListener('refused', ({ detail }) => onRefused(detail));

sidebar.addEventListener('select', ({ detail }) => {
  conversations.switchTo(detail.id);
  focusComposer();
});
sidebar.addEventListener('create', () => {
  conversations.create();
  ui.input.focus();
});
sidebar.addEventListener('delete', ({ detail }) => {
  if (!conversations.remove(detail.id)) {
    conversations.current.addNotice('Not connected: delete it again once the connection is back.',
                                    'error');
  }
});

panel.addEventListener('submit', ({ detail }) => onCredentialPasted(detail.text));
panel.addEventListener('hidden', () => {
  updateAccessButtons();
  if (connection.isOpen) focusComposer();
});

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
ui.input.addEventListener('input', () => {
  fitInput();
  checkSize();
});
document.addEventListener('keydown', onEscape);
ui.stop.addEventListener('click', () => conversations.stop());
ui.retry.addEventListener('click', () => connection.reconnectNow());
ui.accessOpen.addEventListener('click', () => panel.show(lockReason));
ui.takeBack.addEventListener('click', () => connection.resume());
window.addEventListener('online', () => connection.reconnectNow());
// A reload or a closed tab: what the page showed is written now (see session_keeper.js).
window.addEventListener('pagehide', () => keeper.flush());

conversations.restore(keeper.restore());
connection.start();
onConversationsChanged();
fitInput();
// Focus the composer where that does not pop up an on-screen keyboard.
focusComposer();
