#include "tests/support/ws_test_client.h"

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <algorithm>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <cctype>

namespace streamgate::testing {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = net::ip::tcp;

namespace {

// Runs `start` on `io` until its completion is called or `timeout` passes; on timeout,
// `cancel` aborts the operation and the result is beast::error::timeout.
beast::error_code RunOn(net::io_context& io,
                        const std::function<void(std::function<void(beast::error_code)>)>& start,
                        const std::function<void()>& cancel, std::chrono::milliseconds timeout) {
  std::optional<beast::error_code> result;
  start([&result](beast::error_code ec) { result = ec; });
  io.restart();
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!result.has_value() && std::chrono::steady_clock::now() < deadline) {
    if (io.run_one_until(deadline) == 0 && io.stopped()) break;
  }
  if (result.has_value()) return *result;
  cancel();
  io.restart();
  while (!result.has_value() && io.run_one() > 0) {
  }
  return beast::error::timeout;
}

}  // namespace

WsTestClient::WsTestClient() = default;

WsTestClient::~WsTestClient() { Abort(); }

beast::error_code WsTestClient::Run(const std::function<void(Completion)>& start,
                                    std::chrono::milliseconds timeout) {
  last_error_ = RunOn(
      io_, start,
      [this] {
        beast::error_code ignored;
        if (ws_) ws_->next_layer().socket().cancel(ignored);
      },
      timeout);
  return last_error_;
}

bool WsTestClient::Connect(int port, std::string_view path, std::chrono::milliseconds timeout) {
  ConnectOptions options;
  options.path = std::string(path);
  return Connect(port, options, timeout);
}

namespace {

std::shared_ptr<net::ssl::context> ClientTlsContext(const std::string& ca_file) {
  auto context = std::make_shared<net::ssl::context>(net::ssl::context::tls_client);
  beast::error_code ignored;
  context->load_verify_file(ca_file, ignored);
  context->set_verify_mode(net::ssl::verify_peer, ignored);
  context->set_verify_callback(net::ssl::host_name_verification("localhost"), ignored);
  return context;
}

}  // namespace

bool WsTestClient::Connect(int port, const ConnectOptions& options,
                           std::chrono::milliseconds timeout) {
  tcp::endpoint endpoint(net::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port));
  common::TransportStream::Socket socket(io_);
  if (options.receive_buffer_bytes > 0) {
    socket.open(tcp::v4(), last_error_);
    if (!last_error_) {
      socket.set_option(net::socket_base::receive_buffer_size(options.receive_buffer_bytes),
                        last_error_);
    }
    if (last_error_) return false;
  }
  last_error_ = RunOn(
      io_,
      [&](Completion done) {
        socket.async_connect(endpoint, [done](beast::error_code e) { done(e); });
      },
      [&socket] {
        beast::error_code ignored;
        socket.cancel(ignored);
      },
      timeout);
  if (last_error_) return false;
  bool tls = !options.tls_ca_file.empty();
  ws_ = std::make_unique<Stream>(
      tls ? common::TransportStream(std::move(socket), ClientTlsContext(options.tls_ca_file))
          : common::TransportStream(std::move(socket)));
  ws_->control_callback([this](websocket::frame_type kind, beast::string_view) {
    if (kind == websocket::frame_type::ping) ++pings_received_;
    if (kind == websocket::frame_type::pong) ++pongs_received_;
  });
  if (tls) {
    SSL_set_tlsext_host_name(ws_->next_layer().tls()->native_handle(), "localhost");
    auto ec = Run(
        [&](Completion done) {
          ws_->next_layer().tls()->async_handshake(net::ssl::stream_base::client,
                                                   [done](beast::error_code e) { done(e); });
        },
        timeout);
    if (ec) return false;
  }
  Headers headers = options.headers;
  std::string subprotocols = options.subprotocols;
  ws_->set_option(
      websocket::stream_base::decorator([headers, subprotocols](websocket::request_type& request) {
        for (const auto& [name, value] : headers) request.set(name, value);
        if (!subprotocols.empty()) request.set(http::field::sec_websocket_protocol, subprotocols);
      }));
  websocket::response_type response;
  std::string host = options.host.empty() ? "127.0.0.1:" + std::to_string(port) : options.host;
  auto ec = Run(
      [&](Completion done) {
        ws_->async_handshake(response, host, options.path,
                             [done](beast::error_code e) { done(e); });
      },
      timeout);
  handshake_status_ = response.result_int();
  response_headers_.clear();
  for (const auto& field : response) {
    std::string name(field.name_string());
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    response_headers_[name] = std::string(field.value());
  }
  response_body_ = response.body();
  return !ec;
}

