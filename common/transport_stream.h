#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <boost/beast/websocket/teardown.hpp>
#include <memory>
#include <utility>

namespace streamgate::gateway {

// The byte stream under an HTTP or WebSocket connection: a TCP socket, plain or wrapped in
// TLS. One type for both, so HttpConnection and WsConnection are written once.
//
// Idle connections are the many, so a plain one carries only its socket and an empty
// pointer; a TLS one keeps its ssl::stream (with the socket inside) on the heap, next to a
// reference to the context that made it: a certificate reload builds a new context for new
// connections and leaves running ones on theirs.
//
// Not thread-safe; used on its connection's strand. Meets Asio's AsyncReadStream and
// AsyncWriteStream and Beast's teardown customisation (below), so it can sit under
// beast::http and beast::websocket.
class TransportStream {
 public:
  using Socket = boost::asio::ip::tcp::socket;
  using TlsStream = boost::asio::ssl::stream<Socket>;
  using executor_type = Socket::executor_type;

  explicit TransportStream(Socket&& socket) : socket_(std::move(socket)) {}
  // A TLS connection whose server handshake is still to be done (tls()->async_handshake).
  TransportStream(Socket&& socket, std::shared_ptr<boost::asio::ssl::context> context)
      : socket_(socket.get_executor()),
        tls_(std::make_unique<Tls>(std::move(socket), std::move(context))) {}
  TransportStream(TransportStream&&) = default;
  TransportStream& operator=(TransportStream&&) = default;

  executor_type get_executor() { return socket().get_executor(); }
  Socket& socket() { return tls_ ? tls_->stream.next_layer() : socket_; }
  bool is_tls() const { return tls_ != nullptr; }
  TlsStream* tls() { return tls_ ? &tls_->stream : nullptr; }

  template <class MutableBuffers, class Handler>
  void async_read_some(const MutableBuffers& buffers, Handler&& handler) {
    if (tls_) {
      tls_->stream.async_read_some(buffers, std::forward<Handler>(handler));
    } else {
      socket_.async_read_some(buffers, std::forward<Handler>(handler));
    }
  }
  template <class ConstBuffers, class Handler>
  void async_write_some(const ConstBuffers& buffers, Handler&& handler) {
    if (tls_) {
      tls_->stream.async_write_some(buffers, std::forward<Handler>(handler));
    } else {
      socket_.async_write_some(buffers, std::forward<Handler>(handler));
    }
  }

 private:
  struct Tls {
    Tls(Socket&& socket, std::shared_ptr<boost::asio::ssl::context> ctx)
        : context(std::move(ctx)), stream(std::move(socket), *context) {}
    std::shared_ptr<boost::asio::ssl::context> context;  // outlives stream: declared first
    TlsStream stream;
  };

  Socket socket_;  // the connection when plain; an unused, closed socket when TLS
  std::unique_ptr<Tls> tls_;
};

// Beast closes the stream this way when an operation fails or times out.
inline void beast_close_socket(TransportStream& stream) {
  boost::beast::error_code ignored;
  stream.socket().close(ignored);
}

// Beast's WebSocket close ends with a teardown of the stream below it: TLS sends its
// close_notify first, then the socket is shut down.
inline void teardown(boost::beast::role_type role, TransportStream& stream,
                     boost::beast::error_code& ec) {
  using boost::beast::websocket::teardown;
  if (stream.is_tls()) {
    teardown(role, *stream.tls(), ec);
  } else {
    teardown(role, stream.socket(), ec);
  }
}

template <class TeardownHandler>
void async_teardown(boost::beast::role_type role, TransportStream& stream,
                    TeardownHandler&& handler) {
  using boost::beast::websocket::async_teardown;
  if (stream.is_tls()) {
    async_teardown(role, *stream.tls(), std::forward<TeardownHandler>(handler));
  } else {
    async_teardown(role, stream.socket(), std::forward<TeardownHandler>(handler));
  }
}

}  // namespace streamgate::gateway
