#include "gateway/session.h"

#include <array>
#include <boost/asio/dispatch.hpp>

#include "common/ids.h"
#include "common/log.h"
#include "gateway/llm_client.h"
#include "gateway/session_registry.h"

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
      read_buffer_(static_cast<size_t>(deps.config->max_message_bytes)),
      heartbeat_(ws_.get_executor()),
      connect_timer_(ws_.get_executor()),
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
  // The HTTP side's timer is not ours; WebSocket timeouts and the heartbeat take over.
  beast::get_lowest_layer(ws_).expires_never();
  websocket::stream_base::timeout timeouts{};
  timeouts.handshake_timeout = Ms(deps_.config->handshake_timeout);  // also bounds closing
  timeouts.idle_timeout = websocket::stream_base::none();
  timeouts.keep_alive_pings = false;
  ws_.set_option(timeouts);
  ws_.set_option(websocket::stream_base::decorator([](websocket::response_type& response) {
    response.set(http::field::server, "streamgate");
  }));
  // The size limit is enforced by read_buffer_'s bound instead, so that the close frame
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
  auto peer = beast::get_lowest_layer(ws_).socket().remote_endpoint(ignored);
  common::Logger("session")->info("session open session={} peer={}:{}", id_,
                                  peer.address().to_string(), peer.port());
  Touch();
  Send(EncodeConnectionEstablished(id_, ++seq_));
  ArmHeartbeat();
  MaybeRead();
  // A drain that began while this handshake was running must reach this session too.
  if (deps_.draining->load()) Drain();
}

void Session::MaybeRead() {
  if (reading_ || closing_) return;
  // A client that does not read what it is sent gets nothing more read from it either.
  if (outbox_bytes_ > max_outbound()) return;
  reading_ = true;
  ws_.async_read(read_buffer_, beast::bind_front_handler(&Session::OnRead, shared_from_this()));
}

void Session::OnRead(beast::error_code ec, size_t bytes) {
  reading_ = false;
  if (ec == websocket::error::buffer_overflow) {
    common::Logger("session")->info("message too big session={} limit={}", id_,
                                    deps_.config->max_message_bytes);
    read_buffer_.clear();
    return RejectOversized();
  }
  if (ec) {
    if (IsOrdinaryEnd(ec)) return Teardown("client_closed");
    return Teardown("read_error:" + ec.message());
  }
  Touch();
  if (ws_.got_text()) {
    auto data = read_buffer_.cdata();
    HandleText(std::string_view(static_cast<const char*>(data.data()), data.size()));
  } else {
    common::Logger("session")->info("binary frame rejected session={} bytes={}", id_, bytes);
    SendError(ClientError::kUnsupportedFrame);
  }
  read_buffer_.consume(read_buffer_.size());
  MaybeRead();
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
      if (reply_.has_value()) return SendError(ClientError::kBusy);
      return StartReply(std::move(parsed.message->content));
    case ClientMessage::Type::kCancel:
      if (!reply_.has_value()) return SendError(ClientError::kNothingToCancel);
      reply_->cancel_requested = true;
      reply_->call->Cancel();
      return;
  }
}

void Session::StartReply(std::string content) {
  llm::v1::StreamChatRequest request;
  request.set_session_id(id_);
  std::string request_id = common::NewUuidV4();
  request.set_request_id(request_id);
  conversation_.AppendTo(content, &request);

  uint64_t call_id = next_call_id_++;
  common::Logger("session")->info("reply start session={} request={} history={}", id_,
                                  request_id, conversation_.exchanges());
  reply_.emplace();
  reply_->call_id = call_id;
  reply_->request_id = std::move(request_id);
  reply_->user_text = std::move(content);
  reply_->call = LlmStreamCall::Start(deps_.llm->stub(), std::move(request),
                                      deps_.config->reply_timeout, call_id, ws_.get_executor(),
                                      weak_from_this());
  if (reply_paused_) reply_->call->Pause();
  // The call waits for llm-service to become reachable; bound that wait.
  connect_timer_.expires_after(Ms(deps_.config->connect_timeout));
  connect_timer_.async_wait([self = shared_from_this(), call_id](beast::error_code ec) {
    if (!ec) self->OnConnectCheck(call_id);
  });
}

