#include "tools/streamgate-cli/health_probe.h"

#include <grpcpp/grpcpp.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cstdio>

#include "absl/status/status.h"
#include "common/transport_stream.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "tools/streamgate-cli/cli_config.h"
#include "tools/streamgate-cli/tls_client_context.h"

namespace streamgate::cli {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

namespace {

int Healthy(const std::string& what) {
  std::printf("healthy: %s\n", what.c_str());
  return kExitOk;
}

int Unhealthy(const std::string& what) {
  std::fprintf(stderr, "unhealthy: %s\n", what.c_str());
  return kExitReplyFailed;
}

}  // namespace

int HealthProbe::CheckHttp(const std::string& url) const {
  auto endpoint = ParseUrl(url, "http");
  if (!endpoint.ok()) return Unhealthy(std::string(endpoint.status().message()));
  net::io_context io;
  tcp::resolver resolver(io);
  beast::error_code ec;
  auto addresses = resolver.resolve(endpoint->host, std::to_string(endpoint->port), ec);
  if (ec) return Unhealthy(url + ": cannot resolve " + endpoint->host + ": " + ec.message());

  std::shared_ptr<net::ssl::context> tls;
  if (endpoint->tls) {
    auto context = MakeClientTlsContext(tls_ca_, endpoint->host);
    if (!context.ok()) return Unhealthy(url + ": " + std::string(context.status().message()));
    tls = *std::move(context);
  }
  // One deadline for connect, TLS, request and response together: it closes the socket.
  common::TransportStream::Socket socket(io);
  std::unique_ptr<common::TransportStream> stream;
  net::steady_timer deadline(io);
  deadline.expires_after(absl::ToChronoNanoseconds(timeout_));
  deadline.async_wait([&](beast::error_code wait_ec) {
    if (wait_ec) return;
    beast::error_code ignored;
    (stream ? stream->socket() : socket).close(ignored);
  });
  http::request<http::empty_body> request{http::verb::get, endpoint->path, 11};
  request.set(http::field::host, endpoint->HostHeader());
  request.set(http::field::user_agent, "streamgate-cli health probe");
  request.set(http::field::connection, "close");
  http::response<http::string_body> response;
  beast::flat_buffer buffer;
  std::string failed_step;
  auto exchange = [&] {
    http::async_write(*stream, request, [&](beast::error_code write_ec, size_t) {
      if (write_ec) return void((ec = write_ec, failed_step = "send"));
      http::async_read(*stream, buffer, response, [&](beast::error_code read_ec, size_t) {
        if (read_ec) ec = read_ec, failed_step = "read";
        deadline.cancel();
      });
    });
  };
  net::async_connect(socket, addresses, [&](beast::error_code connect_ec, const tcp::endpoint&) {
    if (connect_ec) return void((ec = connect_ec, failed_step = "connect", deadline.cancel()));
    if (!tls) {
      stream = std::make_unique<common::TransportStream>(std::move(socket));
      return exchange();
    }
    stream = std::make_unique<common::TransportStream>(std::move(socket), tls);
    SetServerName(*stream->tls(), endpoint->host);
    stream->tls()->async_handshake(net::ssl::stream_base::client, [&](beast::error_code tls_ec) {
      if (tls_ec) return void((ec = tls_ec, failed_step = "tls", deadline.cancel()));
      exchange();
    });
  });
  io.run();
  if (ec) return Unhealthy(url + ": " + failed_step + ": " + ec.message());
  if (response.result() != http::status::ok) {
    return Unhealthy(url + ": HTTP " + std::to_string(response.result_int()));
  }
  return Healthy(url + ": HTTP 200");
}

int HealthProbe::CheckGrpc(const std::string& target,
                           const std::shared_ptr<grpc::ChannelCredentials>& credentials) const {
  auto channel = grpc::CreateChannel(target, credentials);
  auto stub = grpc::health::v1::Health::NewStub(channel);
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + timeout_));
  // Wait for the connection within the deadline instead of failing on the first refusal: a
  // service that is still starting gets the whole timeout.
  context.set_wait_for_ready(true);
  grpc::health::v1::HealthCheckRequest request;
  grpc::health::v1::HealthCheckResponse response;
  grpc::Status status = stub->Check(&context, request, &response);
  if (!status.ok()) {
    return Unhealthy(target + ": Health/Check: " +
                     absl::StatusCodeToString(static_cast<absl::StatusCode>(status.error_code())) +
                     ": " + status.error_message());
  }
  std::string serving =
      grpc::health::v1::HealthCheckResponse::ServingStatus_Name(response.status());
  if (response.status() != grpc::health::v1::HealthCheckResponse::SERVING) {
    return Unhealthy(target + ": " + serving);
  }
  return Healthy(target + ": " + serving);
}

}  // namespace streamgate::cli