std::string WsTestClient::peer_certificate_fingerprint() {
  if (!ws_ || !ws_->next_layer().is_tls()) return "";
  X509* cert = SSL_get1_peer_certificate(ws_->next_layer().tls()->native_handle());
  if (cert == nullptr) return "";
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  X509_digest(cert, EVP_sha256(), digest, &size);
  X509_free(cert);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < size; ++i) {
    out.push_back(kHex[digest[i] >> 4]);
    out.push_back(kHex[digest[i] & 15]);
  }
  return out;
}

std::string WsTestClient::response_header(std::string_view name) const {
  std::string lower(name);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  auto it = response_headers_.find(lower);
  return it == response_headers_.end() ? "" : it->second;
}

bool WsTestClient::SendText(std::string_view text, std::chrono::milliseconds timeout) {
  ws_->text(true);
  return !Run(
      [&](Completion done) {
        ws_->async_write(net::buffer(text.data(), text.size()),
                         [done](beast::error_code e, size_t) { done(e); });
      },
      timeout);
}

bool WsTestClient::SendBinary(std::string_view bytes, std::chrono::milliseconds timeout) {
  ws_->binary(true);
  bool ok = !Run(
      [&](Completion done) {
        ws_->async_write(net::buffer(bytes.data(), bytes.size()),
                         [done](beast::error_code e, size_t) { done(e); });
      },
      timeout);
  ws_->text(true);
  return ok;
}

bool WsTestClient::SendJson(const Json& message, std::chrono::milliseconds timeout) {
  return SendText(message.dump(), timeout);
}

namespace {

bool IsStatus(const Json& frame) {
  return frame.is_object() && frame.value("type", "") == "status";
}

}  // namespace

std::optional<Json> WsTestClient::ReadJson(std::chrono::milliseconds timeout) {
  if (!frames_.empty()) {
    Json frame = std::move(frames_.front());
    frames_.pop_front();
    return frame;
  }
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    auto frame = ReadFrame(std::max(left, 1ms));
    if (!frame.has_value() || !IsStatus(*frame)) return frame;
    ++statuses_received_;
    statuses_.push_back(std::move(*frame));
  }
}

std::optional<Json> WsTestClient::ReadStatus(std::chrono::milliseconds timeout) {
  if (!statuses_.empty()) {
    Json frame = std::move(statuses_.front());
    statuses_.pop_front();
    return frame;
  }
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left <= 0ms) return std::nullopt;
    auto frame = ReadFrame(left);
    if (!frame.has_value()) return std::nullopt;
    if (IsStatus(*frame)) {
      ++statuses_received_;
      return frame;
    }
    frames_.push_back(std::move(*frame));
  }
}

bool WaitForService(WsTestClient& client, Json told, const Json& want,
                    std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (told != want) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left <= 0ms) return false;
    auto status = client.ReadStatus(left);
    if (!status.has_value()) return false;
    told = (*status)["service"];
  }
  return true;
}

std::optional<Json> WsTestClient::ReadFrame(std::chrono::milliseconds timeout) {
  buffer_.clear();
  auto ec = Run(
      [&](Completion done) {
        ws_->async_read(buffer_, [done](beast::error_code e, size_t) { done(e); });
      },
      timeout);
  if (ec) return std::nullopt;
  Json parsed = Json::parse(beast::buffers_to_string(buffer_.data()), nullptr, false);
  if (parsed.is_discarded()) return std::nullopt;
  return parsed;
}

