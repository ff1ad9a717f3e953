#include "tests/support/ws_test_client.h"

#include <boost/asio/ip/tcp.hpp>

namespace streamgate::testing {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = net::ip::tcp;

namespace {

// Runs `start` on `io` until its completion is called or `timeout` passes; on timeout,
// `cancel` aborts the operation and the result is beast::error::timeout.
beast::error_code RunOn(net::io_context& io, const std::function<void(std::function<void(
                                                 beast::error_code)>)>& start,
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

WsTestClient::WsTestClient() : ws_(io_) {
  ws_.control_callback([this](websocket::frame_type kind, beast::string_view) {
    if (kind == websocket::frame_type::ping) ++pings_received_;
    if (kind == websocket::frame_type::pong) ++pongs_received_;
  });
}

WsTestClient::~WsTestClient() { Abort(); }

beast::error_code WsTestClient::Run(const std::function<void(Completion)>& start,
                                    std::chrono::milliseconds timeout) {
  last_error_ = RunOn(
      io_, start, [this] { beast::get_lowest_layer(ws_).cancel(); }, timeout);
  return last_error_;
}

bool WsTestClient::Connect(int port, std::string_view path, std::chrono::milliseconds timeout) {
  tcp::endpoint endpoint(net::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port));
  auto ec = Run(
      [&](Completion done) {
        beast::get_lowest_layer(ws_).async_connect(endpoint,
                                                   [done](beast::error_code e) { done(e); });
      },
      timeout);
  if (ec) return false;
  websocket::response_type response;
  std::string host = "127.0.0.1:" + std::to_string(port);
  ec = Run(
      [&](Completion done) {
        ws_.async_handshake(response, host, std::string(path),
                            [done](beast::error_code e) { done(e); });
      },
      timeout);
  handshake_status_ = response.result_int();
  return !ec;
}

bool WsTestClient::SendText(std::string_view text, std::chrono::milliseconds timeout) {
  ws_.text(true);
  return !Run(
      [&](Completion done) {
        ws_.async_write(net::buffer(text.data(), text.size()),
                        [done](beast::error_code e, size_t) { done(e); });
      },
      timeout);
}

bool WsTestClient::SendBinary(std::string_view bytes, std::chrono::milliseconds timeout) {
  ws_.binary(true);
  bool ok = !Run(
      [&](Completion done) {
        ws_.async_write(net::buffer(bytes.data(), bytes.size()),
                        [done](beast::error_code e, size_t) { done(e); });
      },
      timeout);
  ws_.text(true);
  return ok;
}

bool WsTestClient::SendJson(const Json& message, std::chrono::milliseconds timeout) {
  return SendText(message.dump(), timeout);
}

std::optional<Json> WsTestClient::ReadJson(std::chrono::milliseconds timeout) {
  buffer_.clear();
  auto ec = Run(
      [&](Completion done) {
        ws_.async_read(buffer_, [done](beast::error_code e, size_t) { done(e); });
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
      [&](Completion done) { ws_.async_ping({}, [done](beast::error_code e) { done(e); }); },
      timeout);
}

void WsTestClient::Close(std::chrono::milliseconds timeout) {
  if (!ws_.is_open()) return;
  Run(
      [&](Completion done) {
        ws_.async_close(websocket::close_code::normal, [done](beast::error_code e) { done(e); });
      },
      timeout);
}

void WsTestClient::Abort() {
  beast::error_code ignored;
  beast::get_lowest_layer(ws_).socket().shutdown(tcp::socket::shutdown_both, ignored);
  beast::get_lowest_layer(ws_).socket().close(ignored);
}

HttpResult HttpGet(int port, std::string_view target, std::chrono::milliseconds timeout) {
  net::io_context io;
  beast::tcp_stream stream(io);
  auto cancel = [&stream] { stream.cancel(); };
  tcp::endpoint endpoint(net::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port));
  HttpResult result;
  auto ec = RunOn(
      io, [&](auto done) { stream.async_connect(endpoint, [done](beast::error_code e) { done(e); }); },
      cancel, timeout);
  if (ec) return result;
  http::request<http::empty_body> request(http::verb::get, std::string(target), 11);
  request.set(http::field::host, "127.0.0.1");
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
        http::async_read(stream, buffer, response, [done](beast::error_code e, size_t) { done(e); });
      },
      cancel, timeout);
  if (ec) return result;
  result.status = response.result_int();
  result.body = response.body();
  result.content_type = std::string(response[http::field::content_type]);
  return result;
}

}  // namespace streamgate::testing
