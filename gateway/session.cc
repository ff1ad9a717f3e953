#include "gateway/session.h"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>

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
         ec == beast::error::timeout;
}

}  // namespace

Session::Session(Socket&& socket, SessionDeps deps)
    : ws_(std::move(socket)),
      deps_(deps),
      id_(common::NewUuidV4()),
      opened_at_(std::chrono::steady_clock::now()) {}

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
  // The HTTP side's timer is not ours; WebSocket timeouts take over.
  beast::get_lowest_layer(ws_).expires_never();
  websocket::stream_base::timeout timeouts{};
  timeouts.handshake_timeout = absl::ToChronoSeconds(deps_.config->handshake_timeout);
  timeouts.idle_timeout = websocket::stream_base::none();
  timeouts.keep_alive_pings = false;
  ws_.set_option(timeouts);
  ws_.set_option(websocket::stream_base::decorator([](websocket::response_type& response) {
    response.set(http::field::server, "streamgate");
  }));
  ws_.read_message_max(static_cast<size_t>(deps_.config->max_message_bytes));
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
  Send(EncodeConnectionEstablished(id_, ++seq_));
  MaybeRead();
}

void Session::MaybeRead() {
  if (reading_ || closing_) return;
  // A client that does not read what it is sent gets nothing more read from it either.
  if (outbox_bytes_ > static_cast<size_t>(deps_.config->max_outbound_bytes)) return;
  reading_ = true;
  ws_.async_read(read_buffer_, beast::bind_front_handler(&Session::OnRead, shared_from_this()));
}

void Session::OnRead(beast::error_code ec, size_t bytes) {
  reading_ = false;
  if (ec) {
    if (ec == websocket::error::message_too_big) return Teardown("message_too_big");
    if (IsOrdinaryEnd(ec)) return Teardown("client_closed");
    return Teardown("read_error:" + ec.message());
  }
  if (ws_.got_text()) {
    auto data = read_buffer_.cdata();
    HandleText(std::string_view(static_cast<const char*>(data.data()), data.size()));
  } else {
    common::Logger("session")->debug("binary frame rejected session={} bytes={}", id_, bytes);
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
  auto* message = request.add_messages();
  message->set_role(llm::v1::ROLE_USER);
  message->set_content(std::move(content));

  uint64_t call_id = next_call_id_++;
  common::Logger("session")->info("reply start session={} request={}", id_, request_id);
  auto call = LlmStreamCall::Start(deps_.llm->stub(), std::move(request),
                                   deps_.config->reply_timeout, call_id, ws_.get_executor(),
                                   weak_from_this());
  reply_.emplace();
  reply_->call_id = call_id;
  reply_->request_id = std::move(request_id);
  reply_->call = call;
  if (reply_paused_) call->Pause();
}

void Session::OnCallMessage(uint64_t call_id, llm::v1::StreamChatResponse message) {
  if (!reply_.has_value() || reply_->call_id != call_id || closing_) return;
  switch (message.event_case()) {
    case llm::v1::StreamChatResponse::kStarted:
      Send(EncodeStreamStart(id_, ++seq_, reply_->request_id));
      break;
    case llm::v1::StreamChatResponse::kDelta:
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
  ActiveReply reply = std::move(*reply_);
  reply_.reset();
  auto log = common::Logger("session");
  if (status.ok() && reply.completed) {
    log->info("reply end session={} request={} status=OK", id_, reply.request_id);
    if (!closing_) {
      Send(EncodeStreamEnd(id_, ++seq_, reply.request_id, reply.stop_reason, reply.usage));
    }
    return;
  }
  if (reply.cancel_requested && status.error_code() == grpc::StatusCode::CANCELLED) {
    log->info("reply cancelled session={} request={}", id_, reply.request_id);
    if (!closing_) Send(EncodeStreamCancelled(id_, ++seq_, reply.request_id));
    return;
  }
  ClientError error = status.ok() ? ClientError::kInternal : ClientErrorForStatus(status);
  log->info("reply failed session={} request={} grpc_status={} detail=\"{}\" code={}", id_,
            reply.request_id, static_cast<int>(status.error_code()), status.error_message(),
            ErrorCodeName(error));
  if (!closing_) SendError(error);
}

void Session::SendError(ClientError error) { Send(EncodeError(id_, ++seq_, error)); }

void Session::Send(std::string frame) {
  if (closing_) return;
  outbox_bytes_ += frame.size();
  outbox_.push_back(std::move(frame));
  if (!reply_paused_ && outbox_bytes_ > static_cast<size_t>(deps_.config->max_outbound_bytes)) {
    reply_paused_ = true;
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

void Session::OnWrite(beast::error_code ec, size_t) {
  writing_ = false;
  outbox_bytes_ -= outbox_.front().size();
  outbox_.pop_front();
  if (ec) {
    outbox_.clear();
    outbox_bytes_ = 0;
    return Teardown(IsOrdinaryEnd(ec) ? "client_closed" : "write_error:" + ec.message());
  }
  if (close_after_write_.has_value()) {
    auto code = *close_after_write_;
    close_after_write_.reset();
    ws_.async_close(code, [self = shared_from_this()](beast::error_code) {});
    return;
  }
  if (reply_paused_ && outbox_bytes_ <= static_cast<size_t>(deps_.config->max_outbound_bytes) / 2) {
    reply_paused_ = false;
    if (reply_.has_value()) reply_->call->Resume();
  }
  if (!outbox_.empty()) return DoWrite();
  MaybeRead();
}

void Session::Close(websocket::close_code code) {
  net::dispatch(ws_.get_executor(), [self = shared_from_this(), code] { self->DoClose(code); });
}

void Session::DoClose(websocket::close_code code) {
  if (closing_) return;
  closing_ = true;
  if (reply_.has_value()) reply_->call->Cancel();
  // Frames already queued are dropped; the one in flight finishes before the close frame.
  if (writing_) {
    while (outbox_.size() > 1) {
      outbox_bytes_ -= outbox_.back().size();
      outbox_.pop_back();
    }
    close_after_write_ = code;
    return;
  }
  outbox_.clear();
  outbox_bytes_ = 0;
  ws_.async_close(code, [self = shared_from_this()](beast::error_code) {});
}

void Session::Teardown(std::string_view reason) {
  if (torn_down_) return;
  torn_down_ = true;
  closing_ = true;
  // A reply nobody will read must cost nothing: cancel it (and through llm-service, the
  // upstream request).
  if (reply_.has_value()) reply_->call->Cancel();
  auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - opened_at_);
  common::Logger("session")->info("session close session={} reason={} ms={}", id_, reason,
                                  elapsed.count());
  // The connection is gone even if pending handlers still hold this object for a moment.
  ReleaseSlot();
}

}  // namespace streamgate::gateway
