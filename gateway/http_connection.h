#pragma once

#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/transport_stream.h"
#include "gateway/gateway_metrics.h"
#include "gateway/gateway_services.h"
#include "gateway/limits/address_admission.h"
#include "gateway/web/web_assets.h"

namespace streamgate::gateway {

using common::TransportStream;

// A freshly accepted TCP connection speaking HTTP/1.1 (over TLS on the TLS listener):
// answers plain requests itself (health, readiness, the chat page, POST /v1/tickets) and
// admits a WebSocket upgrade on /ws to a new WsConnection only after every check: draining,
// the client address's upgrade rate, Origin, the credential, the identity's connection
// limit and the global cap, in that order, each refusal a plain HTTP status before any
// WebSocket exists. Its read-only paths answer GET and HEAD (the GET's headers, no body),
// other methods there 405 with Allow, unknown paths 404. The connection serves the next
// request unless the request was HTTP/1.0 without keep-alive or said "Connection: close":
// then it closes after the response.
//
// Holds its address's pending-handshake slot until it upgrades or closes. Kept alive by its
// pending operation; runs on the connection's loop. Every wait (TLS handshake, request,
// response) is bounded by --handshake-timeout.
class HttpConnection : public std::enable_shared_from_this<HttpConnection> {
 public:
  HttpConnection(TransportStream&& stream, const GatewayServices& services,
                 AddressAdmission::PendingSlot slot);
  void Start();

 private:
  using Request = boost::beast::http::request<boost::beast::http::string_body>;
  using Response = boost::beast::http::response<boost::beast::http::string_body>;
  using Headers = std::vector<std::pair<std::string, std::string>>;

  void OnHandshake(boost::beast::error_code ec);
  void DoRead();
  void OnRead(boost::beast::error_code ec, size_t bytes);
  void Route(Request request);
  void Upgrade(Request request);
  void IssueTicket(const Request& request);
  void ReplyReadiness();
  // A refusal of an upgrade or a ticket: the status and a generic body, a throttled log
  // line with the details (never a credential), and the connection closed.
  void Refuse(boost::beast::http::status status, std::string_view reason, std::string_view detail,
              Headers headers = {});
  // The same for an upgrade, counted in upgrades_total{result}.
  void RefuseUpgrade(UpgradeResult result, boost::beast::http::status status,
                     std::string_view reason, std::string_view detail, Headers headers = {});
  // `keep_alive` false closes the connection after the response whatever the request asked.
  void Reply(boost::beast::http::status status, std::string content_type, std::string body,
             bool keep_alive = true, Headers headers = {});
  // Chat page (gateway/web): one embedded file with its caching and security headers.
  void ReplyWebAsset(const WebAsset& asset);
  void Write(std::shared_ptr<Response> response, bool keep_alive);
  void OnWrite(bool keep_alive, boost::beast::error_code ec, size_t bytes);
  void CloseAfterResponse();
  void ArmDeadline();
  void Shutdown();
  // The headers an allowed cross-origin page needs to call /v1/tickets from a browser.
  Headers CorsHeaders(const Request& request) const;

  TransportStream stream_;
  const GatewayServices& services_;
  AddressAdmission::PendingSlot slot_;
  boost::asio::steady_timer deadline_;
  boost::asio::ip::address peer_;
  boost::beast::flat_buffer buffer_;
  std::optional<boost::beast::http::request_parser<boost::beast::http::string_body>> parser_;
  std::shared_ptr<Response> response_;
  // Of the request being answered (set in Route).
  bool keep_alive_ = true;  // the client keeps the connection (HTTP/1.1 default, or asked)
  bool http_10_ = false;
  bool head_ = false;  // answer with the GET's headers only
};

}  // namespace streamgate::gateway
