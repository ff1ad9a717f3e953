#include "tests/fakes/http_test_client.h"

#include <boost/asio/ip/tcp.hpp>

namespace streamgate::fake_claude {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

std::string HttpReply::Header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (beast::iequals(key, beast::string_view(name.data(), name.size()))) return value;
  }
  return "";
}

HttpTestClient::HttpTestClient() : stream_(io_) {}

HttpTestClient::~HttpTestClient() { Close(); }

bool HttpTestClient::Run(const std::function<void(std::function<void(beast::error_code)>)>& start,
                         std::chrono::milliseconds timeout) {
  std::optional<beast::error_code> result;
  stream_.expires_after(timeout);  // on expiry the stream closes and the operation fails
  start([&result](beast::error_code ec) { result = ec; });
  io_.restart();
  while (!result.has_value() && io_.run_one() > 0) {
  }
  stream_.expires_never();
  last_error_ = result.value_or(beast::error::timeout);
  return !last_error_;
}

bool HttpTestClient::Connect(int port, std::chrono::milliseconds timeout) {
  host_ = "127.0.0.1:" + std::to_string(port);
  tcp::endpoint endpoint(net::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port));
  return Run([&](auto done) { stream_.async_connect(endpoint, done); }, timeout);
}

bool HttpTestClient::Send(std::string_view method, std::string_view target, const Headers& headers,
                          std::string_view body, std::chrono::milliseconds timeout) {
  http::request<http::string_body> request;
  request.method_string(beast::string_view(method.data(), method.size()));
  request.target(beast::string_view(target.data(), target.size()));
  request.version(11);
  request.set(http::field::host, host_);
  for (const auto& [name, value] : headers) request.insert(name, value);
  request.body() = std::string(body);
  if (method != "GET" || !body.empty()) request.prepare_payload();
  return Run(
      [&](auto done) {
        http::async_write(stream_, request, [done](beast::error_code ec, size_t) { done(ec); });
      },
      timeout);
}

bool HttpTestClient::ReadHeader(std::chrono::milliseconds timeout) {
  parser_.emplace();
  parser_->body_limit(boost::none);
  return Run(
      [&](auto done) {
        http::async_read_header(stream_, buffer_, *parser_,
                                [done](beast::error_code ec, size_t) { done(ec); });
      },
      timeout);
}

bool HttpTestClient::ReadUntil(const std::function<bool(const std::string& body)>& done,
                               std::chrono::milliseconds timeout) {
  if (!parser_.has_value()) return false;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!parser_->is_done() && !done(parser_->get().body())) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      last_error_ = beast::error::timeout;
      return false;
    }
    bool ok = Run(
        [&](auto complete) {
          http::async_read_some(stream_, buffer_, *parser_,
                                [complete](beast::error_code ec, size_t) { complete(ec); });
        },
        left);
    if (!ok) return false;
  }
  return true;
}

HttpReply HttpTestClient::Exchange(std::string_view method, std::string_view target,
                                   const Headers& headers, std::string_view body,
                                   std::chrono::milliseconds timeout) {
  if (!Send(method, target, headers, body, timeout) || !ReadHeader(timeout)) {
    HttpReply failed;
    failed.error = last_error_;
    return failed;
  }
  ReadToEnd(timeout);  // on failure, reply() keeps the status, the body so far and the error
  return reply();
}

HttpReply HttpTestClient::reply() const {
  HttpReply reply;
  if (!parser_.has_value()) return reply;
  const auto& message = parser_->get();
  reply.status = message.result_int();
  for (const auto& field : message) {
    reply.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  }
  reply.body = message.body();
  reply.error = last_error_;
  return reply;
}

int HttpTestClient::local_port() const {
  beast::error_code ec;
  auto endpoint = stream_.socket().local_endpoint(ec);
  return ec ? 0 : endpoint.port();
}

void HttpTestClient::Close(bool reset) {
  auto& socket = stream_.socket();
  if (!socket.is_open()) return;
  beast::error_code ignored;
  if (reset) {
    socket.set_option(net::socket_base::linger(true, 0), ignored);
  } else {
    socket.shutdown(tcp::socket::shutdown_both, ignored);
  }
  socket.close(ignored);
}

HttpReply HttpTestClient::Fetch(int port, std::string_view method, std::string_view target,
                                const Headers& headers, std::string_view body,
                                std::chrono::milliseconds timeout) {
  HttpTestClient client;
  if (!client.Connect(port, timeout)) {
    HttpReply failed;
    failed.error = client.last_error();
    return failed;
  }
  return client.Exchange(method, target, headers, body, timeout);
}

}  // namespace streamgate::fake_claude
