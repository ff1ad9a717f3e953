// The chat page: wires the connection, the conversation and the composer together and
// decides what each server frame means on screen. Entry point loaded by index.html.

import { ChatConnection } from './chat_connection.js';
import { ConversationView } from './conversation_view.js';

const byId = (id) => document.getElementById(id);
const ui = {
  connection: byId('connection'),
  connectionText: byId('connection-text'),
  retry: byId('retry'),
  messages: byId('messages'),
  conversation: byId('conversation'),
  form: byId('composer'),
  input: byId('message'),
  send: byId('send'),
  stop: byId('stop'),
};

const MAX_INPUT_HEIGHT_PX = 200;

const conversation = new ConversationView(ui.messages, ui.conversation);
const connection = new ChatConnection(socketUrl());
let everConnected = false;
let reply = null;  // the ReplyView of the reply in progress; one at a time per session
let cancelRequested = false;

function socketUrl() {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${location.host}/ws`;
}

function showConnection(state, text) {
  ui.connection.dataset.state = state;
  ui.connectionText.textContent = text;
  ui.retry.hidden = state !== 'reconnecting';
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
  reply = null;
  cancelRequested = false;
  updateControls();
  // The Stop button disappears; keep the keyboard user in the composer.
  if (stopHadFocus) ui.input.focus();
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
    case 'error':
      if (reply) {
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
  conversation.addUserMessage(text);
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

connection.addEventListener('state', ({ detail }) => {
  if (detail.state === 'connecting') {
    showConnection(everConnected ? 'reconnecting' : 'connecting',
                   everConnected ? 'Reconnecting…' : 'Connecting…');
  } else if (detail.state === 'waiting') {
    const seconds = Math.max(1, Math.round(detail.delayMs / 1000));
    showConnection('reconnecting', `Disconnected. Reconnecting in ${seconds} s…`);
  }
  updateControls();
});

connection.addEventListener('session', ({ detail }) => {
  everConnected = true;
  showConnection('connected', 'Connected');
  if (detail.reconnected) {
    conversation.addNotice(
        'Reconnected. This is a new session: the assistant does not remember the messages above.');
  }
  updateControls();
});

connection.addEventListener('closed', () => {
  if (reply) endReply('failed', 'Connection lost: this reply was cut off.');
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
window.addEventListener('online', () => connection.reconnectNow());

connection.start();
updateControls();
fitInput();
// Focus the composer where that does not pop up an on-screen keyboard.
if (window.matchMedia('(pointer: fine)').matches) ui.input.focus();
