#include "tools/streamgate-cli/ws_client_connection.h"

#include <boost/asio/connect.hpp>
#include <boost/beast/http.hpp>

#include "tools/streamgate-cli/tls_client_context.h"

namespace streamgate::cli {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = net::ip::tcp;

namespace {

// A gateway that stops answering (a half-open TCP connection: no reset ever arrives) is
// noticed after this long; Beast pings at half of it, and the gateway answers pings.
constexpr auto kIdleTimeout = std::chrono::seconds(30);

}  // namespace

std::string WsClientConnection::Describe(const Endpoint& endpoint) {
  return (endpoint.tls ? "wss://" : "ws://") + endpoint.HostHeader() + endpoint.path;
}

std::shared_ptr<WsClientConnection> WsClientConnection::Start(net::io_context& io,
                                                              const Endpoint& endpoint,
                                                              const Options& options,
                                                              Observer* observer) {
  auto connection = std::make_shared<WsClientConnection>(io, endpoint, options, observer);
  connection->resolver_.async_resolve(
      endpoint.host, std::to_string(endpoint.port),
      beast::bind_front_handler(&WsClientConnection::OnResolve, connection));
  return connection;
}

WsClientConnection::WsClientConnection(net::io_context& io, const Endpoint& endpoint,
                                       const Options& options, Observer* observer)
    : resolver_(io),
      connect_timer_(io),
      socket_(io),
      endpoint_(endpoint),
      options_(options),
      observer_(observer) {}

void WsClientConnection::OnResolve(beast::error_code ec,
                                   const tcp::resolver::results_type& results) {
  if (phase_ != Phase::kOpening) return;
  if (ec) return Fail({.reason = "cannot resolve " + endpoint_.host + ": " + ec.message()});
  connect_timer_.expires_after(absl::ToChronoNanoseconds(options_.connect_timeout));
  connect_timer_.async_wait([self = shared_from_this()](beast::error_code wait_ec) {
    if (wait_ec || self->phase_ != Phase::kOpening) return;
    self->Fail({.reason = "cannot connect to " + Describe(self->endpoint_) + ": timed out"});
  });
  net::async_connect(socket_, results,
                     beast::bind_front_handler(&WsClientConnection::OnConnect, shared_from_this()));
}

void WsClientConnection::OnConnect(beast::error_code ec, const tcp::endpoint&) {
  if (phase_ != Phase::kOpening) return;
  if (ec) return Fail({.reason = "cannot connect to " + Describe(endpoint_) + ": " + ec.message()});
  socket_.set_option(tcp::no_delay(true), ec);
  if (!endpoint_.tls) {
    ws_ = std::make_unique<Stream>(common::TransportStream(std::move(socket_)));
    return StartWebSocketHandshake();
  }
  auto context = MakeClientTlsContext(options_.tls_ca, endpoint_.host);
  if (!context.ok()) return Fail({.reason = std::string(context.status().message())});
  ws_ = std::make_unique<Stream>(common::TransportStream(std::move(socket_), *std::move(context)));
  SetServerName(*ws_->next_layer().tls(), endpoint_.host);
  ws_->next_layer().tls()->async_handshake(
      net::ssl::stream_base::client,
      beast::bind_front_handler(&WsClientConnection::OnTlsHandshake, shared_from_this()));
}

void WsClientConnection::OnTlsHandshake(beast::error_code ec) {
  if (phase_ != Phase::kOpening) return;
  if (ec)
    return Fail({.reason = "TLS handshake with " + Describe(endpoint_) + ": " + ec.message()});
  StartWebSocketHandshake();
}

void WsClientConnection::StartWebSocketHandshake() {
  connect_timer_.cancel();
  // From here the WebSocket layer's timeouts apply: the handshake and the close handshake
  // are bounded, and so is silence (keep-alive pings keep an idle session open).
  auto timeouts = websocket::stream_base::timeout::suggested(beast::role_type::client);
  timeouts.handshake_timeout = absl::ToChronoNanoseconds(options_.connect_timeout);
  timeouts.idle_timeout = kIdleTimeout;
  timeouts.keep_alive_pings = true;
  ws_->set_option(timeouts);
  ws_->set_option(
      websocket::stream_base::decorator([token = options_.token](websocket::request_type& request) {
        request.set(http::field::user_agent, "streamgate-cli");
        if (!token.empty()) request.set(http::field::authorization, "Bearer " + token);
      }));
  auto response = std::make_shared<websocket::response_type>();
  ws_->async_handshake(*response, endpoint_.HostHeader(), endpoint_.path,
                       [self = shared_from_this(), response](beast::error_code ec) {
                         self->OnHandshake(ec, response->result_int(),
                                           std::string(response->reason()));
                       });
}

void WsClientConnection::OnHandshake(beast::error_code ec, int http_status,
                                     const std::string& http_reason) {
  if (phase_ != Phase::kOpening) return;
  if (ec == websocket::error::upgrade_declined) {
    std::string hint;
    if (http_status == 401) {
      hint = options_.token.empty()
                 ? " (the gateway wants a credential: set STREAMGATE_TOKEN or --token-file)"
                 : " (the credential was not accepted)";
    }
    return Fail({.reason = "the gateway refused the WebSocket upgrade: HTTP " +
                           std::to_string(http_status) + " " + http_reason + hint,
                 .http_status = http_status});
  }
  if (ec) {
    return Fail(
        {.reason = "WebSocket handshake with " + Describe(endpoint_) + ": " + ec.message()});
  }
  phase_ = Phase::kOpen;
  DoRead();
  if (observer_ != nullptr) observer_->OnOpen();
}

void WsClientConnection::DoRead() {
  ws_->async_read(read_buffer_,
                  beast::bind_front_handler(&WsClientConnection::OnRead, shared_from_this()));
}

void WsClientConnection::OnRead(beast::error_code ec, size_t) {
  if (phase_ != Phase::kOpen) return;
  if (ec == websocket::error::closed) {
    auto reason = ws_->reason();
    std::string why = reason.reason.empty() ? "" : " (" + std::string(reason.reason.c_str()) + ")";
    return Fail(
        {.kind = End::Kind::kClosed,
         .reason = "the gateway closed the connection: code " + std::to_string(reason.code) + why,
         .close_code = static_cast<uint16_t>(reason.code)});
  }
  if (ec) {
    return Fail(
        {.kind = End::Kind::kLost, .reason = "connection to the gateway lost: " + ec.message()});
  }
  if (ws_->got_text() && observer_ != nullptr) {
    auto data = read_buffer_.cdata();
    observer_->OnFrame(std::string_view(static_cast<const char*>(data.data()), data.size()));
  }
  read_buffer_.consume(read_buffer_.size());
  if (phase_ == Phase::kOpen) DoRead();
}

void WsClientConnection::Send(std::string frame) {
  if (phase_ != Phase::kOpen) return;
  outbox_.push_back(std::move(frame));
  if (!writing_) DoWrite();
}

void WsClientConnection::DoWrite() {
  writing_ = true;
  ws_->text(true);
  ws_->async_write(net::buffer(outbox_.front()),
                   beast::bind_front_handler(&WsClientConnection::OnWrite, shared_from_this()));
}

void WsClientConnection::OnWrite(beast::error_code ec, size_t) {
  writing_ = false;
  outbox_.pop_front();
  if (phase_ == Phase::kClosing) {
    if (close_after_write_) {
      close_after_write_ = false;
      StartClose();
    }
    return;
  }
  if (phase_ != Phase::kOpen) return;
  if (ec) {
    return Fail(
        {.kind = End::Kind::kLost, .reason = "connection to the gateway lost: " + ec.message()});
  }
  if (!outbox_.empty()) DoWrite();
}

void WsClientConnection::Close(std::function<void()> done) {
  observer_ = nullptr;
  done_ = std::move(done);
  if (phase_ != Phase::kOpen) {
    // Not open (or already closing: this hurries it): nothing to say goodbye on.
    CloseSocket();
    phase_ = Phase::kEnded;
    return RunDone();
  }
  phase_ = Phase::kClosing;
  // Beast allows one write at a time, and a close frame is a write.
  if (writing_) {
    close_after_write_ = true;
    return;
  }
  StartClose();
}

void WsClientConnection::StartClose() {
  ws_->async_close(websocket::close_code::normal,
                   beast::bind_front_handler(&WsClientConnection::OnClose, shared_from_this()));
}

void WsClientConnection::OnClose(beast::error_code) {
  if (phase_ == Phase::kEnded) return;
  phase_ = Phase::kEnded;
  CloseSocket();
  RunDone();
}

void WsClientConnection::Abort() {
  observer_ = nullptr;
  done_ = nullptr;
  phase_ = Phase::kEnded;
  CloseSocket();
}

void WsClientConnection::Fail(End end) {
  if (phase_ == Phase::kClosing || phase_ == Phase::kEnded) return;
  phase_ = Phase::kEnded;
  CloseSocket();
  Observer* observer = std::exchange(observer_, nullptr);
  if (observer != nullptr) observer->OnEnded(end);
}

void WsClientConnection::CloseSocket() {
  // Every pending operation completes with operation_aborted; the handlers see the phase.
  beast::error_code ignored;
  resolver_.cancel();
  connect_timer_.cancel();
  if (ws_) {
    ws_->next_layer().socket().close(ignored);
  } else {
    socket_.close(ignored);
  }
}

void WsClientConnection::RunDone() {
  if (!done_) return;
  auto done = std::move(done_);
  done_ = nullptr;
  done();
}

}  // namespace streamgate::cli
