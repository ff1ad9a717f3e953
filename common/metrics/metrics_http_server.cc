#include "common/metrics/metrics_http_server.h"

#include <boost/asio/ip/address.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <optional>

#include "absl/strings/str_cat.h"
#include "common/log.h"

namespace streamgate::common::metrics {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

constexpr auto kIoDeadline = std::chrono::seconds(10);  // per request read and response write
constexpr uint32_t kHeaderLimit = 8 * 1024;

}  // namespace

// One scraper's connection: read a request, answer it, repeat while keep-alive. Kept alive
// by its pending operation; runs on the server's thread.
class MetricsHttpServer::Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(tcp::socket socket, const Registry& registry, std::shared_ptr<std::atomic<int>> open)
      : stream_(std::move(socket)), registry_(registry), open_(std::move(open)) {}
  ~Connection() { open_->fetch_sub(1, std::memory_order_relaxed); }

  void DoRead() {
    parser_.emplace();
    parser_->header_limit(kHeaderLimit);
    parser_->body_limit(0);
    stream_.expires_after(kIoDeadline);
    http::async_read(stream_, buffer_, *parser_,
                     beast::bind_front_handler(&Connection::OnRead, shared_from_this()));
  }

 private:
  void OnRead(beast::error_code ec, size_t) {
    if (ec) return Close();
    const auto& request = parser_->get();
    response_ = {};
    response_.version(request.version());
    response_.keep_alive(request.keep_alive());
    std::string_view target(request.target().data(), request.target().size());
    std::string_view path = target.substr(0, target.find('?'));
    bool head = request.method() == http::verb::head;
    if (path != "/metrics") {
      Set(http::status::not_found, "text/plain", "Not found\n");
    } else if (!head && request.method() != http::verb::get) {
      Set(http::status::method_not_allowed, "text/plain", "Use GET or HEAD\n");
      response_.set(http::field::allow, "GET, HEAD");
    } else {
      Set(http::status::ok, kExpositionContentType, registry_.Render());
    }
    response_.prepare_payload();
    if (head) response_.body().clear();  // the length header stays the GET's
    stream_.expires_after(kIoDeadline);
    http::async_write(stream_, response_,
                      beast::bind_front_handler(&Connection::OnWrite, shared_from_this()));
  }

  void Set(http::status status, const char* type, std::string body) {
    response_.result(status);
    response_.set(http::field::content_type, type);
    response_.body() = std::move(body);
  }

  void OnWrite(beast::error_code ec, size_t) {
    if (ec || !response_.keep_alive()) return Close();
    DoRead();
  }

  void Close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
  }

  beast::tcp_stream stream_;
  const Registry& registry_;
  // Shared with the server: a connection may outlive it by the io_context's destructor.
  std::shared_ptr<std::atomic<int>> open_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::empty_body>> parser_;
  http::response<http::string_body> response_;
};

MetricsHttpServer::MetricsHttpServer(const Registry& registry) : registry_(registry) {}

absl::StatusOr<std::unique_ptr<MetricsHttpServer>> MetricsHttpServer::Start(
    const std::string& address, int port, const Registry& registry) {
  std::unique_ptr<MetricsHttpServer> server(new MetricsHttpServer(registry));
  beast::error_code ec;
  // A name ("localhost") as well as an address, as gRPC's listener takes both.
  tcp::resolver resolver(server->io_);
  auto resolved = resolver.resolve(address, std::to_string(port),
                                   tcp::resolver::passive | tcp::resolver::numeric_service, ec);
  if (ec || resolved.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("metrics: cannot resolve ", address));
  }
  tcp::endpoint endpoint = resolved.begin()->endpoint();
  auto& acceptor = server->acceptor_;
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    return absl::UnavailableError(
        absl::StrCat("metrics: cannot listen on ", address, ":", port, ": ", ec.message()));
  }
  server->port_ = acceptor.local_endpoint().port();
  server->DoAccept();
  server->thread_ = std::thread([raw = server.get()] { raw->io_.run(); });
  return server;
}

MetricsHttpServer::~MetricsHttpServer() {
  // Pending connections are destroyed with the io_context's handlers; they share nothing
  // with this object but the counter they own a share of.
  io_.stop();
  if (thread_.joinable()) thread_.join();
}

void MetricsHttpServer::DoAccept() {
  acceptor_.async_accept([this](beast::error_code ec, tcp::socket socket) {
    if (ec == net::error::operation_aborted) return;
    if (!ec) {
      if (open_connections_->fetch_add(1, std::memory_order_relaxed) >= kMaxConnections) {
        open_connections_->fetch_sub(1, std::memory_order_relaxed);
        Logger("metrics")->debug("scrape connection refused reason=too_many_connections");
      } else {
        std::make_shared<Connection>(std::move(socket), registry_, open_connections_)->DoRead();
      }
    }
    DoAccept();
  });
}

}  // namespace streamgate::common::metrics
