#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "tools/ws-bench/bench_config.h"
#include "tools/ws-bench/bench_stats.h"
#include "tools/ws-bench/frame_scanner.h"
#include "tools/ws-bench/ws_client.h"
#include "tools/ws-bench/ws_open.h"

namespace streamgate::bench {

// One WebSocket connection to the server under test: opens, waits for
// connection_established, then either sits idle or sends its user messages one after another
// and times each reply. Kept alive by its pending Beast operations (its worker holds it
// weakly); everything runs on its worker's single thread, so no strand is needed. Results go
// into the worker's BenchStats and the shared RunProgress.
class WsConnection : public WsClient, public std::enable_shared_from_this<WsConnection> {
 public:
  WsConnection(boost::asio::io_context& io, const BenchConfig& config, const Target& target,
               int index, BenchStats* stats, RunProgress* progress);

  void Start() override;
  void BeginMessages(Clock::time_point go) override;
  // A connection still opening counts as failed ("stopped").
  void Close(bool graceful) override;

 private:
  enum class Phase {
    kOpening,        // TCP connect and WebSocket handshake
    kAwaitingHello,  // waiting for connection_established
    kReady,          // established: idle, or between replies
    kAwaitingReply,  // a user_message is out; its stream_end (or error) has not come
    kDone,           // every reply received; waits to be closed
  };

  void OnOpen(const std::string& error, std::unique_ptr<WsStream> stream);
  void CloseSocket();
  void DoRead();
  void OnRead(boost::beast::error_code ec, size_t bytes);
  void HandleFrame(std::string_view text);
  void HandleHello(const ServerFrame& frame);
  void HandleReplyFrame(ServerFrame& frame);
  void EndReply();
  void SendNext();
  void OnWrite(boost::beast::error_code ec, size_t bytes);
  void SendAt(Clock::time_point when);
  void OnSendTimer(boost::beast::error_code ec);
  void DoClose();

  // The connection never got established; `reason` is reported by kind.
  void FailOpening(const std::string& reason);
  // An established connection ended without being asked to.
  void Drop(const std::string& reason);
  // Nothing more to do for the scenario; counted once.
  void MarkFinished();

  boost::asio::io_context& io_;
  std::weak_ptr<WsOpener> opener_;  // while opening, to cancel it
  std::unique_ptr<WsStream> ws_;    // once open
  const BenchConfig& config_;
  const Target& target_;
  const int index_;
  BenchStats* const stats_;
  RunProgress* const progress_;

  Phase phase_ = Phase::kOpening;
  bool closing_ = false;  // set once Close or a failure began; read/write errors are then expected
  bool writing_ = false;  // one write in flight at most (Beast's rule), the user_message
  bool close_after_write_ = false;
  bool finished_ = false;
  boost::beast::flat_buffer read_buffer_;
  std::string session_id_;
  // The reply in progress: its message, when it was sent, and what came back so far.
  int messages_done_ = 0;
  std::string sent_text_;
  std::string out_frame_;  // the frame being written; must outlive the write
  Clock::time_point sent_at_;
  ReplyTimings timings_;
  std::string reply_text_;
  // Delays a send: --think-ms, or the --start-spread-ms share. Made on first use.
  std::optional<boost::asio::steady_timer> send_timer_;
};

}  // namespace streamgate::bench
