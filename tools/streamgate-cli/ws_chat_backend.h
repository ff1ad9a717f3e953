#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <deque>
#include <functional>
#include <string>

#include "absl/time/time.h"
#include "common/transport_stream.h"
#include "tools/streamgate-cli/chat_backend.h"
#include "tools/streamgate-cli/cli_config.h"

namespace streamgate::cli {

// The conversation with the gateway over one WebSocket connection (one gateway session, so
// the gateway keeps the history), ws:// or wss://. Owns the socket; owned by main and
// outlives io_context::run(); everything runs on the single io thread, so no strand is
// needed.
class WsChatBackend : public ChatBackend {
 public:
  struct Options {
    absl::Duration connect_timeout = absl::Seconds(10);
    std::string token;   // sent as "Authorization: Bearer"; never printed
    std::string tls_ca;  // wss://: trust this CA instead of the system's
  };
  WsChatBackend(boost::asio::io_context& io, Endpoint endpoint, Options options,
                ChatListener* listener);

  void Start() override;
  void Ask(std::string text) override;
  void Cancel() override;
  void Shutdown(bool graceful, std::function<void()> done) override;

 private:
  enum class Phase { kNew, kConnecting, kAwaitingHello, kOpen, kClosing, kClosed };

  void OnResolve(boost::beast::error_code ec,
                 const boost::asio::ip::tcp::resolver::results_type& results);
  void OnConnect(boost::beast::error_code ec, const boost::asio::ip::tcp::endpoint& endpoint);
  void OnTlsHandshake(boost::beast::error_code ec);
  void StartWebSocketHandshake();
  void OnHandshake(boost::beast::error_code ec);
  void CloseSocket();
  void DoRead();
  void OnRead(boost::beast::error_code ec, size_t bytes);
  void HandleFrame(std::string_view text);
  void Send(std::string frame);
  void DoWrite();
  void OnWrite(boost::beast::error_code ec, size_t bytes);
  void OnClose(boost::beast::error_code ec);
  // The connection failed or ended without Shutdown: report once, drop the socket.
  void Lose(const std::string& reason);
  // Shutdown has finished: run its callback once.
  void Closed();

  using Stream = boost::beast::websocket::stream<common::TransportStream>;

  boost::asio::ip::tcp::resolver resolver_;
  // Bounds connect + TLS handshake; the WebSocket handshake has Beast's own timeout.
  boost::asio::steady_timer connect_timer_;
  boost::asio::ip::tcp::socket socket_;  // until connected; then inside ws_
  std::unique_ptr<Stream> ws_;
  const Endpoint endpoint_;
  const Options options_;
  ChatListener* const listener_;

  Phase phase_ = Phase::kNew;
  std::string session_id_;  // from connection_established
  boost::beast::flat_buffer read_buffer_;
  // Frames waiting to be written; the front one is in flight while writing_ (Beast allows
  // one write at a time).
  std::deque<std::string> outbox_;
  bool writing_ = false;
  bool close_after_write_ = false;
  // The reply state as this side sees it: a user_message is out and its stream_end (or
  // error) has not come back.
  bool in_reply_ = false;
  bool cancel_sent_ = false;
  // A cancel that reached the gateway after the reply had ended gets `nothing_to_cancel`;
  // that error is expected and not shown. Counts such cancels still to be answered.
  int late_cancels_ = 0;
  std::function<void()> shutdown_done_;
};

}  // namespace streamgate::cli
