#pragma once

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "common/metrics/registry.h"

namespace streamgate::common::metrics {

// A process's own HTTP endpoint for Prometheus, for a service with no HTTP port of its own
// (llm-service): GET or HEAD /metrics answers the registry's exposition; other paths 404,
// other methods 405. HTTP/1.1 keep-alive as Prometheus uses it; every read and write is
// bounded by a deadline, requests by a small header limit, and at most kMaxConnections are
// open at once (more are closed on accept), so a scraper gone wrong cannot pile up memory.
//
// Owned by main; it owns one thread running its io_context, started by Start and joined by
// the destructor. The registry must outlive it.
class MetricsHttpServer {
 public:
  static constexpr int kMaxConnections = 16;

  // Binds address:port (0 = a free port) without SO_REUSEPORT: a port another process holds
  // is an error, not a share of its traffic.
  static absl::StatusOr<std::unique_ptr<MetricsHttpServer>> Start(const std::string& address,
                                                                  int port,
                                                                  const Registry& registry);
  ~MetricsHttpServer();
  MetricsHttpServer(const MetricsHttpServer&) = delete;
  MetricsHttpServer& operator=(const MetricsHttpServer&) = delete;

  int port() const { return port_; }

 private:
  class Connection;
  explicit MetricsHttpServer(const Registry& registry);
  void DoAccept();

  const Registry& registry_;
  boost::asio::io_context io_{1};
  boost::asio::ip::tcp::acceptor acceptor_{io_};
  std::shared_ptr<std::atomic<int>> open_connections_ = std::make_shared<std::atomic<int>>(0);
  int port_ = 0;
  std::thread thread_;
};

}  // namespace streamgate::common::metrics
