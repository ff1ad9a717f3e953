#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "absl/time/time.h"
#include "common/transport_stream.h"
#include "tools/streamgate-cli/cli_config.h"

namespace streamgate::cli {

// One WebSocket connection to the gateway, ws:// or wss://: resolve, connect, TLS, the
// upgrade, then a read loop and a write queue. It knows nothing of sessions: frames go up
// as text. Kept alive by its pending operations (each binds shared_from_this()); the
// backend that started it holds a shared_ptr too and silences it (Close / Abort) before
// letting go, so no callback reaches an observer that moved on. Everything runs on the
// single io thread.
class WsClientConnection : public std::enable_shared_from_this<WsClientConnection> {
 public:
  struct Options {
    absl::Duration connect_timeout = absl::Seconds(10);
    std::string token;   // sent as "Authorization: Bearer"; never printed
    std::string tls_ca;  // wss://: trust this CA instead of the system's
  };

  // How a connection ended without the observer asking for it.
  struct End {
    enum class Kind {
      kFailedToOpen,  // resolve, connect, TLS or the handshake failed (http_status if refused)
      kLost,          // open, then a read or write failed: no close frame
      kClosed,        // open, then the gateway closed it: close_code
    };
    Kind kind = Kind::kFailedToOpen;
    std::string reason;   // for the person: "cannot connect to ws://...: Connection refused"
    int http_status = 0;  // kFailedToOpen by an HTTP answer to the upgrade: its status
    uint16_t close_code = 0;
  };

  // Called on the io thread, never after Close or Abort.
  class Observer {
   public:
    virtual ~Observer() = default;
    virtual void OnOpen() = 0;  // the upgrade succeeded; Send may be called
    virtual void OnFrame(std::string_view text) = 0;
    virtual void OnEnded(const End& end) = 0;  // the last call
  };

  static std::shared_ptr<WsClientConnection> Start(boost::asio::io_context& io,
                                                   const Endpoint& endpoint, const Options& options,
                                                   Observer* observer);
  WsClientConnection(boost::asio::io_context& io, const Endpoint& endpoint, const Options& options,
                     Observer* observer);

  // Queues a text frame (one write in flight at a time). Ignored once the connection ended.
  void Send(std::string frame);
  // The observer hears nothing more. A close handshake when the connection is open (bounded
  // by the WebSocket close timeout), else the socket is dropped; `done` runs once either way.
  void Close(std::function<void()> done);
  // The observer hears nothing more; the socket is dropped at once.
  void Abort();

  // "ws://host:port/path", for messages.
  static std::string Describe(const Endpoint& endpoint);

 private:
  enum class Phase { kOpening, kOpen, kClosing, kEnded };

  void OnResolve(boost::beast::error_code ec,
                 const boost::asio::ip::tcp::resolver::results_type& results);
  void OnConnect(boost::beast::error_code ec, const boost::asio::ip::tcp::endpoint& endpoint);
  void OnTlsHandshake(boost::beast::error_code ec);
  void StartWebSocketHandshake();
  void OnHandshake(boost::beast::error_code ec, int http_status, const std::string& http_reason);
  void DoRead();
  void OnRead(boost::beast::error_code ec, size_t bytes);
  void DoWrite();
  void OnWrite(boost::beast::error_code ec, size_t bytes);
  void StartClose();
  void OnClose(boost::beast::error_code ec);
  // The connection failed or the gateway closed it: tell the observer once, drop the socket.
  void Fail(End end);
  void CloseSocket();
  void RunDone();

  using Stream = boost::beast::websocket::stream<common::TransportStream>;

  boost::asio::ip::tcp::resolver resolver_;
  // Bounds connect + TLS handshake; the WebSocket handshake has Beast's own timeout.
  boost::asio::steady_timer connect_timer_;
  common::TransportStream::Socket socket_;  // until connected; then inside ws_
  std::unique_ptr<Stream> ws_;
  const Endpoint endpoint_;
  const Options options_;
  Observer* observer_;  // null once silenced or ended

  Phase phase_ = Phase::kOpening;
  boost::beast::flat_buffer read_buffer_;
  // Frames waiting to be written; the front one is in flight while writing_ (Beast allows
  // one write at a time).
  std::deque<std::string> outbox_;
  bool writing_ = false;
  bool close_after_write_ = false;
  std::function<void()> done_;
};

}  // namespace streamgate::cli
