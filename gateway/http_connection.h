#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <memory>
#include <optional>

#include "gateway/session.h"
#include "gateway/web/web_assets.h"

namespace streamgate::gateway {

// A freshly accepted TCP connection speaking HTTP/1.1: answers plain requests itself and
// hands a WebSocket upgrade on /ws to a new Session. Kept alive by its pending operation;
// runs on the connection's strand.
class HttpConnection : public std::enable_shared_from_this<HttpConnection> {
 public:
  HttpConnection(boost::asio::ip::tcp::socket&& socket, SessionDeps deps);
  void Start();

 private:
  using Request = boost::beast::http::request<boost::beast::http::string_body>;
  using Response = boost::beast::http::response<boost::beast::http::string_body>;

  void DoRead();
  void OnRead(boost::beast::error_code ec, size_t bytes);
  void Upgrade(Request request);
  void ReplyReadiness();
  // A refused upgrade closes the connection; probes and page loads keep it.
  void Reply(boost::beast::http::status status, std::string content_type, std::string body,
             bool keep_alive = true);
  // Chat page (gateway/web): one embedded file with its caching and security headers.
  void ReplyWebAsset(const WebAsset& asset);
  void OnWrite(bool keep_alive, boost::beast::error_code ec, size_t bytes);

  boost::beast::tcp_stream stream_;
  const SessionDeps deps_;
  boost::beast::flat_buffer buffer_;
  std::optional<boost::beast::http::request_parser<boost::beast::http::string_body>> parser_;
  std::shared_ptr<Response> response_;
};

}  // namespace streamgate::gateway