void Session::OnConnectCheck(uint64_t call_id) {
  if (!reply_.has_value() || reply_->call_id != call_id || reply_->heard_back) return;
  // Connected but slow to answer (a model can take a while) is fine; unreachable is not.
  if (deps_.llm->IsConnected()) return;
  reply_->connect_timed_out = true;
  reply_->call->Cancel();
}

void Session::OnCallMessage(uint64_t call_id, llm::v1::StreamChatResponse message) {
  if (!reply_.has_value() || reply_->call_id != call_id || closing_) return;
  reply_->heard_back = true;
  switch (message.event_case()) {
    case llm::v1::StreamChatResponse::kStarted:
      Send(EncodeStreamStart(id_, ++seq_, reply_->request_id));
      break;
    case llm::v1::StreamChatResponse::kDelta:
      reply_->assistant_text += message.delta().text();
      Send(EncodeStreamChunk(id_, ++seq_, message.delta().text()));
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
  if (!reply_.has_value() || reply_->call_id != call_id) return;
  connect_timer_.cancel();
  EndReply(status);
  if (draining_ && !closing_) DoClose(CloseReason(websocket::close_code::going_away));
}

void Session::EndReply(const grpc::Status& status) {
  ActiveReply reply = std::move(*reply_);
  reply_.reset();
  auto log = common::Logger("session");
  if (status.ok() && reply.completed) {
    log->info("reply end session={} request={} status=OK", id_, reply.request_id);
    conversation_.Record(std::move(reply.user_text), std::move(reply.assistant_text));
    Send(EncodeStreamEnd(id_, ++seq_, reply.request_id, reply.stop_reason, reply.usage));
    return;
  }
  bool cancelled = status.error_code() == grpc::StatusCode::CANCELLED;
  if (reply.cancel_requested && cancelled) {
    log->info("reply cancelled session={} request={}", id_, reply.request_id);
    // The user saw this much of the reply; it stays part of the conversation.
    conversation_.Record(std::move(reply.user_text), std::move(reply.assistant_text));
    Send(EncodeStreamCancelled(id_, ++seq_, reply.request_id));
    return;
  }
  ClientError error = reply.connect_timed_out && cancelled ? ClientError::kUpstreamUnavailable
                      : status.ok()                      ? ClientError::kInternal
                                                         : ClientErrorForStatus(status);
  log->info("reply failed session={} request={} grpc_status={} detail=\"{}\" code={}", id_,
            reply.request_id, static_cast<int>(status.error_code()), status.error_message(),
            ErrorCodeName(error));
  SendError(error);
}

void Session::ArmHeartbeat() {
  heartbeat_.expires_after(Ms(deps_.config->ping_interval));
  heartbeat_.async_wait(beast::bind_front_handler(&Session::OnHeartbeat, shared_from_this()));
}

void Session::OnHeartbeat(beast::error_code ec) {
  if (ec || torn_down_) return;
  auto idle = std::chrono::steady_clock::now() - last_activity_;
  if (idle >= Ms(deps_.config->idle_timeout)) return Abort("idle_timeout");
  if (!ping_in_flight_ && !closing_) {
    ping_in_flight_ = true;
    ws_.async_ping({}, [self = shared_from_this()](beast::error_code) {
      self->ping_in_flight_ = false;
    });
  }
  ArmHeartbeat();
}

void Session::SendError(ClientError error) { Send(EncodeError(id_, ++seq_, error)); }

void Session::Send(std::string frame) {
  if (closing_) return;
  outbox_bytes_ += frame.size();
  outbox_.push_back(std::move(frame));
  if (!reply_paused_ && outbox_bytes_ > max_outbound()) {
    reply_paused_ = true;
    common::Logger("session")->debug("reply paused session={} queued_bytes={}", id_,
                                     outbox_bytes_);
    if (reply_.has_value()) reply_->call->Pause();
  }
  if (!writing_) DoWrite();
}

void Session::DoWrite() {
  writing_ = true;
  ws_.text(true);
  ws_.async_write(net::buffer(outbox_.front()),
                  beast::bind_front_handler(&Session::OnWrite, shared_from_this()));
}

void Session::OnWrite(beast::error_code ec, size_t bytes) {
  writing_ = false;
  size_t frame_size = outbox_.front().size();
  outbox_bytes_ -= frame_size;
  outbox_.pop_front();
  if (reject_after_write_) {
    outbox_.clear();
    outbox_bytes_ = 0;
    // Beast reports operation_aborted for a write that completed after the read failed;
    // what matters is whether the whole frame went out. Half a frame leaves no clean close.
    return bytes == frame_size ? RejectOversized() : Abort("message_too_big");
  }
  if (ec) {
    outbox_.clear();
    outbox_bytes_ = 0;
    return Teardown(IsOrdinaryEnd(ec) ? "client_closed" : "write_error:" + ec.message());
  }
  Touch();  // the peer is reading: it is alive
  if (reply_paused_ && outbox_bytes_ <= max_outbound() / 2) {
    reply_paused_ = false;
    common::Logger("session")->debug("reply resumed session={}", id_);
    if (reply_.has_value()) reply_->call->Resume();
  }
  if (!outbox_.empty()) return DoWrite();
  if (close_when_flushed_.has_value()) {
    ws_.async_close(*close_when_flushed_, [self = shared_from_this()](beast::error_code) {});
    close_when_flushed_.reset();
    return;
  }
  MaybeRead();
}

void Session::Close(CloseReason reason) {
  net::dispatch(ws_.get_executor(),
                [self = shared_from_this(), reason] { self->DoClose(reason); });
}

void Session::Drain() {
  net::dispatch(ws_.get_executor(), [self = shared_from_this()] {
    self->draining_ = true;
    if (!self->reply_.has_value()) {
      self->DoClose(CloseReason(websocket::close_code::going_away));
    }
  });
}

void Session::DoClose(CloseReason reason) {
  if (closing_ || torn_down_) return;
  closing_ = true;
  if (reply_.has_value()) reply_->call->Cancel();
  // What is queued (a final stream_end, an error) still goes out before the close frame.
  if (writing_) {
    close_when_flushed_ = reason;
    return;
  }
  ws_.async_close(reason, [self = shared_from_this()](beast::error_code) {});
}

void Session::RejectOversized() {
  // Beast marks the stream failed on buffer_overflow and would close without a frame, so
  // the close frame (1009 + reason) is written by hand: server frames are unmasked. Raw
  // bytes must not interleave with a Beast write, so one in flight finishes first.
  static constexpr char kCloseFrame[] = "\x88\x11\x03\xf1message too big";
  closing_ = true;
  reject_after_write_ = false;
  if (reply_.has_value()) reply_->call->Cancel();
  if (writing_) {
    reject_after_write_ = true;
    return;
  }
  auto& stream = beast::get_lowest_layer(ws_);
  stream.expires_after(Ms(deps_.config->handshake_timeout));
  net::async_write(stream, net::buffer(kCloseFrame, sizeof(kCloseFrame) - 1),
                   [self = shared_from_this()](beast::error_code ec, size_t) {
                     if (ec) return self->Abort("message_too_big");
                     // FIN after the frame; the peer's reply (close frame, rest of the
                     // message) is read and dropped until it closes or the timer fires.
                     beast::error_code ignored;
                     beast::get_lowest_layer(self->ws_).socket().shutdown(
                         Socket::shutdown_send, ignored);
                     self->DiscardUntilClosed();
                   });
}

void Session::DiscardUntilClosed() {
  auto sink = std::make_shared<std::array<char, 512>>();
  beast::get_lowest_layer(ws_).async_read_some(
      net::buffer(*sink), [self = shared_from_this(), sink](beast::error_code ec, size_t) {
        if (ec) return self->Abort("message_too_big");
        self->DiscardUntilClosed();
      });
}

void Session::Abort(std::string_view why) {
  beast::error_code ignored;
  beast::get_lowest_layer(ws_).socket().shutdown(Socket::shutdown_both, ignored);
  beast::get_lowest_layer(ws_).socket().close(ignored);
  Teardown(why);
}

void Session::Teardown(std::string_view reason) {
  if (torn_down_) return;
  torn_down_ = true;
  closing_ = true;
  heartbeat_.cancel();
  connect_timer_.cancel();
  // A reply nobody will read must cost nothing: cancel it (and through llm-service, the
  // upstream request).
  if (reply_.has_value()) reply_->call->Cancel();
  // The connection is gone even if pending handlers still hold this object for a moment.
  // (Released before the log line, which tests and operators read as "slot free".)
  ReleaseSlot();
  auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - opened_at_);
  common::Logger("session")->info("session close session={} reason={} ms={}", id_, reason,
                                  elapsed.count());
}

}  // namespace streamgate::gateway
