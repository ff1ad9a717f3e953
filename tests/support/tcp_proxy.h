#pragma once

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <set>
#include <thread>

namespace streamgate::testing {

// A TCP proxy for tests that need a connection to break: it listens on 127.0.0.1:0 and
// forwards every accepted connection, both ways, to 127.0.0.1:<target port>. SeverAll()
// drops the connections open at that moment (with a reset, as a failing network would) and
// keeps accepting; the target can change between connections (a restarted server on a new
// port). Each direction of a connection holds one 16 KiB buffer and reads again only once
// it is written: memory is bounded and a slow side slows the other. A half-close is passed on.
//
// Runs its own io_context on its own thread; the public methods may be called from any
// thread (they hand work to that thread). The destructor closes everything and joins it.
class TcpProxy {
 public:
  explicit TcpProxy(int target_port);
  ~TcpProxy();
  TcpProxy(const TcpProxy&) = delete;
  TcpProxy& operator=(const TcpProxy&) = delete;

  // The port to connect to (0 if the listener could not be set up).
  int port() const { return port_; }
  // Connections accepted from now on go to this port; open ones stay where they are.
  void SetTargetPort(int port) { target_port_ = port; }
  // Resets every connection open now (both of its sockets); returns once they are closed.
  void SeverAll();

  // Connections accepted so far, and a wait for the count to reach `count`.
  int accepted() const;
  bool WaitForAccepted(int count, std::chrono::milliseconds timeout) const;
  // Connections open now (accepted and not yet ended or severed).
  size_t open_connections();

 private:
  class Link;

  void DoAccept();
  void OnAccept(boost::system::error_code ec, boost::asio::ip::tcp::socket socket);
  void Forget(const std::shared_ptr<Link>& link);
  // Runs `fn` on the proxy's thread and waits for it.
  void RunOnThread(const std::function<void()>& fn);

  boost::asio::io_context io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  int port_ = 0;
  std::atomic<int> target_port_;
  std::set<std::shared_ptr<Link>> links_;  // the proxy's thread only
  bool stopping_ = false;                  // the proxy's thread only
  mutable std::mutex mu_;
  mutable std::condition_variable accepted_changed_;
  int accepted_ = 0;  // guarded by mu_
  std::thread thread_;
};

}  // namespace streamgate::testing
