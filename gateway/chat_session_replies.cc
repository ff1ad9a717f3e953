// ChatSession: conversations, replies and the client's requests about them.
#include <algorithm>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/ids.h"
#include "common/log.h"
#include "gateway/chat_session.h"
#include "gateway/chat_session_state.h"
#include "gateway/gateway_config.h"
#include "gateway/gateway_metrics.h"
#include "gateway/llm_client.h"
#include "gateway/store/session_store.h"

namespace streamgate::gateway {

namespace {

using ErrorCode = boost::system::error_code;

uint64_t QuarterOf(size_t bytes) { return (bytes + 3) / 4; }

}  // namespace

void ChatSession::SendError(ClientError error, bool ephemeral) {
  services_.metrics->CountErrorSent(error);
  if (ephemeral) return SendEphemeral([&](uint64_t seq) { return EncodeError(id_, seq, error); });
  Send([&](uint64_t seq) { return EncodeError(id_, seq, error); });
}

void ChatSession::SendConversationError(std::string_view conversation, std::string_view request_id,
                                        ClientError error) {
  services_.metrics->CountErrorSent(error);
  Send([&](uint64_t seq) {
    return EncodeConversationError(id_, seq, conversation, request_id, error);
  });
}

ChatSession::ConversationState* ChatSession::FindConversation(std::string_view id) {
  if (!conversations_) return nullptr;
  for (auto& conversation : *conversations_) {
    if (conversation->id == id) return conversation.get();
  }
  return nullptr;
}

ChatSession::ConversationState* ChatSession::ConversationFor(std::string_view id, bool create) {
  if (ConversationState* found = FindConversation(id)) return found;
  if (!create) return nullptr;
  if (!conversations_) {
    conversations_ = std::make_unique<std::vector<std::unique_ptr<ConversationState>>>();
  }
  if (conversations_->size() >= static_cast<size_t>(services_.config->max_conversations)) {
    return nullptr;
  }
  conversations_->push_back(std::make_unique<ConversationState>(
      std::string(id), static_cast<size_t>(services_.config->history_max_bytes)));
  return conversations_->back().get();
}

void ChatSession::HandleMessage(ClientMessage message) {
  if (state_ == State::kClosed) return;
  const std::string& cid = message.conversation_id;
  switch (message.type) {
    case ClientMessage::Type::kUserMessage: {
      // A refused message starts no conversation.
      ConversationState* conversation = FindConversation(cid);
      if ((conversation != nullptr && conversation->reply) ||
          active_replies_ >= static_cast<uint16_t>(services_.config->max_active_replies)) {
        return SendConversationError(cid, {}, ClientError::kBusy);
      }
      if (conversation == nullptr) conversation = ConversationFor(cid, /*create=*/true);
      if (conversation == nullptr) {
        return SendConversationError(cid, {}, ClientError::kLimitExceeded);
      }
      return StartReply(*conversation, std::move(message.content), message.trace);
    }
    case ClientMessage::Type::kCancel: {
      ConversationState* conversation = FindConversation(cid);
      if (conversation == nullptr || !conversation->reply) {
        return SendConversationError(cid, {}, ClientError::kNothingToCancel);
      }
      conversation->reply->cancel_requested = true;
      conversation->reply->cancel_at = std::chrono::steady_clock::now();
      conversation->reply->call->Cancel();
      return;
    }
    case ClientMessage::Type::kAck:
      log_.Acknowledge(message.seq);
      return;
    case ClientMessage::Type::kGetHistory:
      return SendHistory(cid);
    case ClientMessage::Type::kListConversations:
      return SendConversations();
    case ClientMessage::Type::kDeleteConversation:
      return DeleteConversation(cid);
    case ClientMessage::Type::kAuthenticate:
    case ClientMessage::Type::kResume:
      // The connection handles these; one reaching here is out of place.
      return SendError(ClientError::kInvalidMessage);
  }
}

void ChatSession::StartReply(ConversationState& conversation, std::string content,
                             const std::optional<common::TraceContext>& trace) {
  const GatewayConfig& config = *services_.config;
  std::string request_id = common::NewUuidV4();
  std::string request = conversation.history.Request(
      id_, request_id, content, static_cast<uint32_t>(config.reply_max_tokens));
  uint64_t input_estimate = QuarterOf(request.size());
  IdentityLimits::ReplyPermit permit;
  if (auto refused = account_.TryStartReply(
          input_estimate + static_cast<uint64_t>(config.reply_max_tokens), &permit)) {
    services_.metrics->CountRateLimited(refused->limit);
    services_.metrics->CountErrorSent(ClientError::kRateLimited);
    common::Logger("session")->info("message refused session={} limit={} retry_after_ms={}", id_,
                                    refused->limit, refused->retry_after.count());
    Send([&](uint64_t seq) {
      return EncodeLimitError(id_, seq, conversation.id, refused->limit,
                              refused->retry_after.count());
    });
    // A refused first message starts no conversation.
    if (conversation.history.exchanges() == 0) {
      std::erase_if(*conversations_, [&](const auto& c) { return c.get() == &conversation; });
    }
    return;
  }
  uint64_t call_id = life().next_call_id++;
  // The client's trace, or a new one; llm-service's call is a child of the gateway's span.
  common::TraceContext ours = trace ? common::ChildSpan(*trace) : common::NewTrace();
  common::Logger("session")->info(
      "reply start session={} conversation={} request={} history={} trace={}", id_,
      conversation.id, request_id, conversation.history.exchanges(), ours.trace_id);
  auto reply = std::make_unique<ActiveReply>();
  reply->conversation = &conversation;
  reply->call_id = call_id;
  reply->request_id = std::move(request_id);
  reply->trace_id = ours.trace_id;
  reply->user_text = std::move(content);
  reply->input_estimate = input_estimate;
  reply->permit = std::move(permit);
  reply->first_seq = log_.last_seq() + 1;
  reply->timing.asked_at = std::chrono::steady_clock::now();
  conversation.last_activity_ms = NowMs();
  // last_seen: a crash while attached leaves the window from here. Refreshed at most every
  // eighth of the window (15 s at most): a busy session costs the store one row per reply
  // otherwise, and a crash then leaves its window at least 7/8 of --resume-window.
  if (NowMs() - LastSeenPutMs() >= LastSeenRefreshMs()) PersistSession();
  ActiveReply& started = *reply;
  conversation.reply = std::move(reply);
  ++active_replies_;
  // What was asked is stored now: after a crash the reply ends `interrupted` and the
  // exchange keeps the text the store had (Restore).
  PersistConversation(conversation, &started.user_text);
  started.call = services_.replies->Start(ReplyStart{.reply_id = call_id,
                                                     .request = std::move(request),
                                                     .timeout = config.reply_timeout,
                                                     .connect_timeout = config.connect_timeout,
                                                     .traceparent = ours.Traceparent()},
                                          executor_, weak_from_this());
  if (replies_paused_) started.call->Pause(true);
}

ChatSession::ActiveReply* ChatSession::FindReply(uint64_t call_id) {
  if (!conversations_ || active_replies_ == 0) return nullptr;
  for (auto& conversation : *conversations_) {
    if (conversation->reply && conversation->reply->call_id == call_id) {
      return conversation->reply.get();
    }
  }
  return nullptr;
}

uint64_t ChatSession::OldestRunningReplySeq() const {
  uint64_t oldest = 0;
  if (!conversations_) return 0;
  for (const auto& conversation : *conversations_) {
    if (conversation->reply && (oldest == 0 || conversation->reply->first_seq < oldest)) {
      oldest = conversation->reply->first_seq;
    }
  }
  return oldest;
}

void ChatSession::OnReplyStarted(uint64_t reply_id) {
  ActiveReply* reply = FindReply(reply_id);
  if (reply == nullptr || state_ == State::kClosed) return;
  reply->started = true;
  reply->first_seq = Send([&](uint64_t seq) {
    return EncodeStreamStart(id_, seq, reply->conversation->id, reply->request_id,
                             reply->trace_id);
  });
}

void ChatSession::OnReplyUpstreamLatency(uint64_t reply_id,
                                         std::chrono::microseconds to_first_delta) {
  if (ActiveReply* reply = FindReply(reply_id)) reply->timing.upstream_first_delta = to_first_delta;
}

void ChatSession::OnReplyDelta(uint64_t reply_id, std::string text) {
  ActiveReply* reply = FindReply(reply_id);
  if (reply == nullptr || state_ == State::kClosed) return;
  reply->assistant_bytes += text.size();
  if (!reply->oversized) {
    // A reply the history could never keep is not held in full: a long one would cost its
    // whole length here, whatever the outbound and replay bounds say.
    if (reply->conversation->history.Fits(reply->user_text.size() + reply->assistant_bytes)) {
      reply->assistant_text += text;
    } else {
      reply->oversized = true;
      std::string().swap(reply->assistant_text);
    }
  }
  if (log_.PushChunk(reply->conversation->id, std::move(text))) {
    services_.metrics->CountMergedDelta();
  } else if (reply->timing.unwritten_seq == 0) {
    reply->timing.unwritten_seq = log_.last_seq();
  }
  Pump();
}

void ChatSession::RecordExchange(ConversationState& conversation, const ActiveReply& reply) {
  if (reply.oversized) return conversation.history.RecordOversized();
  conversation.history.Record(reply.user_text, reply.assistant_text);
}

void ChatSession::OnReplyEnd(uint64_t reply_id, ReplyEnd end) {
  ActiveReply* reply = FindReply(reply_id);
  if (reply == nullptr) return;
  EndReply(*reply, std::move(end));
}

uint64_t ChatSession::TokensUsed(const ActiveReply& reply, const ReplyEnd& end) {
  if (end.kind == ReplyEnd::Kind::kCompleted) {
    return uint64_t{end.usage.input_tokens} + end.usage.output_tokens;
  }
  // No usage came: a reply that never started cost nothing upstream; one that did is
  // charged its input and the text it produced, estimated like the input.
  return reply.started ? reply.input_estimate + QuarterOf(reply.assistant_bytes) : 0;
}

void ChatSession::EndReply(ActiveReply& active, ReplyEnd end) {
  ConversationState& conversation = *active.conversation;
  std::unique_ptr<ActiveReply> ended = std::move(conversation.reply);
  --active_replies_;
  ActiveReply& reply = *ended;
  reply.permit.End(TokensUsed(reply, end));
  GatewayMetrics& metrics = *services_.metrics;
  metrics.CountLlmCallEnded(end);
  const auto now = std::chrono::steady_clock::now();
  if (reply.cancel_requested && end.kind == ReplyEnd::Kind::kCancelled) {
    metrics.ObserveCancel(now - reply.cancel_at);
  }
  // Its last chunk may still be queued (with the end frame behind it).
  if (reply.timing.unwritten_seq != 0 && state_ == State::kAttached) {
    auto& ended_timings = life().ended_timings;
    // A client that reads nothing while replies end keeps a few; past that the oldest
    // reply's last gap goes unobserved.
    if (ended_timings.size() >= kMaxEndedTimings) ended_timings.erase(ended_timings.begin());
    ended_timings.push_back(reply.timing);
  }
  conversation.last_activity_ms = NowMs();
  const std::string& cid = conversation.id;
  auto log = common::Logger("session");
  if (state_ == State::kClosed) {
    // The session is gone; nothing is sent or kept.
    metrics.CountReplyEnded(ReplyOutcome::kCancelled);
    metrics.ObserveReplyDuration(ReplyOutcome::kCancelled, now - reply.timing.asked_at);
  } else if (end.kind == ReplyEnd::Kind::kCompleted) {
    metrics.CountReplyEnded(ReplyOutcome::kCompleted);
    metrics.ObserveReplyDuration(ReplyOutcome::kCompleted, now - reply.timing.asked_at);
    log->info("reply end session={} conversation={} request={} status=OK trace={}", id_, cid,
              reply.request_id, reply.trace_id);
    RecordExchange(conversation, reply);
    PersistConversation(conversation);
    Send([&](uint64_t seq) {
      return EncodeStreamEnd(id_, seq, cid, reply.request_id, end.stop_reason, end.usage,
                             reply.trace_id);
    });
  } else if (reply.cancel_requested && end.kind == ReplyEnd::Kind::kCancelled) {
    metrics.CountReplyEnded(ReplyOutcome::kCancelled);
    metrics.ObserveReplyDuration(ReplyOutcome::kCancelled, now - reply.timing.asked_at);
    log->info("reply cancelled session={} conversation={} request={} trace={}", id_, cid,
              reply.request_id, reply.trace_id);
    // The user saw this much of the reply; it stays part of the conversation.
    RecordExchange(conversation, reply);
    PersistConversation(conversation);
    Send([&](uint64_t seq) {
      return EncodeStreamCancelled(id_, seq, cid, reply.request_id, reply.trace_id);
    });
  } else {
    // The user's cancel and a closed session ended above; what is left is a failure of
    // llm-service or of the way to it, for operators to see with its cause.
    ClientError error = end.error;
    ReplyOutcome outcome =
        error == ClientError::kInterrupted ? ReplyOutcome::kInterrupted : ReplyOutcome::kError;
    metrics.CountReplyEnded(outcome);
    metrics.ObserveReplyDuration(outcome, now - reply.timing.asked_at);
    log->warn(
        "reply failed session={} conversation={} request={} grpc_status={} detail=\"{}\" code={} "
        "trace={}",
        id_, cid, reply.request_id, end.cause_code, end.cause_detail, ErrorCodeName(error),
        reply.trace_id);
    // No trace in the history; the stored pending turn goes.
    PersistConversation(conversation);
    SendConversationError(cid, reply.request_id, error);
  }
  log_.OnReplyEnded(reply.first_seq, OldestRunningReplySeq());
  if (draining_ && active_replies_ == 0 && state_ == State::kAttached) {
    SendEphemeral(
        [&](uint64_t seq) { return EncodeGoingAway(id_, seq, life().drain_retry_after_ms); });
  }
}

void ChatSession::Interrupt() {
  if (!conversations_ || active_replies_ == 0) return;
  for (auto& conversation : *conversations_) {
    if (!conversation->reply) continue;
    ActiveReply& reply = *conversation->reply;
    common::Logger("session")->info("reply interrupted session={} conversation={} request={}", id_,
                                    conversation->id, reply.request_id);
    services_.metrics->CountReplyEnded(ReplyOutcome::kInterrupted);
    services_.metrics->ObserveReplyDuration(
        ReplyOutcome::kInterrupted, std::chrono::steady_clock::now() - reply.timing.asked_at);
    // The call is ended here; its own end is never heard (the reply is gone when it comes).
    services_.metrics->CountLlmCallEnded(ReplyEnd{.kind = ReplyEnd::Kind::kCancelled});
    // Kept with the text it had, as a cancelled reply is.
    RecordExchange(*conversation, reply);
    PersistConversation(*conversation);
    SendConversationError(conversation->id, reply.request_id, ClientError::kInterrupted);
    reply.call->Cancel();
    log_.OnReplyEnded(reply.first_seq, 0);
    conversation->reply.reset();
    --active_replies_;
  }
  if (draining_ && state_ == State::kAttached) {
    SendEphemeral(
        [&](uint64_t seq) { return EncodeGoingAway(id_, seq, life().drain_retry_after_ms); });
  }
}

void ChatSession::CancelReplies() {
  if (!conversations_) return;
  for (auto& conversation : *conversations_) {
    if (!conversation->reply) continue;
    conversation->reply->call->Cancel();
  }
}

void ChatSession::PauseReplies(bool paused) {
  replies_paused_ = paused;
  common::Logger("session")->debug("replies {} session={} pending_bytes={}",
                                   paused ? "paused" : "resumed", id_, log_.pending_bytes());
  if (!conversations_) return;
  for (auto& conversation : *conversations_) {
    if (!conversation->reply) continue;
    conversation->reply->call->Pause(paused);
  }
}

void ChatSession::SendHistory(std::string_view cid) {
  ConversationState* conversation = FindConversation(cid);
  std::vector<Conversation::Turn> turns;
  if (conversation != nullptr) turns = conversation->history.Turns();
  std::vector<HistoryMessage> messages;
  messages.reserve(turns.size());
  for (const auto& turn : turns) messages.push_back(HistoryMessage{turn.from_user, turn.content});
  // The answer to one connection's request: a resume asks again rather than replay it (a
  // large history must not push out the reply frames a resume needs).
  SendEphemeral([&](uint64_t seq) { return EncodeHistory(id_, seq, cid, messages); });
}

void ChatSession::SendConversations() {
  std::vector<ConversationSummary> summaries;
  if (conversations_) {
    for (const auto& conversation : *conversations_) {
      summaries.push_back(ConversationSummary{conversation->id, conversation->history.exchanges(),
                                              conversation->last_activity_ms});
    }
  }
  SendEphemeral([&](uint64_t seq) { return EncodeConversations(id_, seq, summaries); });
}

void ChatSession::DeleteConversation(std::string_view cid) {
  ConversationState* conversation = FindConversation(cid);
  if (conversation == nullptr) {
    return SendConversationError(cid, {}, ClientError::kUnknownConversation);
  }
  if (conversation->reply) {
    // Deleting a conversation stops its reply; the end is not reported (it is gone).
    services_.metrics->CountReplyEnded(ReplyOutcome::kCancelled);
    services_.metrics->CountLlmCallEnded(ReplyEnd{.kind = ReplyEnd::Kind::kCancelled});
    conversation->reply->call->Cancel();
    conversation->reply.reset();
    --active_replies_;
  }
  std::string id(cid);
  conversations_->erase(std::find_if(conversations_->begin(), conversations_->end(),
                                     [&](const auto& c) { return c.get() == conversation; }));
  if (persistent_) services_.store->DeleteConversation(id_, id);
  Send([&](uint64_t seq) { return EncodeConversationDeleted(id_, seq, id); });
}

void ChatSession::PersistConversation(const ConversationState& conversation,
                                      const std::string* pending_user) {
  if (!persistent_) return;
  // A reply ended: its frames follow the conversation within one flush interval.
  if (pending_user == nullptr) life().flush_soon = true;
  services_.store->PutConversation(StoredConversation{
      .session_id = id_,
      .conversation_id = conversation.id,
      .history = pending_user != nullptr ? conversation.history.SerializeWithPending(*pending_user)
                                         : conversation.history.Serialize(),
      .last_activity_ms = conversation.last_activity_ms});
}

}  // namespace streamgate::gateway
