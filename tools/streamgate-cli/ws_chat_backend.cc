#include "tools/streamgate-cli/ws_chat_backend.h"

#include <boost/asio/connect.hpp>
#include <boost/beast/http.hpp>

#include "tools/streamgate-cli/tls_client_context.h"
#include "tools/streamgate-cli/ws_protocol.h"

namespace streamgate::cli {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = net::ip::tcp;

namespace {

std::string EndpointText(const Endpoint& endpoint) {
  return (endpoint.tls ? "wss://" : "ws://") + endpoint.HostHeader() + endpoint.path;
}

}  // namespace

WsChatBackend::WsChatBackend(net::io_context& io, Endpoint endpoint, Options options,
                             ChatListener* listener)
    : resolver_(io),
      connect_timer_(io),
      socket_(io),
      endpoint_(std::move(endpoint)),
      options_(std::move(options)),
      listener_(listener) {}

void WsChatBackend::CloseSocket() {
  beast::error_code ignored;
  connect_timer_.cancel();
  if (ws_) {
    ws_->next_layer().socket().close(ignored);
  } else {
    socket_.close(ignored);
  }
}

void WsChatBackend::Start() {
  phase_ = Phase::kConnecting;
  resolver_.async_resolve(endpoint_.host, std::to_string(endpoint_.port),
                          beast::bind_front_handler(&WsChatBackend::OnResolve, this));
}

void WsChatBackend::OnResolve(beast::error_code ec, const tcp::resolver::results_type& results) {
  if (phase_ != Phase::kConnecting) return;
  if (ec) return Lose("cannot resolve " + endpoint_.host + ": " + ec.message());
  connect_timer_.expires_after(absl::ToChronoNanoseconds(options_.connect_timeout));
  connect_timer_.async_wait([this](beast::error_code wait_ec) {
    if (wait_ec || phase_ != Phase::kConnecting) return;
    Lose("cannot connect to " + EndpointText(endpoint_) + ": timed out");
  });
  net::async_connect(socket_, results, beast::bind_front_handler(&WsChatBackend::OnConnect, this));
}

void WsChatBackend::OnConnect(beast::error_code ec, const tcp::endpoint&) {
  if (phase_ != Phase::kConnecting) return;
  if (ec) return Lose("cannot connect to " + EndpointText(endpoint_) + ": " + ec.message());
  socket_.set_option(tcp::no_delay(true), ec);
  if (!endpoint_.tls) {
    ws_ = std::make_unique<Stream>(common::TransportStream(std::move(socket_)));
    return StartWebSocketHandshake();
  }
  auto context = MakeClientTlsContext(options_.tls_ca, endpoint_.host);
  if (!context.ok()) return Lose(std::string(context.status().message()));
  ws_ = std::make_unique<Stream>(common::TransportStream(std::move(socket_), *std::move(context)));
  SetServerName(*ws_->next_layer().tls(), endpoint_.host);
  ws_->next_layer().tls()->async_handshake(
      net::ssl::stream_base::client,
      beast::bind_front_handler(&WsChatBackend::OnTlsHandshake, this));
}

void WsChatBackend::OnTlsHandshake(beast::error_code ec) {
  if (phase_ != Phase::kConnecting) return;
  if (ec) return Lose("TLS handshake with " + EndpointText(endpoint_) + ": " + ec.message());
  StartWebSocketHandshake();
}

void WsChatBackend::StartWebSocketHandshake() {
  connect_timer_.cancel();
  // From here the WebSocket layer's timeouts apply: the handshake (and later the close
  // handshake) is bounded; an idle interactive session is not.
  auto timeouts = websocket::stream_base::timeout::suggested(beast::role_type::client);
  timeouts.handshake_timeout = absl::ToChronoNanoseconds(options_.connect_timeout);
  ws_->set_option(timeouts);
  ws_->set_option(
      websocket::stream_base::decorator([token = options_.token](websocket::request_type& request) {
        request.set(http::field::user_agent, "streamgate-cli");
        if (!token.empty()) request.set(http::field::authorization, "Bearer " + token);
      }));
  auto response = std::make_shared<websocket::response_type>();
  ws_->async_handshake(*response, endpoint_.HostHeader(), endpoint_.path,
                       [this, response](beast::error_code handshake_ec) {
                         if (handshake_ec == websocket::error::upgrade_declined) {
                           std::string hint;
                           if (response->result_int() == 401) {
                             hint = options_.token.empty()
                                        ? " (the gateway wants a credential: set STREAMGATE_TOKEN "
                                          "or --token-file)"
                                        : " (the credential was not accepted)";
                           }
                           return Lose("the gateway refused the WebSocket upgrade: HTTP " +
                                       std::to_string(response->result_int()) + " " +
                                       std::string(response->reason()) + hint);
                         }
                         OnHandshake(handshake_ec);
                       });
}

void WsChatBackend::OnHandshake(beast::error_code ec) {
  if (phase_ != Phase::kConnecting) return;
  if (ec) return Lose("WebSocket handshake with " + EndpointText(endpoint_) + ": " + ec.message());
  phase_ = Phase::kAwaitingHello;
  DoRead();
}

void WsChatBackend::DoRead() {
  ws_->async_read(read_buffer_, beast::bind_front_handler(&WsChatBackend::OnRead, this));
}

void WsChatBackend::OnRead(beast::error_code ec, size_t) {
  if (phase_ == Phase::kClosing || phase_ == Phase::kClosed) return;
  if (ec) {
    if (ec == websocket::error::closed) {
      auto reason = ws_->reason();
      std::string why =
          reason.reason.empty() ? "" : " (" + std::string(reason.reason.c_str()) + ")";
      return Lose("the gateway closed the connection: code " + std::to_string(reason.code) + why);
    }
    return Lose("connection to the gateway lost: " + ec.message());
  }
  if (ws_->got_text()) {
    auto data = read_buffer_.cdata();
    HandleFrame(std::string_view(static_cast<const char*>(data.data()), data.size()));
  }
  read_buffer_.consume(read_buffer_.size());
  if (phase_ == Phase::kAwaitingHello || phase_ == Phase::kOpen) DoRead();
}

void WsChatBackend::HandleFrame(std::string_view text) {
  listener_->OnRawEvent(text);
  std::optional<ServerFrame> frame = ParseServerFrame(text);
  if (!frame.has_value()) return listener_->OnNotice("the gateway sent a frame that is not JSON");
  if (phase_ == Phase::kAwaitingHello) {
    if (frame->type == "connection_established") {
      phase_ = Phase::kOpen;
      session_id_ = frame->session_id;
      return listener_->OnReady(EndpointText(endpoint_) + ", session " + session_id_);
    }
    if (frame->type == "error") return Lose("the gateway refused the session: " + frame->error);
    return;
  }
  if (frame->type == "stream_chunk") {
    if (in_reply_) listener_->OnReplyText(frame->content);
  } else if (frame->type == "stream_end") {
    if (!in_reply_) return;
    in_reply_ = false;
    ReplyEnd end;
    if (frame->cancelled) {
      end.outcome = ReplyEnd::Outcome::kCancelled;
    } else if (cancel_sent_) {
      ++late_cancels_;
    }
    listener_->OnReplyEnd(end);
  } else if (frame->type == "error") {
    if (frame->code == "nothing_to_cancel" && late_cancels_ > 0) {
      --late_cancels_;
      return;
    }
    std::string text = frame->error.empty() ? "error" : frame->error;
    if (!frame->code.empty()) text += " (" + frame->code + ")";
    if (!in_reply_) return listener_->OnNotice("the gateway says: " + text);
    in_reply_ = false;
    listener_->OnReplyEnd(ReplyEnd{.outcome = ReplyEnd::Outcome::kFailed, .error = text});
  }
  // stream_start needs nothing; other types are extensions this client does not know.
}

void WsChatBackend::Ask(std::string text) {
  if (phase_ != Phase::kOpen) return;
  in_reply_ = true;
  cancel_sent_ = false;
  Send(EncodeUserMessage(text, session_id_));
}

void WsChatBackend::Cancel() {
  if (phase_ != Phase::kOpen || !in_reply_ || cancel_sent_) return;
  cancel_sent_ = true;
  Send(EncodeCancel(session_id_));
}

void WsChatBackend::Send(std::string frame) {
  outbox_.push_back(std::move(frame));
  if (!writing_) DoWrite();
}

void WsChatBackend::DoWrite() {
  writing_ = true;
  ws_->text(true);
  ws_->async_write(net::buffer(outbox_.front()),
                   beast::bind_front_handler(&WsChatBackend::OnWrite, this));
}

void WsChatBackend::OnWrite(beast::error_code ec, size_t) {
  writing_ = false;
  outbox_.pop_front();
  if (phase_ == Phase::kClosed) return;
  if (phase_ == Phase::kClosing) {
    if (close_after_write_) {
      close_after_write_ = false;
      ws_->async_close(websocket::close_code::normal,
                       beast::bind_front_handler(&WsChatBackend::OnClose, this));
    }
    return;
  }
  if (ec) return Lose("connection to the gateway lost: " + ec.message());
  if (!outbox_.empty()) DoWrite();
}

void WsChatBackend::Shutdown(bool graceful, std::function<void()> done) {
  if (done) shutdown_done_ = std::move(done);
  if (phase_ == Phase::kClosed) return Closed();
  bool was_closing = phase_ == Phase::kClosing;
  Phase before = phase_;
  phase_ = Phase::kClosing;
  resolver_.cancel();
  if (!graceful || before == Phase::kNew || before == Phase::kConnecting) {
    // Dropping the socket completes every pending operation with operation_aborted; the
    // gateway sees the disconnect and cancels a reply in progress.
    CloseSocket();
    phase_ = Phase::kClosed;
    return Closed();
  }
  if (was_closing) return;
  // The gateway answers the close frame; a reply in progress is cancelled by the close.
  if (writing_) {
    close_after_write_ = true;
    return;
  }
  ws_->async_close(websocket::close_code::normal,
                   beast::bind_front_handler(&WsChatBackend::OnClose, this));
}

void WsChatBackend::OnClose(beast::error_code) {
  if (phase_ == Phase::kClosed) return;
  phase_ = Phase::kClosed;
  Closed();
}

void WsChatBackend::Lose(const std::string& reason) {
  if (phase_ == Phase::kClosing || phase_ == Phase::kClosed) return;
  phase_ = Phase::kClosed;
  in_reply_ = false;
  CloseSocket();
  listener_->OnConnectionLost(reason);
}

void WsChatBackend::Closed() {
  if (!shutdown_done_) return;
  auto done = std::move(shutdown_done_);
  shutdown_done_ = nullptr;
  done();
}

}  // namespace streamgate::cli
