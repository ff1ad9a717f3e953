#include "tools/ws-bench/ws_open.h"

#include <boost/asio/connect.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/websocket.hpp>

#include "absl/strings/str_cat.h"

namespace streamgate::bench {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = net::ip::tcp;

namespace {

// Long enough for a loaded server's accept backlog (SYN retries come at 1 s and 3 s); the
// whole run is bounded by --timeout anyway.
constexpr auto kOpenTimeout = std::chrono::seconds(15);
// Server frames here are small; a bigger one means something is wrong.
constexpr size_t kMaxFrameBytes = 1 << 20;
// Client frames are masked through a write buffer Beast allocates per connection (4 KiB by
// default). Ours are under 200 bytes, so a small one saves memory over 15,000 connections.
constexpr size_t kWriteBufferBytes = 512;

}  // namespace

std::shared_ptr<WsOpener> WsOpener::Open(net::io_context& io, const BenchConfig& config,
                                         const Target& target, Done done) {
  auto opener = std::make_shared<WsOpener>(io, config, target, std::move(done));
  opener->Begin();
  return opener;
}

WsOpener::WsOpener(net::io_context& io, const BenchConfig& config, const Target& target, Done done)
    : socket_(io), open_timer_(io), config_(config), target_(target), done_(std::move(done)) {}

void WsOpener::Begin() {
  open_timer_.expires_after(kOpenTimeout);
  open_timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
    if (!ec) self->CloseSocket();
  });
  net::async_connect(socket_, target_.endpoints,
                     beast::bind_front_handler(&WsOpener::OnConnect, shared_from_this()));
}

void WsOpener::CloseSocket() {
  beast::error_code ignored;
  if (stream_) {
    stream_->next_layer().socket().close(ignored);
  } else {
    socket_.close(ignored);
  }
}

void WsOpener::Cancel() {
  open_timer_.cancel();
  CloseSocket();
}

void WsOpener::OnConnect(beast::error_code ec, const tcp::endpoint&) {
  if (ec) return Finish(absl::StrCat("connect: ", ec.message()));
  beast::error_code ignored;
  // Our frames must leave at once, or Nagle would add to the latencies we measure.
  socket_.set_option(tcp::no_delay(true), ignored);
  if (!target_.tls) {
    stream_ = std::make_unique<WsStream>(common::TransportStream(std::move(socket_)));
    open_timer_.cancel();
    return StartHandshake();
  }
  stream_ =
      std::make_unique<WsStream>(common::TransportStream(std::move(socket_), target_.tls_context));
  SSL_set_tlsext_host_name(stream_->next_layer().tls()->native_handle(), target_.host.c_str());
  stream_->next_layer().tls()->async_handshake(
      net::ssl::stream_base::client,
      beast::bind_front_handler(&WsOpener::OnTlsHandshake, shared_from_this()));
}

void WsOpener::OnTlsHandshake(beast::error_code ec) {
  open_timer_.cancel();
  if (ec) return Finish(absl::StrCat("tls: ", ec.message()));
  StartHandshake();
}

void WsOpener::StartHandshake() {
  // The WebSocket layer's own timeouts take over from here.
  websocket::stream_base::timeout timeouts{};
  timeouts.handshake_timeout = kOpenTimeout;
  timeouts.idle_timeout = websocket::stream_base::none();
  timeouts.keep_alive_pings = false;
  stream_->set_option(timeouts);
  stream_->set_option(
      websocket::stream_base::decorator([token = config_.token](websocket::request_type& request) {
        request.set(beast::http::field::user_agent, "ws-bench");
        if (!token.empty()) request.set(beast::http::field::authorization, "Bearer " + token);
      }));
  stream_->write_buffer_bytes(kWriteBufferBytes);
  stream_->read_message_max(kMaxFrameBytes);
  std::string host = target_.host.find(':') != std::string::npos
                         ? absl::StrCat("[", target_.host, "]:", target_.port)
                         : absl::StrCat(target_.host, ":", target_.port);
  stream_->async_handshake(host, target_.path,
                           beast::bind_front_handler(&WsOpener::OnHandshake, shared_from_this()));
}

void WsOpener::OnHandshake(beast::error_code ec) {
  if (ec) return Finish(absl::StrCat("handshake: ", ec.message()));
  Finish("");
}

void WsOpener::Finish(const std::string& error) {
  if (!done_) return;
  Done done = std::move(done_);
  done_ = nullptr;
  done(error, error.empty() ? std::move(stream_) : nullptr);
}

}  // namespace streamgate::bench
