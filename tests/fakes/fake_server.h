#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "tests/fakes/fake_connection.h"
#include "tests/fakes/request_router.h"
#include "tests/fakes/traffic_recorder.h"

namespace streamgate::fake_claude {

// Everything the fake_claude_server flags set (see fake_claude_server.cc for the flags).
struct FakeServerConfig {
  std::string bind = "127.0.0.1";
  int port = 0;
  std::string api_key = "test-key";
  int64_t delta_delay_ms = 0;
  int64_t max_body_bytes = int64_t{4} << 20;
  int64_t max_recorded_requests = 10000;
  int64_t max_recorded_body_bytes = int64_t{256} << 20;
  int64_t max_recorded_connections = 10000;
  std::string log_level = "info";
};

absl::Status Validate(const FakeServerConfig& config);

// The fake Anthropic API server: the listening socket, the live connections (weak), and
// the state they share (TrafficRecorder, RequestRouter with its attempt counts).
//
// Owned by main. Every method except Create and port() must run on the io thread, and the
// io_context is run by exactly one thread: the shared state has no locks because of that.
// Stop() may be called from any thread (it posts). Destroy only after io.run() returned.
class FakeServer {
 public:
  static absl::StatusOr<std::unique_ptr<FakeServer>> Create(boost::asio::io_context& io,
                                                            const FakeServerConfig& config);

  int port() const { return port_; }
  void Start();
  // Closes the listener and every connection (replies in progress end as "shutdown");
  // afterwards io.run() returns once the aborted handlers have run.
  void Stop();

 private:
  FakeServer(boost::asio::io_context& io, const FakeServerConfig& config);
  void DoAccept();
  void OnAccept(boost::beast::error_code ec, boost::asio::ip::tcp::socket socket);

  boost::asio::io_context& io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::steady_timer accept_retry_;
  int port_ = 0;
  const uint64_t max_body_bytes_;
  TrafficRecorder recorder_;
  RequestRouter router_;
  bool stopping_ = false;
  std::unordered_map<uint64_t, std::weak_ptr<FakeConnection>> connections_;
};

}  // namespace streamgate::fake_claude
