#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace streamgate::fake_claude {

using namespace std::chrono_literals;

// A complete HTTP response as a test sees it.
struct HttpReply {
  int status = 0;  // 0: no response (connect/write/read failed or timed out)
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // Why status is 0, or why the body is incomplete (e.g. partial_message when the server
  // closed mid-body); empty when the whole response arrived.
  boost::beast::error_code error;

  // The first header named `name` (case-insensitive), or "" when absent.
  std::string Header(std::string_view name) const;
};

// An HTTP/1.1 client for tests that talk to fake_claude_server directly: one TCP connection,
// requests sent one at a time (keep-alive reuse works), and a response read whole or piece
// by piece, so a test can stop reading mid-stream and close or reset the connection.
//
// Driven by the calling thread: every call runs the client's own io_context until the
// operation completes or its timeout passes (the connection is then closed and the call
// returns false). Not thread-safe.
class HttpTestClient {
 public:
  using Headers = std::vector<std::pair<std::string, std::string>>;

  HttpTestClient();
  ~HttpTestClient();
  HttpTestClient(const HttpTestClient&) = delete;
  HttpTestClient& operator=(const HttpTestClient&) = delete;

  bool Connect(int port, std::chrono::milliseconds timeout = 5s);
  // Writes one request (Host and Content-Length are added).
  bool Send(std::string_view method, std::string_view target, const Headers& headers = {},
            std::string_view body = {}, std::chrono::milliseconds timeout = 5s);
  // Reads the status line and header of the next response.
  bool ReadHeader(std::chrono::milliseconds timeout = 5s);
  // Reads body bytes until `done(body so far)` is true or the body is complete; false on
  // error or timeout.
  bool ReadUntil(const std::function<bool(const std::string& body)>& done,
                 std::chrono::milliseconds timeout = 5s);
  bool ReadToEnd(std::chrono::milliseconds timeout = 10s) {
    return ReadUntil([](const std::string&) { return false; }, timeout);
  }
  // Send + ReadHeader + ReadToEnd on this connection. A body cut short still comes back,
  // with `error` set.
  HttpReply Exchange(std::string_view method, std::string_view target, const Headers& headers = {},
                     std::string_view body = {}, std::chrono::milliseconds timeout = 10s);

  // The response being read (valid after ReadHeader).
  HttpReply reply() const;
  bool body_complete() const { return parser_.has_value() && parser_->is_done(); }
  boost::beast::error_code last_error() const { return last_error_; }
  // The local port of the connection (to find it in /__fake/connections).
  int local_port() const;

  // Closes with FIN, or with RST when `reset`.
  void Close(bool reset = false);

  // One request on a fresh connection.
  static HttpReply Fetch(int port, std::string_view method, std::string_view target,
                         const Headers& headers = {}, std::string_view body = {},
                         std::chrono::milliseconds timeout = 10s);

 private:
  bool Run(const std::function<void(std::function<void(boost::beast::error_code)>)>& start,
           std::chrono::milliseconds timeout);

  boost::asio::io_context io_;
  boost::beast::tcp_stream stream_;
  boost::beast::flat_buffer buffer_;
  std::optional<boost::beast::http::response_parser<boost::beast::http::string_body>> parser_;
  std::string host_;
  boost::beast::error_code last_error_;
};

}  // namespace streamgate::fake_claude
