#include "tests/support/redis_server.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <regex>

namespace streamgate::testing {
namespace {

// A port nobody listens on right now. Redis cannot take port 0 (it means "no TCP"), so the
// port is picked here and StartOn retries with another when someone took it meanwhile.
int UnusedLoopbackPort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return 0;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  int port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0) {
    port = ntohs(address.sin_port);
  }
  ::close(fd);
  return port;
}

}  // namespace

RedisServer::RedisServer() {
  for (int attempt = 0; attempt < 5; ++attempt) {
    if (StartOn(UnusedLoopbackPort())) return;
  }
  ADD_FAILURE() << "redis-server did not start";
}

RedisServer::~RedisServer() { Kill(); }

bool RedisServer::StartOn(int port) {
  if (port <= 0) return false;
  process_ = std::make_unique<ChildProcess>(std::vector<std::string>{
      "/usr/bin/redis-server", "--bind", "127.0.0.1", "--port", std::to_string(port), "--save", "",
      "--appendonly", "no", "--dir", dir_.path(), "--daemonize", "no", "--loglevel", "notice",
      "--protected-mode", "yes"});
  static const std::regex kOutcome(
      "(Ready to accept connections|Could not create server TCP|Failed listening)");
  auto outcome = process_->WaitForLine(kOutcome, std::chrono::seconds(10));
  if (!outcome.has_value() || *outcome != "Ready to accept connections") {
    process_.reset();
    return false;
  }
  port_ = port;
  return true;
}

void RedisServer::Kill() {
  if (process_ == nullptr) return;
  process_->Signal(SIGKILL);
  process_->WaitForExit(std::chrono::seconds(10));
  process_.reset();
}

bool RedisServer::Restart() {
  Kill();
  // The port was ours a moment ago; another process may take it meanwhile (rare).
  for (int attempt = 0; attempt < 5; ++attempt) {
    if (StartOn(port_)) return true;
  }
  ADD_FAILURE() << "redis-server did not restart on port " << port_;
  return false;
}

void RedisServer::Pause() { process_->Signal(SIGSTOP); }

void RedisServer::Resume() { process_->Signal(SIGCONT); }

}  // namespace streamgate::testing
