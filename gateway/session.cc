#include "gateway/session.h"

#include <algorithm>
#include <array>
#include <boost/asio/bind_allocator.hpp>
#include <boost/asio/dispatch.hpp>

#include "common/ids.h"
#include "common/log.h"
#include "gateway/llm_client.h"
#include "gateway/session_registry.h"
#include "gateway/unrecycled_allocator.h"

namespace streamgate::gateway {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace http = beast::http;

namespace {

bool IsOrdinaryEnd(const beast::error_code& ec) {
  return ec == websocket::error::closed || ec == net::error::operation_aborted ||
         ec == net::error::eof || ec == net::error::connection_reset ||
         ec == net::error::broken_pipe || ec == beast::error::timeout;
}

std::chrono::milliseconds Ms(absl::Duration duration) {
  return absl::ToChronoMilliseconds(duration);
}

}  // namespace

Session::Session(Socket&& socket, SessionDeps deps)
    : ws_(std::move(socket)),
      deps_(deps),
      id_(common::NewUuidV4()),
      opened_at_(std::chrono::steady_clock::now()),
      outbox_(id_),
      conversation_(static_cast<size_t>(deps.config->history_max_bytes)) {}

Session::~Session() { ReleaseSlot(); }

void Session::ReleaseSlot() {
  if (slot_released_) return;
  slot_released_ = true;
  if (registered_) {
    deps_.registry->Remove(this);
  } else {
    deps_.registry->Unreserve();
  }
}

void Session::Run(UpgradeRequest upgrade) {
  websocket::stream_base::timeout timeouts{};
  timeouts.handshake_timeout = Ms(deps_.config->handshake_timeout);  // also bounds closing
  timeouts.idle_timeout = websocket::stream_base::none();
  timeouts.keep_alive_pings = false;
  ws_.set_option(timeouts);
  ws_.set_option(websocket::stream_base::decorator(
      [](websocket::response_type& response) { response.set(http::field::server, "streamgate"); }));
  // The size limit is enforced while reading into message_ instead, so that the close frame
  // can carry a reason (Beast's own limit closes with a bare 1009).
  ws_.read_message_max(0);
  ws_.control_callback([this](websocket::frame_type, beast::string_view) { Touch(); });
  ws_.async_accept(upgrade, beast::bind_front_handler(&Session::OnAccept, shared_from_this()));
}

void Session::OnAccept(beast::error_code ec) {
  if (ec) {
    common::Logger("session")->info("handshake failed error=\"{}\"", ec.message());
    return;
  }
  registered_ = true;
  deps_.registry->Add(this, weak_from_this());
  beast::error_code ignored;
  auto peer = ws_.next_layer().remote_endpoint(ignored);
  common::Logger("session")->info("session open session={} peer={}:{}", id_,
                                  peer.address().to_string(), peer.port());
  Touch();
  Send([&](uint64_t seq) { return EncodeConnectionEstablished(id_, seq); });
  MaybeRead();
  // A drain that began while this handshake was running must reach this session too.
  if (deps_.draining->load()) Drain();
}

void Session::MaybeRead() {
  if (reading_ || closing_) return;
  // A client that does not read what it is sent gets nothing more read from it either.
  if (outbox_.bytes() > max_outbound()) return;
  reading_ = true;
  auto on_read = net::bind_allocator(
      UnrecycledAllocator<void>(), beast::bind_front_handler(&Session::OnRead, shared_from_this()));
  if (message_bytes_ == 0) return ws_.async_read_some(net::buffer(first_read_), std::move(on_read));
  // Reading one byte past the limit is how a message is known to be too big.
  static constexpr size_t kReadStep = 4096;
  size_t limit = static_cast<size_t>(deps_.config->max_message_bytes) + 1;
  message_.resize(message_bytes_ + std::min(kReadStep, limit - message_bytes_));
  ws_.async_read_some(
      net::buffer(message_.data() + message_bytes_, message_.size() - message_bytes_),
      std::move(on_read));
}

void Session::OnRead(beast::error_code ec, size_t bytes) {
  reading_ = false;
  if (ec) {
    if (IsOrdinaryEnd(ec)) return Teardown("client_closed");
    return Teardown("read_error:" + ec.message());
  }
  Touch();
  if (message_bytes_ == 0) {
    if (ws_.is_message_done()) {
      HandleMessage(std::string_view(first_read_.data(), bytes));
      return MaybeRead();
    }
    message_.assign(first_read_.data(), bytes);
    message_bytes_ = bytes;
    return MaybeRead();
  }
  message_bytes_ += bytes;
  message_.resize(message_bytes_);
  if (message_bytes_ > static_cast<size_t>(deps_.config->max_message_bytes)) {
    common::Logger("session")->info("message too big session={} limit={}", id_,
                                    deps_.config->max_message_bytes);
    ReleaseMessage();
    // Beast's close discards the rest of the message while it waits for the client's close.
    return DoClose(CloseReason(websocket::close_code::too_big, "message too big"));
  }
  if (ws_.is_message_done()) {
    HandleMessage(message_);
    ReleaseMessage();
  }
  MaybeRead();
}

void Session::ReleaseMessage() {
  message_bytes_ = 0;
  message_.clear();
  message_.shrink_to_fit();
}

void Session::HandleMessage(std::string_view message) {
  if (ws_.got_text()) return HandleText(message);
  common::Logger("session")->info("binary frame rejected session={} bytes={}", id_, message.size());
  SendError(ClientError::kUnsupportedFrame);
}

void Session::HandleText(std::string_view frame) {
  ParseResult parsed = ParseClientMessage(frame, id_);
  if (!parsed.message.has_value()) {
    common::Logger("session")->info("bad client message session={} code={} detail=\"{}\"", id_,
                                    ErrorCodeName(parsed.error), parsed.detail);
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
  }
}

void Session::StartReply(std::string content) {
  std::string request_id = common::NewUuidV4();
  std::string request = conversation_.Request(id_, request_id, content);
  uint64_t call_id = next_call_id_++;
  common::Logger("session")->info("reply start session={} request={} history={}", id_, request_id,
                                  conversation_.exchanges());
  reply_ = std::make_unique<ActiveReply>(ws_.get_executor());
  reply_->call_id = call_id;
  reply_->request_id = std::move(request_id);
  reply_->user_text = std::move(content);
  reply_->call =
      LlmStreamCall::Start(deps_.llm->stub(), std::move(request), deps_.config->reply_timeout,
                           call_id, ws_.get_executor(), weak_from_this());
  if (reply_paused_) reply_->call->Pause();
  // The call waits for llm-service to become reachable; bound that wait.
  reply_->connect_timer.expires_after(Ms(deps_.config->connect_timeout));
  reply_->connect_timer.async_wait([self = shared_from_this(), call_id](beast::error_code ec) {
    if (!ec) self->OnConnectCheck(call_id);
  });
}

void Session::OnConnectCheck(uint64_t call_id) {
  if (!reply_ || reply_->call_id != call_id || reply_->heard_back) return;
  // Connected but slow to answer (a model can take a while) is fine; unreachable is not.
  if (deps_.llm->IsConnected()) return;
  reply_->connect_timed_out = true;
  reply_->call->Cancel();
}

void Session::OnCallMessage(uint64_t call_id, llm::v1::StreamChatResponse message) {
  if (!reply_ || reply_->call_id != call_id || closing_) return;
  reply_->heard_back = true;
  switch (message.event_case()) {
    case llm::v1::StreamChatResponse::kStarted:
      Send([&](uint64_t seq) { return EncodeStreamStart(id_, seq, reply_->request_id); });
      break;
    case llm::v1::StreamChatResponse::kDelta:
      reply_->assistant_text += message.delta().text();
      outbox_.PushChunk(std::move(*message.mutable_delta()->mutable_text()));
      Flush();
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

void Session::OnCallDone(uint64_t call_id, const grpc::Status& status) {
  if (!reply_ || reply_->call_id != call_id) return;
  EndReply(status);
  if (draining_ && !closing_) DoClose(CloseReason(websocket::close_code::going_away));
}

void Session::EndReply(const grpc::Status& status) {
  std::unique_ptr<ActiveReply> ended = std::move(reply_);
  ended->connect_timer.cancel();
  ActiveReply& reply = *ended;
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

void Session::Heartbeat() {
  net::post(ws_.get_executor(), [self = shared_from_this()] { self->OnHeartbeat(); });
}

void Session::OnHeartbeat() {
  if (torn_down_) return;
  auto idle = std::chrono::steady_clock::now() - last_activity_;
  if (idle >= Ms(deps_.config->idle_timeout)) return Abort("idle_timeout");
  if (!ping_in_flight_ && !closing_) {
    ping_in_flight_ = true;
    ws_.async_ping(
        {}, [self = shared_from_this()](beast::error_code) { self->ping_in_flight_ = false; });
  }
}

void Session::SendError(ClientError error) {
  Send([&](uint64_t seq) { return EncodeError(id_, seq, error); });
}

void Session::Flush() {
  if (!reply_paused_ && outbox_.bytes() > max_outbound()) {
    reply_paused_ = true;
    common::Logger("session")->debug("reply paused session={} queued_bytes={}", id_,
                                     outbox_.bytes());
    if (reply_) reply_->call->Pause();
  }
  if (!outbox_.writing()) DoWrite();
}

void Session::DoWrite() {
  ws_.text(true);
  ws_.async_write(net::buffer(outbox_.StartWrite()),
                  beast::bind_front_handler(&Session::OnWrite, shared_from_this()));
}

void Session::OnWrite(beast::error_code ec, size_t /*bytes*/) {
  outbox_.FinishWrite();
  if (ec) {
    outbox_.Clear();
    return Teardown(IsOrdinaryEnd(ec) ? "client_closed" : "write_error:" + ec.message());
  }
  Touch();  // the peer is reading: it is alive
  if (reply_paused_ && outbox_.bytes() <= max_outbound() / 2) {
    reply_paused_ = false;
    common::Logger("session")->debug("reply resumed session={}", id_);
    if (reply_) reply_->call->Resume();
  }
  if (outbox_.has_queued()) return DoWrite();
  if (close_when_flushed_) {
    CloseReason reason = *close_when_flushed_;
    close_when_flushed_.reset();
    SendClose(reason);
    return;
  }
  MaybeRead();
}

void Session::Close(CloseReason reason) {
  net::dispatch(ws_.get_executor(), [self = shared_from_this(), reason] { self->DoClose(reason); });
}

void Session::Drain() {
  net::dispatch(ws_.get_executor(), [self = shared_from_this()] {
    self->draining_ = true;
    if (!self->reply_) {
      self->DoClose(CloseReason(websocket::close_code::going_away));
    }
  });
}

void Session::DoClose(CloseReason reason) {
  if (closing_ || torn_down_) return;
  closing_ = true;
  if (reply_) reply_->call->Cancel();
  // What is queued (a final stream_end, an error) still goes out before the close frame.
  if (outbox_.writing()) {
    close_when_flushed_ = std::make_unique<CloseReason>(reason);
    return;
  }
  SendClose(reason);
}

void Session::SendClose(const CloseReason& reason) {
  // With no read pending (a stopped reader, a rejected message) nothing else would notice
  // that the closing handshake is over.
  ws_.async_close(reason, [self = shared_from_this()](beast::error_code ec) {
    self->Teardown(!ec || IsOrdinaryEnd(ec) ? "server_closed" : "close_error:" + ec.message());
  });
}

void Session::Abort(std::string_view why) {
  beast::error_code ignored;
  ws_.next_layer().shutdown(Socket::shutdown_both, ignored);
  ws_.next_layer().close(ignored);
  Teardown(why);
}

void Session::Teardown(std::string_view reason) {
  if (torn_down_) return;
  torn_down_ = true;
  closing_ = true;
  // A reply nobody will read must cost nothing: cancel it (and through llm-service, the
  // upstream request).
  if (reply_) {
    reply_->call->Cancel();
    reply_->connect_timer.cancel();
  }
  // The connection is gone even if pending handlers still hold this object for a moment.
  // (Released before the log line, which tests and operators read as "slot free".)
  ReleaseSlot();
  auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - opened_at_);
  common::Logger("session")->info("session close session={} reason={} ms={}", id_, reason,
                                  elapsed.count());
}

}  // namespace streamgate::gateway