std::optional<Json> WsTestClient::ReadUntilType(std::string_view type,
                                                std::chrono::milliseconds timeout,
                                                std::vector<Json>* skipped) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left <= 0ms) return std::nullopt;
    auto message = ReadJson(left);
    if (!message.has_value()) return std::nullopt;
    if (message->value("type", "") == type) return message;
    if (skipped != nullptr) skipped->push_back(std::move(*message));
  }
}

bool WsTestClient::Ping(std::chrono::milliseconds timeout) {
  return !Run(
      [&](Completion done) { ws_->async_ping({}, [done](beast::error_code e) { done(e); }); },
      timeout);
}

void WsTestClient::Close(std::chrono::milliseconds timeout) {
  if (!ws_ || !ws_->is_open()) return;
  Run(
      [&](Completion done) {
        ws_->async_close(websocket::close_code::normal, [done](beast::error_code e) { done(e); });
      },
      timeout);
}

void WsTestClient::Abort() {
  if (!ws_) return;
  beast::error_code ignored;
  ws_->next_layer().socket().shutdown(tcp::socket::shutdown_both, ignored);
  ws_->next_layer().socket().close(ignored);
}

HttpResult HttpGet(int port, std::string_view target, std::chrono::milliseconds timeout) {
  return HttpRequest(port, http::verb::get, target, {}, "", timeout);
}

HttpResult HttpRequest(int port, http::verb method, std::string_view target, const Headers& headers,
                       std::string body, std::chrono::milliseconds timeout,
                       const std::string& tls_ca_file) {
  net::io_context io;
  common::TransportStream::Socket socket(io);
  tcp::endpoint endpoint(net::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port));
  HttpResult result;
  auto cancel_socket = [&socket] {
    beast::error_code ignored;
    socket.cancel(ignored);
  };
  auto ec = RunOn(
      io,
      [&](auto done) { socket.async_connect(endpoint, [done](beast::error_code e) { done(e); }); },
      cancel_socket, timeout);
  if (ec) return result;
  common::TransportStream stream =
      tls_ca_file.empty()
          ? common::TransportStream(std::move(socket))
          : common::TransportStream(std::move(socket), ClientTlsContext(tls_ca_file));
  auto cancel = [&stream] {
    beast::error_code ignored;
    stream.socket().cancel(ignored);
  };
  if (stream.is_tls()) {
    SSL_set_tlsext_host_name(stream.tls()->native_handle(), "localhost");
    ec = RunOn(
        io,
        [&](auto done) {
          stream.tls()->async_handshake(net::ssl::stream_base::client,
                                        [done](beast::error_code e) { done(e); });
        },
        cancel, timeout);
    if (ec) return result;
  }
  http::request<http::string_body> request(method, std::string(target), 11);
  request.set(http::field::host, "127.0.0.1:" + std::to_string(port));
  for (const auto& [name, value] : headers) request.set(name, value);
  request.body() = std::move(body);
  request.prepare_payload();
  ec = RunOn(
      io,
      [&](auto done) {
        http::async_write(stream, request, [done](beast::error_code e, size_t) { done(e); });
      },
      cancel, timeout);
  if (ec) return result;
  beast::flat_buffer buffer;
  http::response<http::string_body> response;
  ec = RunOn(
      io,
      [&](auto done) {
        http::async_read(stream, buffer, response,
                         [done](beast::error_code e, size_t) { done(e); });
      },
      cancel, timeout);
  if (ec) return result;
  result.status = response.result_int();
  result.body = response.body();
  result.content_type = std::string(response[http::field::content_type]);
  for (const auto& field : response) {
    std::string name(field.name_string());
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    result.headers[name] = std::string(field.value());
  }
  return result;
}

}  // namespace streamgate::testing
