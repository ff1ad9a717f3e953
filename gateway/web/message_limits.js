// The gateway's limits as connection_established tells them ("limits": maxMessageBytes,
// maxActiveReplies, maxConversations), and the page's refusal of a message the gateway
// would close the connection over (1009). maxMessageBytes bounds the whole frame as sent:
// the UTF-8 bytes of the user_message JSON text, which is what userMessageBytes() counts.
// A gateway that does not tell its limits (an older one) gets no refusal. Pure.

import { formatBytes } from './close_text.js';

const encoder = new TextEncoder();

// The limits of a connection_established frame; a missing or bad one is null.
export function readLimits(frame) {
  const limits = frame?.limits;
  const count = (value) => (Number.isSafeInteger(value) && value > 0 ? value : null);
  return {
    maxMessageBytes: count(limits?.maxMessageBytes),
    maxActiveReplies: count(limits?.maxActiveReplies),
    maxConversations: count(limits?.maxConversations),
  };
}

// The user_message frame exactly as ChatConnection sends it.
export function userMessageFrame(content, conversationId, sessionId) {
  return { type: 'user_message', content, conversationId, sessionId };
}

export function frameBytes(frame) {
  return encoder.encode(JSON.stringify(frame)).length;
}

// Why a frame of `bytes` bytes cannot be sent, or null when it can (or the limit is unknown).
export function sizeRefusal(bytes, maxMessageBytes) {
  if (!maxMessageBytes || bytes <= maxMessageBytes) return null;
  return `This message is too long to send: ${formatBytes(bytes)}, and the gateway takes at ` +
         `most ${formatBytes(maxMessageBytes)} in one message. Shorten it by about ` +
         `${formatBytes(bytes - maxMessageBytes)} or split it into parts; your text stays here.`;
}
