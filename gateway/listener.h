#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <memory>

#include "absl/status/statusor.h"
#include "gateway/session.h"

namespace streamgate::gateway {

// Accepts TCP connections and gives each its own strand and HttpConnection. Owned by main;
// its accept loop runs on the io_context, Stop on any thread.
class Listener : public std::enable_shared_from_this<Listener> {
 public:
  // Binds and listens; returns the actual port (useful with port 0).
  static absl::StatusOr<std::shared_ptr<Listener>> Create(boost::asio::io_context& io,
                                                          const std::string& address, int port,
                                                          SessionDeps deps);
  Listener(boost::asio::io_context& io, SessionDeps deps);

  void Start();
  // Stops accepting; existing connections are unaffected.
  void Stop();
  int port() const { return port_; }

 private:
  void DoAccept();
  void OnAccept(boost::beast::error_code ec, boost::asio::ip::tcp::socket socket);

  boost::asio::io_context& io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::steady_timer retry_timer_;  // paces accepts after a failure (e.g. EMFILE)
  const SessionDeps deps_;
  int port_ = 0;
};

}  // namespace streamgate::gateway
