#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/transport_stream.h"

namespace streamgate::testing {

using Json = nlohmann::json;
using namespace std::chrono_literals;

// A WebSocket client for tests, driven by the calling thread: every call runs the client's
// own io_context until the operation completes or its timeout passes (then the operation
// is cancelled and the call reports failure). Not thread-safe.
using Headers = std::vector<std::pair<std::string, std::string>>;

class WsTestClient {
 public:
  struct ConnectOptions {
    std::string path = "/ws";
    Headers headers;           // extra request headers (Authorization, Origin, ...)
    std::string subprotocols;  // Sec-WebSocket-Protocol, when not empty
    std::string tls_ca_file;   // wss:// trusting this CA (the server name is "localhost")
    std::string host;          // Host header; default 127.0.0.1:<port>
    // SO_RCVBUF before connecting (0: the system's): a client that stops reading then
    // holds little in its kernel, so what is measured is the server's own buffering.
    int receive_buffer_bytes = 0;
  };

  WsTestClient();
  ~WsTestClient();

  // TCP connect (+ TLS) + WebSocket handshake to 127.0.0.1:port.
  bool Connect(int port, std::string_view path = "/ws", std::chrono::milliseconds timeout = 5s);
  bool Connect(int port, const ConnectOptions& options, std::chrono::milliseconds timeout = 5s);
  // The HTTP status of the handshake response (101 on success; e.g. 503 when refused).
  int handshake_status() const { return handshake_status_; }
  // A header of the handshake response ("" when absent), and its body (for refusals).
  std::string response_header(std::string_view name) const;
  const std::string& response_body() const { return response_body_; }
  // Over TLS: the SHA-256 fingerprint (hex) of the certificate the server presented.
  std::string peer_certificate_fingerprint();

  bool SendText(std::string_view text, std::chrono::milliseconds timeout = 5s);
  bool SendBinary(std::string_view bytes, std::chrono::milliseconds timeout = 5s);
  bool SendJson(const Json& message, std::chrono::milliseconds timeout = 5s);

  // The next text frame, parsed; nullopt on timeout, close or a frame that is not JSON.
  // `status` frames (llm-service went or came back, the gateway drains) come at times a
  // test does not choose: they are set aside for ReadStatus, not returned here.
  std::optional<Json> ReadJson(std::chrono::milliseconds timeout = 5s);
  // The next `status` frame, set aside or read now (other frames read meanwhile are kept
  // for ReadJson, in order).
  std::optional<Json> ReadStatus(std::chrono::milliseconds timeout = 5s);
  // How many status frames were read so far, by either call.
  int statuses_received() const { return statuses_received_; }
  // Reads frames until one has "type" == `type`; the frames before it go to *skipped.
  std::optional<Json> ReadUntilType(std::string_view type, std::chrono::milliseconds timeout = 5s,
                                    std::vector<Json>* skipped = nullptr);

  // Sends a ping; the pong is counted by the next reads (pongs_received()).
  bool Ping(std::chrono::milliseconds timeout = 5s);
  // Control frames seen by reads so far (Beast answers the server's pings itself).
  int pings_received() const { return pings_received_; }
  int pongs_received() const { return pongs_received_; }

  // Starts the close handshake and waits for it.
  void Close(std::chrono::milliseconds timeout = 5s);
  // Drops the TCP connection without a close handshake.
  void Abort();

  // After a read failed because the server closed: its close code and reason.
  boost::beast::websocket::close_reason server_close_reason() const { return ws_->reason(); }
  boost::beast::error_code last_error() const { return last_error_; }

 private:
  using Completion = std::function<void(boost::beast::error_code)>;
  // Runs one asynchronous operation to completion or timeout.
  boost::beast::error_code Run(const std::function<void(Completion)>& start,
                               std::chrono::milliseconds timeout);

  using Stream = boost::beast::websocket::stream<common::TransportStream>;
  // One text frame off the socket, parsed, whatever its type.
  std::optional<Json> ReadFrame(std::chrono::milliseconds timeout);

  boost::asio::io_context io_;
  std::unique_ptr<Stream> ws_;  // made by Connect
  boost::beast::flat_buffer buffer_;
  std::deque<Json> frames_;    // read by ReadStatus, for ReadJson
  std::deque<Json> statuses_;  // read by ReadJson, for ReadStatus
  int statuses_received_ = 0;
  std::map<std::string, std::string> response_headers_;  // lowercase names
  std::string response_body_;
  int handshake_status_ = 0;
  int pings_received_ = 0;
  int pongs_received_ = 0;
  boost::beast::error_code last_error_;
};

// True once the service the client was last told of (`told`: connection_established's
// "service", then each status frame's, read from `client`) equals `want`. The gateway may
// accept a connection before its own channel to llm-service is up: the first word can be
// "unavailable", followed by a status frame.
bool WaitForService(WsTestClient& client, Json told, const Json& want,
                    std::chrono::milliseconds timeout = 10s);

struct HttpResult {
  int status = 0;  // 0: no response
  std::string body;
  std::string content_type;
  std::map<std::string, std::string> headers;  // lowercase names
};
// One HTTP/1.1 GET to 127.0.0.1:port`target`.
HttpResult HttpGet(int port, std::string_view target, std::chrono::milliseconds timeout = 5s);
// Any one HTTP/1.1 request to 127.0.0.1:port (over TLS trusting `tls_ca_file` when set).
HttpResult HttpRequest(int port, boost::beast::http::verb method, std::string_view target,
                       const Headers& headers = {}, std::string body = "",
                       std::chrono::milliseconds timeout = 5s, const std::string& tls_ca_file = "");

}  // namespace streamgate::testing
