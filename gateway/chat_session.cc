#include "gateway/chat_session.h"

#include "common/ids.h"
#include "common/log.h"
#include "gateway/gateway_config.h"
#include "gateway/llm_client.h"

namespace streamgate::gateway {

using ErrorCode = boost::system::error_code;

namespace {

uint64_t QuarterOf(size_t bytes) { return (bytes + 3) / 4; }

}  // namespace

ChatSession::ChatSession(const GatewayServices& services, Link* link)
    : services_(services),
      link_(link),
      id_(common::NewUuidV4()),
      outbox_(id_),
      conversation_(static_cast<size_t>(services.config->history_max_bytes)) {}

ChatSession::~ChatSession() = default;

void ChatSession::Start() {
  Send([&](uint64_t seq) { return EncodeConnectionEstablished(id_, seq); });
}

void ChatSession::LogBadMessage(std::string_view code, std::string_view detail) {
  uint64_t suppressed = 0;
  if (!bad_message_log_.Admit(std::chrono::steady_clock::now(), &suppressed)) return;
  common::Logger("session")->info("bad client message session={} code={} detail=\"{}\" repeated={}",
                                  id_, code, detail, suppressed);
}

void ChatSession::HandleBinary(size_t bytes) {
  LogBadMessage(ErrorCodeName(ClientError::kUnsupportedFrame),
                "binary frame of " + std::to_string(bytes) + " bytes");
  SendError(ClientError::kUnsupportedFrame);
}

void ChatSession::HandleText(std::string_view frame) {
  ParseResult parsed = ParseClientMessage(frame, id_);
  if (!parsed.message.has_value()) {
    LogBadMessage(ErrorCodeName(parsed.error), parsed.detail);
    return SendError(parsed.error);
  }
  switch (parsed.message->type) {
    case ClientMessage::Type::kUserMessage:
      if (reply_) return SendError(ClientError::kBusy);
      return StartReply(std::move(parsed.message->content));
    case ClientMessage::Type::kCancel:
      if (!reply_) return SendError(ClientError::kNothingToCancel);
      reply_->cancel_requested = true;
      reply_->call->Cancel();
      return;
    case ClientMessage::Type::kAuthenticate:
      return link_->OnAuthenticate(std::move(parsed.message->content));
  }
}

void ChatSession::StartReply(std::string content) {
  const GatewayConfig& config = *services_.config;
  std::string request_id = common::NewUuidV4();
  std::string request = conversation_.Request(id_, request_id, content,
                                              static_cast<uint32_t>(config.reply_max_tokens));
  uint64_t input_estimate = QuarterOf(request.size());
  IdentityLimits::ReplyPermit permit;
  if (auto refused = link_->lease().TryStartReply(
          input_estimate + static_cast<uint64_t>(config.reply_max_tokens), &permit)) {
    common::Logger("session")->info("message refused session={} limit={} retry_after_ms={}", id_,
                                    refused->limit, refused->retry_after.count());
    Send([&](uint64_t seq) {
      return EncodeLimitError(id_, seq, refused->limit, refused->retry_after.count());
    });
    return;
  }
  uint64_t call_id = next_call_id_++;
  common::Logger("session")->info("reply start session={} request={} history={}", id_, request_id,
                                  conversation_.exchanges());
  reply_ = std::make_unique<ActiveReply>(link_->executor());
  reply_->call_id = call_id;
  reply_->request_id = std::move(request_id);
  reply_->user_text = std::move(content);
  reply_->input_estimate = input_estimate;
  reply_->permit = std::move(permit);
  reply_->call =
      LlmStreamCall::Start(services_.llm->stub(), std::move(request), config.reply_timeout, call_id,
                           link_->executor(), link_->handle());
  if (reply_paused_) reply_->call->Pause();
  // The call waits for llm-service to become reachable; bound that wait.
  reply_->connect_timer.expires_after(absl::ToChronoMilliseconds(config.connect_timeout));
  reply_->connect_timer.async_wait([self = link_->handle(), call_id](ErrorCode ec) {
    if (ec) return;
    if (auto session = self.lock()) session->OnConnectCheck(call_id);
  });
}

void ChatSession::OnConnectCheck(uint64_t call_id) {
  if (!reply_ || reply_->call_id != call_id || reply_->heard_back) return;
  // Connected but slow to answer (a model can take a while) is fine; unreachable is not.
  if (services_.llm->IsConnected()) return;
  reply_->connect_timed_out = true;
  reply_->call->Cancel();
}

void ChatSession::OnCallMessage(uint64_t call_id, llm::v1::StreamChatResponse message) {
  if (!reply_ || reply_->call_id != call_id || !link_->open()) return;
  reply_->heard_back = true;
  switch (message.event_case()) {
    case llm::v1::StreamChatResponse::kStarted:
      reply_->started = true;
      Send([&](uint64_t seq) { return EncodeStreamStart(id_, seq, reply_->request_id); });
      break;
    case llm::v1::StreamChatResponse::kDelta:
      reply_->assistant_text += message.delta().text();
      outbox_.PushChunk(std::move(*message.mutable_delta()->mutable_text()));
      link_->OnFramesQueued();
      break;
    case llm::v1::StreamChatResponse::kCompleted:
      reply_->completed = true;
      reply_->stop_reason = message.completed().stop_reason();
      reply_->usage = Usage{message.completed().usage().input_tokens(),
                            message.completed().usage().output_tokens()};
      break;
    case llm::v1::StreamChatResponse::EVENT_NOT_SET:
      break;
  }
}

void ChatSession::OnCallDone(uint64_t call_id, const grpc::Status& status) {
  if (!reply_ || reply_->call_id != call_id) return;
  EndReply(status);
  link_->OnReplyEnded();
}

uint64_t ChatSession::TokensUsed(const ActiveReply& reply, const grpc::Status& status) {
  if (status.ok() && reply.completed) {
    return uint64_t{reply.usage.input_tokens} + reply.usage.output_tokens;
  }
  // No usage came: a reply that never started cost nothing upstream; one that did is
  // charged its input and the text it produced, estimated like the input.
  return reply.started ? reply.input_estimate + QuarterOf(reply.assistant_text.size()) : 0;
}

void ChatSession::EndReply(const grpc::Status& status) {
  std::unique_ptr<ActiveReply> ended = std::move(reply_);
  ended->connect_timer.cancel();
  ActiveReply& reply = *ended;
  reply.permit.End(TokensUsed(reply, status));
  auto log = common::Logger("session");
  if (status.ok() && reply.completed) {
    log->info("reply end session={} request={} status=OK", id_, reply.request_id);
    conversation_.Record(reply.user_text, reply.assistant_text);
    Send([&](uint64_t seq) {
      return EncodeStreamEnd(id_, seq, reply.request_id, reply.stop_reason, reply.usage);
    });
    return;
  }
  bool cancelled = status.error_code() == grpc::StatusCode::CANCELLED;
  if (reply.cancel_requested && cancelled) {
    log->info("reply cancelled session={} request={}", id_, reply.request_id);
    // The user saw this much of the reply; it stays part of the conversation.
    conversation_.Record(reply.user_text, reply.assistant_text);
    Send([&](uint64_t seq) { return EncodeStreamCancelled(id_, seq, reply.request_id); });
    return;
  }
  ClientError error = reply.connect_timed_out && cancelled ? ClientError::kUpstreamUnavailable
                      : status.ok()                        ? ClientError::kInternal
                                                           : ClientErrorForStatus(status);
  log->info("reply failed session={} request={} grpc_status={} detail=\"{}\" code={}", id_,
            reply.request_id, static_cast<int>(status.error_code()), status.error_message(),
            ErrorCodeName(error));
  SendError(error);
}

void ChatSession::SendError(ClientError error) {
  Send([&](uint64_t seq) { return EncodeError(id_, seq, error); });
}

void ChatSession::PauseReply() {
  if (reply_paused_) return;
  reply_paused_ = true;
  common::Logger("session")->debug("reply paused session={} queued_bytes={}", id_, outbox_.bytes());
  if (reply_) reply_->call->Pause();
}

void ChatSession::ResumeReply() {
  if (!reply_paused_) return;
  reply_paused_ = false;
  common::Logger("session")->debug("reply resumed session={}", id_);
  if (reply_) reply_->call->Resume();
}

void ChatSession::CancelReply() {
  if (!reply_) return;
  reply_->call->Cancel();
  reply_->connect_timer.cancel();
}

}  // namespace streamgate::gateway
