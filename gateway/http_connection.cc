#include "gateway/http_connection.h"

#include <array>
#include <boost/beast/websocket/rfc6455.hpp>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/log.h"
#include "common/log_throttle.h"
#include "common/metrics/registry.h"
#include "gateway/auth/anonymous_principals.h"
#include "gateway/auth/authenticator.h"
#include "gateway/auth/origin_policy.h"
#include "gateway/auth/ticket_store.h"
#include "gateway/auth/upgrade_credentials.h"
#include "gateway/connection_registry.h"
#include "gateway/gateway_config.h"
#include "gateway/gateway_metrics.h"
#include "gateway/limits/identity_limits.h"
#include "gateway/llm_client.h"
#include "gateway/ws_connection.h"

namespace streamgate::gateway {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

namespace {

// Requests to the gateway are tiny GETs and empty POSTs; anything bigger is not for us.
constexpr uint32_t kHeaderLimit = 16 * 1024;  // room for an 8 KiB JWT
constexpr uint64_t kBodyLimit = 1024;

std::string_view Std(beast::string_view text) { return std::string_view(text.data(), text.size()); }

// The path part of a request target: "/app.js?v=2" is "/app.js".
std::string_view PathOf(std::string_view target) {
  return target.substr(0, target.find_first_of("?#"));
}

std::optional<std::string_view> OriginOf(const http::request<http::string_body>& request) {
  auto it = request.find(http::field::origin);
  if (it == request.end()) return std::nullopt;
  return Std(it->value());
}

// One throttle per refusal reason: a flood of refused upgrades costs a line per window.
common::SharedLogThrottle& RefusalLog(std::string_view reason) {
  static std::array<common::SharedLogThrottle, 8> throttles;
  static constexpr std::array<std::string_view, 7> kReasons = {
      "draining",        "rate_limited",         "forbidden_origin",
      "unauthenticated", "identity_connections", "over_capacity",
      "tickets"};
  for (size_t i = 0; i < kReasons.size(); ++i) {
    if (kReasons[i] == reason) return throttles[i];
  }
  return throttles.back();
}

std::string RetryAfterSeconds(std::chrono::steady_clock::duration wait) {
  return std::to_string(
      std::max<int64_t>(1, std::chrono::ceil<std::chrono::seconds>(wait).count()));
}

}  // namespace

HttpConnection::HttpConnection(TransportStream&& stream, const GatewayServices& services,
                               AddressAdmission::PendingSlot slot)
    : stream_(std::move(stream)),
      services_(services),
      slot_(std::move(slot)),
      deadline_(stream_.get_executor()) {
  beast::error_code ignored;
  peer_ = stream_.socket().remote_endpoint(ignored).address();
}

void HttpConnection::Start() {
  ArmDeadline();
  if (!stream_.is_tls()) return DoRead();
  stream_.tls()->async_handshake(
      net::ssl::stream_base::server,
      beast::bind_front_handler(&HttpConnection::OnHandshake, shared_from_this()));
}

void HttpConnection::ArmDeadline() {
  deadline_.expires_after(absl::ToChronoMilliseconds(services_.config->handshake_timeout));
  deadline_.async_wait([weak = weak_from_this()](beast::error_code ec) {
    if (ec) return;
    // Closing the socket ends whatever waits on it (handshake, read or write).
    if (auto self = weak.lock()) self->Shutdown();
  });
}

void HttpConnection::Shutdown() {
  beast::error_code ignored;
  stream_.socket().shutdown(net::ip::tcp::socket::shutdown_both, ignored);
  stream_.socket().close(ignored);
}

void HttpConnection::OnHandshake(beast::error_code ec) {
  if (ec) {
    common::Logger("http")->debug("tls handshake failed peer={} error=\"{}\"", peer_.to_string(),
                                  ec.message());
    return Shutdown();
  }
  DoRead();
}

void HttpConnection::DoRead() {
  parser_.emplace();
  parser_->header_limit(kHeaderLimit);
  parser_->body_limit(kBodyLimit);
  http::async_read(stream_, buffer_, *parser_,
                   beast::bind_front_handler(&HttpConnection::OnRead, shared_from_this()));
}

void HttpConnection::OnRead(beast::error_code ec, size_t) {
  if (ec == http::error::end_of_stream) {
    deadline_.cancel();
    beast::error_code ignored;
    stream_.socket().shutdown(net::ip::tcp::socket::shutdown_send, ignored);
    return;
  }
  if (ec) {
    if (ec != net::error::operation_aborted) {
      common::Logger("http")->debug("request read failed error=\"{}\"", ec.message());
    }
    return Shutdown();
  }
  Route(parser_->release());
}

void HttpConnection::Route(Request request) {
  // HTTP/1.0 without "Connection: keep-alive", or "Connection: close": one response, then
  // the connection closes rather than idling until the deadline.
  keep_alive_ = request.keep_alive();
  http_10_ = request.version() == 10;
  head_ = request.method() == http::verb::head;
  std::string_view path = PathOf(Std(request.target()));
  if (path == "/v1/tickets") {
    if (request.method() == http::verb::post) return IssueTicket(request);
    if (request.method() == http::verb::options) {
      Headers headers = CorsHeaders(request);
      if (!headers.empty()) {
        headers.emplace_back("Access-Control-Allow-Methods", "POST");
        headers.emplace_back("Access-Control-Allow-Headers", "Authorization");
        headers.emplace_back("Access-Control-Max-Age", "600");
      }
      return Reply(http::status::no_content, "text/plain", "", true, std::move(headers));
    }
    return Reply(http::status::method_not_allowed, "text/plain", "Use POST\n", true,
                 {{"Allow", "POST, OPTIONS"}});
  }
  const WebAsset* asset = FindWebAsset(path);
  if (path != "/ws" && path != "/healthz" && path != "/readyz" && path != "/metrics" &&
      asset == nullptr) {
    return Reply(http::status::not_found, "text/plain", "Not found\n");
  }
  // Everything else is read-only: GET, and HEAD for monitors that probe without a body.
  if (!head_ && request.method() != http::verb::get) {
    return Reply(http::status::method_not_allowed, "text/plain", "Use GET or HEAD\n", true,
                 {{"Allow", "GET, HEAD"}});
  }
  if (path == "/ws") {
    if (beast::websocket::is_upgrade(request)) return Upgrade(std::move(request));
    return Reply(http::status::upgrade_required, "text/plain", "WebSocket upgrade required\n",
                 /*keep_alive=*/false);
  }
  if (path == "/healthz") {
    return Reply(http::status::ok, "application/json", "{\"status\":\"ok\"}\n");
  }
  if (path == "/readyz") return ReplyReadiness();
  if (path == "/metrics") {
    return Reply(http::status::ok, common::metrics::kExpositionContentType,
                 services_.metrics_registry->Render());
  }
  ReplyWebAsset(*asset);
}

void HttpConnection::ReplyReadiness() {
  // A load balancer stops routing here while draining or while llm-service is unreachable.
  if (services_.draining->load()) {
    return Reply(http::status::service_unavailable, "application/json",
                 "{\"status\":\"not_ready\",\"reason\":\"draining\"}\n");
  }
  if (!services_.llm->IsConnected()) {
    return Reply(http::status::service_unavailable, "application/json",
                 "{\"status\":\"not_ready\",\"reason\":\"llm_service_unreachable\"}\n");
  }
  Reply(http::status::ok, "application/json", "{\"status\":\"ready\"}\n");
}

HttpConnection::Headers HttpConnection::CorsHeaders(const Request& request) const {
  auto origin = OriginOf(request);
  if (!origin.has_value()) return {};
  auto host = request.find(http::field::host);
  std::string_view host_value = host == request.end() ? "" : Std(host->value());
  if (!services_.origins->Allows(origin, host_value, stream_.is_tls())) return {};
  return {{"Access-Control-Allow-Origin", std::string(*origin)}, {"Vary", "Origin"}};
}

void HttpConnection::Upgrade(Request request) {
  const GatewayConfig& config = *services_.config;
  if (services_.draining->load()) {
    return RefuseUpgrade(UpgradeResult::kDraining, http::status::service_unavailable, "draining",
                         "");
  }
  std::chrono::steady_clock::duration wait{};
  if (!services_.addresses->TryUpgrade(peer_, &wait)) {
    services_.metrics->CountRateLimited(RateLimit::kUpgradesPerSecond);
    return RefuseUpgrade(UpgradeResult::kRateLimited, http::status::too_many_requests,
                         "rate_limited", "upgrades_per_second",
                         {{"Retry-After", RetryAfterSeconds(wait)}});
  }
  auto host = request.find(http::field::host);
  std::string_view host_value = host == request.end() ? "" : Std(host->value());
  if (!services_.origins->Allows(OriginOf(request), host_value, stream_.is_tls())) {
    // The Origin is a page address, no secret, but client input: log its length only.
    return RefuseUpgrade(UpgradeResult::kForbiddenOrigin, http::status::forbidden,
                         "forbidden_origin",
                         absl::StrCat("origin_bytes=", OriginOf(request)->size()));
  }
  UpgradeCredentials credentials = ExtractUpgradeCredentials(request);
  std::shared_ptr<const Principal> principal;
  if (services_.auth->mode() == AuthMode::kNone) {
    principal = services_.anonymous->For(peer_.to_string());
  } else if (credentials.malformed || credentials.source == UpgradeCredentials::Source::kNone) {
    services_.metrics->CountAuthFailure(credentials.malformed ? AuthFailure::kMalformed
                                                              : AuthFailure::kMissing);
    return RefuseUpgrade(
        UpgradeResult::kUnauthenticated, http::status::unauthorized, "unauthenticated",
        credentials.malformed ? "malformed or repeated credential" : "no credential",
        {{"WWW-Authenticate", "Bearer realm=\"streamgate\""}});
  } else if (credentials.source == UpgradeCredentials::Source::kTicket) {
    std::optional<Principal> redeemed = services_.tickets->Redeem(credentials.value, absl::Now());
    if (!redeemed.has_value()) {
      services_.metrics->CountAuthFailure(AuthFailure::kTicket);
      return RefuseUpgrade(UpgradeResult::kUnauthenticated, http::status::unauthorized,
                           "unauthenticated", "ticket unknown, used or expired",
                           {{"WWW-Authenticate", "Bearer realm=\"streamgate\""}});
    }
    principal = std::make_shared<const Principal>(*std::move(redeemed));
  } else {
    Authenticator::Outcome outcome = services_.auth->Authenticate(credentials.value, absl::Now());
    if (outcome.principal == nullptr) {
      services_.metrics->CountAuthFailure(AuthFailure::kRejected);
      return RefuseUpgrade(
          UpgradeResult::kUnauthenticated, http::status::unauthorized, "unauthenticated",
          absl::StrCat("source=", std::string(SourceName(credentials.source)), " ", outcome.reason),
          {{"WWW-Authenticate", "Bearer realm=\"streamgate\""}});
    }
    principal = std::move(outcome.principal);
  }
  IdentityLimits::Lease lease = services_.identities->TryOpen(principal->identity);
  if (!lease.valid()) {
    services_.metrics->CountRateLimited(RateLimit::kIdentityConnections);
    return RefuseUpgrade(
        UpgradeResult::kIdentityConnections, http::status::too_many_requests,
        "identity_connections",
        absl::StrCat("identity=", principal->identity, " limit=", config.limit_connections));
  }
  auto limit = static_cast<size_t>(config.max_connections);
  if (!services_.registry->TryReserve(limit)) {
    return RefuseUpgrade(UpgradeResult::kOverCapacity, http::status::service_unavailable,
                         "over_capacity", absl::StrCat("limit=", limit));
  }
  deadline_.cancel();
  slot_.Release();
  auto connection = std::make_shared<WsConnection>(std::move(stream_), services_,
                                                   std::move(principal), std::move(lease));
  connection->Run(std::move(request), credentials.offers_subprotocol);
}

void HttpConnection::IssueTicket(const Request& request) {
  Headers cors = CorsHeaders(request);
  std::chrono::steady_clock::duration wait{};
  if (!services_.addresses->TryUpgrade(peer_, &wait)) {
    cors.emplace_back("Retry-After", RetryAfterSeconds(wait));
    services_.metrics->CountRateLimited(RateLimit::kUpgradesPerSecond);
    return Refuse(http::status::too_many_requests, "rate_limited", "ticket upgrades_per_second",
                  std::move(cors));
  }
  auto host = request.find(http::field::host);
  std::string_view host_value = host == request.end() ? "" : Std(host->value());
  if (!services_.origins->Allows(OriginOf(request), host_value, stream_.is_tls())) {
    return Refuse(http::status::forbidden, "forbidden_origin", "ticket request");
  }
  std::shared_ptr<const Principal> principal;
  if (services_.auth->mode() == AuthMode::kNone) {
    principal = services_.anonymous->For(peer_.to_string());
  } else {
    UpgradeCredentials credentials = ExtractBearer(request);
    Authenticator::Outcome outcome =
        credentials.malformed || credentials.source == UpgradeCredentials::Source::kNone
            ? Authenticator::Outcome{nullptr, "no or malformed Authorization header"}
            : services_.auth->Authenticate(credentials.value, absl::Now());
    if (outcome.principal == nullptr) {
      services_.metrics->CountAuthFailure(credentials.malformed ? AuthFailure::kMalformed
                                          : credentials.source == UpgradeCredentials::Source::kNone
                                              ? AuthFailure::kMissing
                                              : AuthFailure::kRejected);
      cors.emplace_back("WWW-Authenticate", "Bearer realm=\"streamgate\"");
      return Refuse(http::status::unauthorized, "unauthenticated",
                    absl::StrCat("ticket request ", outcome.reason), std::move(cors));
    }
    principal = std::move(outcome.principal);
  }
  auto ticket = services_.tickets->Issue(*principal, absl::Now());
  if (!ticket.has_value()) {
    services_.metrics->CountRateLimited(RateLimit::kTickets);
    return Refuse(http::status::too_many_requests, "tickets",
                  absl::StrCat("identity=", principal->identity), std::move(cors));
  }
  cors.emplace_back("Cache-Control", "no-store");
  std::string body = absl::StrCat("{\"ticket\":\"", *ticket, "\",\"expiresInMs\":",
                                  absl::ToInt64Milliseconds(services_.tickets->lifetime()), "}\n");
  Reply(http::status::ok, "application/json", std::move(body), true, std::move(cors));
}

void HttpConnection::RefuseUpgrade(UpgradeResult result, http::status status,
                                   std::string_view reason, std::string_view detail,
                                   Headers headers) {
  services_.metrics->CountUpgrade(result);
  Refuse(status, reason, detail, std::move(headers));
}

void HttpConnection::Refuse(http::status status, std::string_view reason, std::string_view detail,
                            Headers headers) {
  uint64_t suppressed = 0;
  if (RefusalLog(reason).Admit(&suppressed)) {
    common::Logger("http")->info(
        "upgrade refused reason={} status={} peer={} detail=\"{}\" repeated={}", reason,
        static_cast<int>(status), peer_.to_string(), detail, suppressed);
  }
  std::string body;
  switch (status) {
    case http::status::unauthorized:
      body = "{\"error\":\"unauthorized\"}\n";
      break;
    case http::status::forbidden:
      body = "{\"error\":\"forbidden\"}\n";
      break;
    case http::status::too_many_requests:
      body = "{\"error\":\"too many requests\"}\n";
      break;
    default:
      body = reason == "draining" ? "{\"error\":\"shutting down\"}\n"
                                  : "{\"error\":\"connection limit reached\"}\n";
  }
  Reply(status, "application/json", std::move(body), /*keep_alive=*/false, std::move(headers));
}

void HttpConnection::Reply(http::status status, std::string content_type, std::string body,
                           bool keep_alive, Headers headers) {
  auto response = std::make_shared<Response>(status, 11);
  response->set(http::field::server, "streamgate");
  response->set(http::field::content_type, content_type);
  for (auto& [name, value] : headers) response->set(name, value);
  response->body() = std::move(body);
  Write(std::move(response), keep_alive);
}

void HttpConnection::ReplyWebAsset(const WebAsset& asset) {
  auto response = std::make_shared<Response>(http::status::ok, 11);
  response->set(http::field::server, "streamgate");
  response->set(http::field::content_type, asset.content_type);
  // Revalidate every time: a gateway upgrade changes the page without changing its URLs.
  response->set(http::field::cache_control, kWebCacheControl);
  response->set("Content-Security-Policy", kWebContentSecurityPolicy);
  response->set("X-Content-Type-Options", "nosniff");
  response->set("Referrer-Policy", "no-referrer");
  response->body().assign(asset.body);
  Write(std::move(response), /*keep_alive=*/true);
}

void HttpConnection::Write(std::shared_ptr<Response> response, bool keep_alive) {
  keep_alive = keep_alive && keep_alive_;
  response->keep_alive(keep_alive);
  // An HTTP/1.1 response keeps the connection by default; an HTTP/1.0 client needs it said.
  if (keep_alive && http_10_) response->set(http::field::connection, "keep-alive");
  response->prepare_payload();
  // HEAD: the GET's status and headers, Content-Length included, and no body.
  if (head_) response->body().clear();
  response_ = std::move(response);
  http::async_write(
      stream_, *response_,
      beast::bind_front_handler(&HttpConnection::OnWrite, shared_from_this(), keep_alive));
}

void HttpConnection::OnWrite(bool keep_alive, beast::error_code ec, size_t) {
  response_.reset();
  if (ec) return Shutdown();
  if (!keep_alive) return CloseAfterResponse();
  ArmDeadline();
  DoRead();
}

void HttpConnection::CloseAfterResponse() {
  // Our side ends first (close_notify on TLS, then FIN); what the client still sends is
  // read and dropped until it closes too, since closing a socket with unread input resets
  // the connection and can destroy the response before the client has read it. The
  // deadline bounds a client that never closes.
  ArmDeadline();
  common::async_teardown(
      beast::role_type::server, stream_,
      [self = shared_from_this()](beast::error_code) { self->deadline_.cancel(); });
}

}  // namespace streamgate::gateway
