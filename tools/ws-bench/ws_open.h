#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/websocket/stream.hpp>
#include <functional>
#include <memory>
#include <string>

#include "common/transport_stream.h"
#include "tools/ws-bench/bench_config.h"

namespace streamgate::bench {

using WsStream = boost::beast::websocket::stream<common::TransportStream>;

// Opens one WebSocket to the target: TCP connect (Nagle off) and TLS handshake bounded by
// kOpenTimeout, then the upgrade bounded by Beast's handshake timeout, and hands the open
// stream to its caller. Shared by every WebSocket client of ws-bench, so each scenario's
// state machine starts at an open stream. Kept alive by its pending operations; runs on the
// thread of its io_context (the workers are single-threaded, so no strand).
class WsOpener : public std::enable_shared_from_this<WsOpener> {
 public:
  // Called once, on the io_context's thread: `error` empty and `stream` open, or `error`
  // naming the step that failed ("connect: ...", "tls: ...", "handshake: ...").
  using Done = std::function<void(const std::string& error, std::unique_ptr<WsStream> stream)>;

  // Starts opening. The caller may keep the result (weakly) to Cancel it.
  static std::shared_ptr<WsOpener> Open(boost::asio::io_context& io, const BenchConfig& config,
                                        const Target& target, Done done);

  WsOpener(boost::asio::io_context& io, const BenchConfig& config, const Target& target, Done done);

  // Cuts the opening short by closing its socket; `done` still comes, with an error.
  void Cancel();

 private:
  void Begin();
  void OnConnect(boost::beast::error_code ec, const boost::asio::ip::tcp::endpoint& endpoint);
  void OnTlsHandshake(boost::beast::error_code ec);
  void StartHandshake();
  void OnHandshake(boost::beast::error_code ec);
  void Finish(const std::string& error);
  void CloseSocket();

  // socket_ until connected, then inside stream_; open_timer_ bounds connect + TLS.
  common::TransportStream::Socket socket_;
  boost::asio::steady_timer open_timer_;
  std::unique_ptr<WsStream> stream_;
  const BenchConfig& config_;
  const Target& target_;
  Done done_;  // reset once called
};

}  // namespace streamgate::bench
