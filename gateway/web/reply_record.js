// What the page knows of one reply apart from the screen: the message it answers, its text
// so far and how it ended. chat_thread.js keeps one for each reply in flight; the resume
// state keeps it across a reload (a history holds an exchange only once its reply has
// ended), and it tells whether a `history` snapshot already holds the reply. Pure.
//
// A record: { user (the message, or null when unknown), text, outcome, note, endSeq }.
// outcome is null while the reply runs, then "done", "stopped", "interrupted" or "failed";
// endSeq is the seq of the frame that ended it.

import { rateLimitText } from './rate_limit_text.js';

const OUTCOMES = ['done', 'stopped', 'interrupted', 'failed'];
// Held in the resume state: a reply longer than this is kept without its text (the reload
// then shows what comes after it). sessionStorage has a few MB for the whole origin.
export const MAX_KEPT_TEXT_CHARS = 200_000;

export function newReplyRecord(user = null) {
  return { user: typeof user === 'string' ? user : null, text: '', outcome: null, note: '',
           endSeq: 0 };
}

// A record from the resume state, or null if it is not one.
export function readReplyRecord(saved) {
  if (!saved || typeof saved !== 'object' || typeof saved.text !== 'string') return null;
  const record = newReplyRecord(saved.user);
  record.text = saved.text;
  if (OUTCOMES.includes(saved.outcome)) record.outcome = saved.outcome;
  if (typeof saved.note === 'string') record.note = saved.note;
  if (Number.isSafeInteger(saved.endSeq) && saved.endSeq > 0) record.endSeq = saved.endSeq;
  return record;
}

// The record as the resume state keeps it.
export function keptReplyRecord(record) {
  const kept = { ...record };
  if (kept.text.length > MAX_KEPT_TEXT_CHARS) kept.text = '';
  return kept;
}

// Applies one frame of the reply's conversation. Returns what it was: "start", "chunk",
// "end", or null when it changes nothing (an ended reply takes no more; nothing_to_cancel
// says only that a cancel came too late). `cancelRequested`: the person pressed Stop, so
// an error means "stopped".
export function applyReplyFrame(record, frame, { cancelRequested = false } = {}) {
  if (record.outcome !== null) return null;
  switch (frame?.type) {
    case 'stream_start':
      return 'start';
    case 'stream_chunk':
      if (typeof frame.content !== 'string') return null;
      record.text += frame.content;
      return 'chunk';
    case 'stream_end':
      if (frame.cancelled === true || frame.stopReason === 'cancelled') {
        end(record, frame, 'stopped', 'Stopped');
      } else {
        end(record, frame, 'done', frame.stopReason === 'max_tokens'
            ? 'Cut short: the reply reached its length limit.' : '');
      }
      return 'end';
    case 'error':
      if (frame.code === 'nothing_to_cancel') return null;
      if (frame.code === 'interrupted') {
        end(record, frame, 'interrupted', 'Cut short: the gateway restarted.');
      } else if (cancelRequested && frame.code !== 'rate_limited') {
        end(record, frame, 'stopped', 'Stopped');
      } else {
        end(record, frame, 'failed', errorText(frame));
      }
      return 'end';
    default:
      return null;
  }
}

// Whether `messages` (a history taken at seq `historySeq`) already hold the reply. The
// gateway records an exchange before it sends the frame that ends it, so a reply that ended
// before the history was taken is in it, unless it failed or had no text (those leave no
// trace); one still running is not. The last exchange must also match, which covers what
// seqs cannot tell (a reply cut by a crash is not recorded; a history over its bound).
export function historyHoldsReply(messages, historySeq, record) {
  if (record.outcome === null || record.outcome === 'failed' || record.text === '') return false;
  if (!(record.endSeq > 0 && record.endSeq < historySeq)) return false;
  if (!Array.isArray(messages) || messages.length < 2) return false;
  const [question, answer] = messages.slice(-2);
  return answer?.role === 'assistant' && answer.content === record.text &&
         (record.user === null || (question?.role === 'user' && question.content === record.user));
}

export function errorText(frame) {
  if (frame?.code === 'rate_limited') return rateLimitText(frame);
  return typeof frame?.error === 'string' && frame.error ? frame.error : 'Something went wrong.';
}

function end(record, frame, outcome, note) {
  record.outcome = outcome;
  record.note = note;
  record.endSeq = Number.isSafeInteger(frame.seq) ? frame.seq : 0;
}
