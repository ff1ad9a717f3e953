#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/error.hpp>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "common/transport_stream.h"
#include "gateway/gateway_services.h"
#include "gateway/io_pool.h"

namespace streamgate::gateway {

// Accepts TCP connections on one port, plain or TLS, and gives each a loop of the IoPool
// (where it stays) and an HttpConnection once its client address has room for another
// pending handshake (else the socket is closed at once). Owned by main; its accept loop runs
// on the pool's first loop, Stop on any thread.
class Listener : public std::enable_shared_from_this<Listener> {
 public:
  // Binds and listens; port() is the actual port (useful with port 0).
  static absl::StatusOr<std::shared_ptr<Listener>> Create(IoPool& io, const std::string& address,
                                                          int port, bool tls,
                                                          const GatewayServices& services);
  Listener(IoPool& io, bool tls, const GatewayServices& services);

  void Start();
  // Stops accepting; existing connections are unaffected.
  void Stop();
  int port() const { return port_; }

 private:
  void DoAccept();
  void OnAccept(boost::beast::error_code ec, common::TransportStream::Socket socket);

  IoPool& io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::steady_timer retry_timer_;  // paces accepts after a failure (e.g. EMFILE)
  const bool tls_;
  const GatewayServices& services_;
  int port_ = 0;
};

}  // namespace streamgate::gateway
