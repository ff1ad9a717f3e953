#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "tools/ws-bench/bench_config.h"
#include "tools/ws-bench/bench_stats.h"
#include "tools/ws-bench/frame_scanner.h"
#include "tools/ws-bench/reference_reply.h"
#include "tools/ws-bench/ws_client.h"
#include "tools/ws-bench/ws_open.h"

namespace streamgate::bench {

// One session of the resume scenario, across its two connections. The first sends one
// user_message and, once --cut-after-chunks chunks are processed, is dropped without a close
// handshake (an RST); the second opens at once (or --reconnect-delay-ms later), reads its
// connection_established, sends `resume` with the last seq processed, times reconnect ->
// session_resumed, then reads the reply to its stream_end.
//
// Checks: every frame of the session has the seq after the last one processed (a repeat is a
// duplicated chunk, a hole a lost one; here nothing but the reply is sent after
// connection_established, so the seqs are contiguous), session_resumed counts the frames
// replayed, and the whole text equals the reference reply's.
//
// Kept alive by its pending operations (its worker holds it weakly); everything runs on its
// worker's single thread. Results go into the worker's BenchStats (resume() for the
// scenario's own figures) and the shared RunProgress.
class ResumeSession : public WsClient, public std::enable_shared_from_this<ResumeSession> {
 public:
  ResumeSession(boost::asio::io_context& io, const BenchConfig& config, const Target& target,
                const ReferenceReply& reference, int index, BenchStats* stats,
                RunProgress* progress);

  void Start() override;
  void BeginMessages(Clock::time_point go) override;
  // A session not yet verified counts as failed ("stopped while <phase>").
  void Close(bool graceful) override;

 private:
  enum class Phase {
    kOpening,             // first connection: TCP, TLS, upgrade
    kAwaitingHello,       // its connection_established
    kReady,               // established; the message waits for --sync-start's go
    kStreaming,           // message sent; the reply's frames until the cut
    kReconnecting,        // first connection cut; the second one opening
    kAwaitingFreshHello,  // the second connection's connection_established (a fresh session)
    kReplaying,           // resume sent: replayed frames until session_resumed
    kLive,                // resumed: live frames until stream_end
    kDone,                // the reply verified; the connection waits for the run to close it
    kFailed,              // counted once, by its first reason; sockets shut
    kClosed,              // closed by the run after kDone
  };
  static const char* PhaseName(Phase phase);

  // One of the session's two connections: links_[0] is cut, links_[1] resumes. The cut one is
  // kept (closed) until the session ends, since its read may still be pending.
  struct Link {
    std::unique_ptr<WsStream> ws;
    boost::beast::flat_buffer buffer;
    std::string out_frame;  // the frame being written; must outlive the write
    bool writing = false;   // one write in flight at most (Beast's rule)
  };

  void OpenLink(int link);
  void OnOpen(int link, const std::string& error, std::unique_ptr<WsStream> stream);
  void DoRead(int link);
  void OnRead(int link, boost::beast::error_code ec, size_t bytes);
  void Write(int link, std::string frame);
  void OnWrite(int link, boost::beast::error_code ec, size_t bytes);

  void HandleFrame(std::string_view text);
  void HandleHello(const ServerFrame& frame);
  void HandleFreshHello(const ServerFrame& frame);
  void HandleSessionFrame(const ServerFrame& frame);
  void HandleResumed(const ServerFrame& frame);
  void HandleReplyFrame(const ServerFrame& frame);
  // True when `frame` comes after the last frame processed; counts holes and repeats.
  bool AcceptSeq(const ServerFrame& frame);

  void SendAt(Clock::time_point when);
  void SendMessage();
  // Drops the first connection (RST); the second opens at once or --reconnect-delay-ms later.
  void Cut();
  void Reconnect();
  // The reply is over and the session resumed: compare, count, finish.
  void Verify();

  bool Terminal() const;
  // A read or write on the current connection failed.
  void Drop(const std::string& reason);
  // The first connection never got established.
  void FailOpening(const std::string& reason);
  void Fail(const std::string& reason);
  void CloseSockets();
  void DoClose();
  void MarkFinished();

  boost::asio::io_context& io_;
  const BenchConfig& config_;
  const Target& target_;
  const ReferenceReply& reference_;
  const int index_;
  BenchStats* const stats_;
  RunProgress* const progress_;

  Phase phase_ = Phase::kOpening;
  Link links_[2];
  int current_ = 0;                 // the link frames are read from
  std::weak_ptr<WsOpener> opener_;  // while a link is opening, to cancel it
  bool close_after_write_ = false;
  bool finished_ = false;
  // The session (from the first connection_established) and the last seq processed.
  std::string session_id_;
  std::string resume_token_;
  int64_t last_seq_ = 0;
  int64_t lost_ = 0;        // seqs skipped
  int64_t duplicated_ = 0;  // frames whose seq was not above last_seq_
  int64_t replayed_ = 0;    // frames between resume and session_resumed
  // The reply: its message, when it was sent, what came back, when the reconnect began.
  std::string sent_text_;
  Clock::time_point sent_at_;
  Clock::time_point reconnect_at_;
  ReplyTimings timings_;
  std::string text_;
  int64_t chunks_ = 0;
  bool reply_ended_ = false;
  // The --start-spread-ms share, then --reconnect-delay-ms. Made on first use.
  std::optional<boost::asio::steady_timer> timer_;
};

}  // namespace streamgate::bench
