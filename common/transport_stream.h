#pragma once

#include <boost/asio/compose.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/websocket/teardown.hpp>
#include <memory>
#include <utility>

#include "common/lean_tls_stream.h"

namespace streamgate::common {

// The byte stream under an HTTP or WebSocket connection: a TCP socket, plain or wrapped in
// TLS. One type for both, so HttpConnection and WsConnection are written once.
//
// Idle connections are the many, so a plain one carries only its socket and an empty
// pointer; a TLS one keeps its LeanTlsStream (with the socket inside, and no buffer while
// idle) on the heap, holding the context that made it: a certificate reload builds a new
// context for new connections and leaves running ones on theirs.
//
// Not thread-safe; used on its connection's executor. Meets Asio's AsyncReadStream and
// AsyncWriteStream and Beast's teardown customisation (below), so it can sit under
// beast::http and beast::websocket.
class TransportStream {
 public:
  using Socket = LeanTlsStream::Socket;
  using TlsStream = LeanTlsStream;
  using executor_type = Socket::executor_type;

  explicit TransportStream(Socket&& socket) : socket_(std::move(socket)) {}
  // A TLS connection whose handshake is still to be done (tls()->async_handshake).
  TransportStream(Socket&& socket, std::shared_ptr<boost::asio::ssl::context> context)
      : socket_(socket.get_executor()),
        tls_(std::make_unique<TlsStream>(std::move(socket), std::move(context))) {}
  TransportStream(TransportStream&&) = default;
  TransportStream& operator=(TransportStream&&) = default;

  executor_type get_executor() { return socket().get_executor(); }
  Socket& socket() { return tls_ ? tls_->next_layer() : socket_; }
  bool is_tls() const { return tls_ != nullptr; }
  TlsStream* tls() { return tls_.get(); }

  template <class MutableBuffers, class Handler>
  void async_read_some(const MutableBuffers& buffers, Handler&& handler) {
    if (tls_) {
      tls_->async_read_some(buffers, std::forward<Handler>(handler));
    } else {
      socket_.async_read_some(buffers, std::forward<Handler>(handler));
    }
  }
  template <class ConstBuffers, class Handler>
  void async_write_some(const ConstBuffers& buffers, Handler&& handler) {
    if (tls_) {
      tls_->async_write_some(buffers, std::forward<Handler>(handler));
    } else {
      socket_.async_write_some(buffers, std::forward<Handler>(handler));
    }
  }

 private:
  Socket socket_;  // the connection when plain; an unused, closed socket when TLS
  std::unique_ptr<TlsStream> tls_;
};

// Beast closes the stream this way when an operation fails or times out.
inline void beast_close_socket(TransportStream& stream) {
  boost::beast::error_code ignored;
  stream.socket().close(ignored);
}

// Beast's WebSocket close ends with a teardown of the stream below it: TLS sends its
// close_notify first, then the socket is shut down as for a plain connection.
struct TlsTeardownOp {
  boost::beast::role_type role;
  TransportStream* stream;
  int step = 0;
  template <class Self>
  void operator()(Self& self, boost::beast::error_code ec = {}) {
    using boost::beast::websocket::async_teardown;
    switch (step++) {
      case 0:
        return stream->tls()->async_shutdown(std::move(self));
      case 1:
        // A close_notify that failed (the peer already gone) still tears the socket down.
        return async_teardown(role, stream->socket(), std::move(self));
      default:
        self.complete(ec);
    }
  }
};

inline void teardown(boost::beast::role_type role, TransportStream& stream,
                     boost::beast::error_code& ec) {
  using boost::beast::websocket::teardown;
  teardown(role, stream.socket(), ec);
}

template <class TeardownHandler>
void async_teardown(boost::beast::role_type role, TransportStream& stream,
                    TeardownHandler&& handler) {
  using boost::beast::websocket::async_teardown;
  if (!stream.is_tls()) {
    return async_teardown(role, stream.socket(), std::forward<TeardownHandler>(handler));
  }
  boost::asio::async_compose<TeardownHandler, void(boost::beast::error_code)>(
      TlsTeardownOp{role, &stream}, handler, stream.socket());
}

}  // namespace streamgate::common
