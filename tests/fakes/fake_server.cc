#include "tests/fakes/fake_server.h"

#include <boost/asio/post.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <chrono>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/log.h"

namespace streamgate::fake_claude {

namespace net = boost::asio;
namespace beast = boost::beast;
using tcp = net::ip::tcp;

absl::Status Validate(const FakeServerConfig& config) {
  if (config.api_key.empty()) return absl::InvalidArgumentError("--api-key must not be empty");
  if (config.max_body_bytes <= 0) {
    return absl::InvalidArgumentError("--max-body-bytes must be positive");
  }
  return absl::OkStatus();
}

FakeServer::FakeServer(net::io_context& io, const FakeServerConfig& config)
    : io_(io),
      acceptor_(io),
      accept_retry_(io),
      max_body_bytes_(static_cast<uint64_t>(config.max_body_bytes)),
      recorder_({.max_requests = static_cast<size_t>(config.max_recorded_requests),
                 .max_body_bytes = static_cast<size_t>(config.max_recorded_body_bytes),
                 .max_connections = static_cast<size_t>(config.max_recorded_connections)}),
      router_({.api_key = config.api_key,
               .delta_delay = std::chrono::milliseconds(config.delta_delay_ms)},
              &recorder_) {}

absl::StatusOr<std::unique_ptr<FakeServer>> FakeServer::Create(net::io_context& io,
                                                               const FakeServerConfig& config) {
  if (absl::Status valid = Validate(config); !valid.ok()) return valid;
  beast::error_code ec;
  auto address = net::ip::make_address(config.bind, ec);
  if (ec) return absl::InvalidArgumentError(absl::StrCat("bad bind address '", config.bind, "'"));
  std::unique_ptr<FakeServer> server(new FakeServer(io, config));
  tcp::endpoint endpoint(address, static_cast<unsigned short>(config.port));
  auto& acceptor = server->acceptor_;
  auto fail = [&](const char* what) {
    return absl::UnavailableError(
        absl::StrCat("cannot ", what, " ", config.bind, ":", config.port, ": ", ec.message()));
  };
  if (acceptor.open(endpoint.protocol(), ec); ec) return fail("open");
  if (acceptor.set_option(net::socket_base::reuse_address(true), ec); ec) return fail("set up");
  if (acceptor.bind(endpoint, ec); ec) return fail("bind");
  if (acceptor.listen(net::socket_base::max_listen_connections, ec); ec) return fail("listen");
  server->port_ = acceptor.local_endpoint().port();
  return server;
}

void FakeServer::Start() { DoAccept(); }

void FakeServer::Stop() {
  net::post(io_, [this] {
    stopping_ = true;
    beast::error_code ignored;
    acceptor_.close(ignored);
    accept_retry_.cancel();
    // Close() calls back into on_closed, which erases from connections_: copy first.
    std::vector<std::shared_ptr<FakeConnection>> live;
    for (auto& [id, weak] : connections_) {
      if (auto connection = weak.lock()) live.push_back(std::move(connection));
    }
    for (auto& connection : live) connection->Stop();
    connections_.clear();
  });
}

void FakeServer::DoAccept() {
  acceptor_.async_accept(beast::bind_front_handler(&FakeServer::OnAccept, this));
}

void FakeServer::OnAccept(beast::error_code ec, tcp::socket socket) {
  if (stopping_ || ec == net::error::operation_aborted) return;
  if (ec) {
    // Typically EMFILE: keep serving the open connections and try again shortly.
    common::Logger("fake_claude")->warn("accept failed error=\"{}\"", ec.message());
    accept_retry_.expires_after(std::chrono::milliseconds(50));
    accept_retry_.async_wait([this](beast::error_code wait_ec) {
      if (!wait_ec && !stopping_) DoAccept();
    });
    return;
  }
  beast::error_code ignored;
  // Every write leaves at once; tiny_writes relies on it to put one byte per segment.
  socket.set_option(tcp::no_delay(true), ignored);
  auto connection = std::make_shared<FakeConnection>(
      std::move(socket),
      ConnectionDeps{.router = &router_,
                     .recorder = &recorder_,
                     .max_body_bytes = max_body_bytes_,
                     .on_closed = [this](uint64_t id) { connections_.erase(id); }});
  const uint64_t id = connection->Start();
  connections_[id] = connection;
  DoAccept();
}

}  // namespace streamgate::fake_claude
