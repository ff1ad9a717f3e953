#include "gateway/http_connection.h"

#include <boost/beast/websocket/rfc6455.hpp>

#include "common/log.h"
#include "gateway/llm_client.h"
#include "gateway/session_registry.h"

namespace streamgate::gateway {

namespace beast = boost::beast;
namespace http = beast::http;

namespace {

// Requests to the gateway are tiny GETs; anything bigger is not for us.
constexpr uint32_t kHeaderLimit = 8 * 1024;
constexpr uint64_t kBodyLimit = 1024;

// --- chat page (gateway/web) ---
// The path part of a request target: "/app.js?v=2" is "/app.js".
std::string_view PathOf(std::string_view target) {
  return target.substr(0, target.find_first_of("?#"));
}
// --- end chat page ---

}  // namespace

HttpConnection::HttpConnection(boost::asio::ip::tcp::socket&& socket, SessionDeps deps)
    : stream_(std::move(socket)), deps_(deps) {}

void HttpConnection::Start() { DoRead(); }

void HttpConnection::DoRead() {
  parser_.emplace();
  parser_->header_limit(kHeaderLimit);
  parser_->body_limit(kBodyLimit);
  stream_.expires_after(absl::ToChronoMilliseconds(deps_.config->handshake_timeout));
  http::async_read(stream_, buffer_, *parser_,
                   beast::bind_front_handler(&HttpConnection::OnRead, shared_from_this()));
}

void HttpConnection::OnRead(beast::error_code ec, size_t) {
  if (ec == http::error::end_of_stream) {
    beast::error_code ignored;
    stream_.socket().shutdown(boost::asio::ip::tcp::socket::shutdown_send, ignored);
    return;
  }
  if (ec) {
    if (ec != beast::error::timeout && ec != boost::asio::error::operation_aborted) {
      common::Logger("http")->debug("request read failed error=\"{}\"", ec.message());
    }
    return;
  }
  Request request = parser_->release();
  std::string_view path = PathOf(request.target());
  if (path == "/ws") {
    if (beast::websocket::is_upgrade(request)) return Upgrade(std::move(request));
    return Reply(http::status::upgrade_required, "text/plain", "WebSocket upgrade required\n",
                 /*keep_alive=*/false);
  }
  if (request.method() == http::verb::get && path == "/healthz") {
    return Reply(http::status::ok, "application/json", "{\"status\":\"ok\"}\n");
  }
  if (request.method() == http::verb::get && path == "/readyz") return ReplyReadiness();
  // --- chat page (gateway/web) ---
  if (request.method() == http::verb::get) {
    if (const WebAsset* asset = FindWebAsset(PathOf(request.target()))) {
      return ReplyWebAsset(*asset);
    }
  }
  // --- end chat page ---
  Reply(http::status::not_found, "text/plain", "Not found\n");
}

void HttpConnection::ReplyReadiness() {
  // A load balancer stops routing here while draining or while llm-service is unreachable.
  if (deps_.draining->load()) {
    return Reply(http::status::service_unavailable, "application/json",
                 "{\"status\":\"not_ready\",\"reason\":\"draining\"}\n");
  }
  if (!deps_.llm->IsConnected()) {
    return Reply(http::status::service_unavailable, "application/json",
                 "{\"status\":\"not_ready\",\"reason\":\"llm_service_unreachable\"}\n");
  }
  Reply(http::status::ok, "application/json", "{\"status\":\"ready\"}\n");
}

void HttpConnection::Upgrade(Request request) {
  if (deps_.draining->load()) {
    return Reply(http::status::service_unavailable, "application/json",
                 "{\"error\":\"shutting down\"}\n", /*keep_alive=*/false);
  }
  auto limit = static_cast<size_t>(deps_.config->max_connections);
  if (!deps_.registry->TryReserve(limit)) {
    common::Logger("http")->warn("upgrade refused reason=connection_limit limit={}", limit);
    return Reply(http::status::service_unavailable, "application/json",
                 "{\"error\":\"connection limit reached\"}\n", /*keep_alive=*/false);
  }
  auto session = std::make_shared<Session>(stream_.release_socket(), deps_);
  session->Run(std::move(request));
}

void HttpConnection::Reply(http::status status, std::string content_type, std::string body,
                           bool keep_alive) {
  response_ = std::make_shared<Response>(status, 11);
  response_->set(http::field::server, "streamgate");
  response_->set(http::field::content_type, content_type);
  response_->body() = std::move(body);
  response_->keep_alive(keep_alive);
  response_->prepare_payload();
  http::async_write(stream_, *response_,
                    beast::bind_front_handler(&HttpConnection::OnWrite, shared_from_this(),
                                              keep_alive));
}

// --- chat page (gateway/web) ---
void HttpConnection::ReplyWebAsset(const WebAsset& asset) {
  response_ = std::make_shared<Response>(http::status::ok, 11);
  response_->set(http::field::server, "streamgate");
  response_->set(http::field::content_type, asset.content_type);
  // Revalidate every time: a gateway upgrade changes the page without changing its URLs.
  response_->set(http::field::cache_control, kWebCacheControl);
  response_->set("Content-Security-Policy", kWebContentSecurityPolicy);
  response_->set("X-Content-Type-Options", "nosniff");
  response_->set("Referrer-Policy", "no-referrer");
  response_->body().assign(asset.body);
  response_->keep_alive(true);
  response_->prepare_payload();
  http::async_write(stream_, *response_,
                    beast::bind_front_handler(&HttpConnection::OnWrite, shared_from_this(),
                                              /*keep_alive=*/true));
}
// --- end chat page ---

void HttpConnection::OnWrite(bool keep_alive, beast::error_code ec, size_t) {
  response_.reset();
  if (ec) return;
  if (!keep_alive) {
    beast::error_code ignored;
    stream_.socket().shutdown(boost::asio::ip::tcp::socket::shutdown_send, ignored);
    return;
  }
  DoRead();
}

}  // namespace streamgate::gateway
