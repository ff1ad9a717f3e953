#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <string>

#include "absl/time/time.h"
#include "tools/streamgate-cli/chat_backend.h"
#include "tools/streamgate-cli/cli_config.h"
#include "tools/streamgate-cli/resumable_session.h"
#include "tools/streamgate-cli/ws_client_connection.h"
#include "tools/streamgate-cli/ws_protocol.h"

namespace streamgate::cli {

// The conversation with the gateway: one gateway session (the gateway keeps the history),
// over one WebSocket connection at a time. When a connection is lost (a read or write
// failure, a close the CLI did not ask for, a drain's going_away + 1012) it reconnects with
// backoff and resumes the session: `resume` first, the frames it missed replayed, the reply
// in flight going on with no text twice (frames at or below the last seq processed are
// skipped). Gives up after `reconnect_timeout`. A failed resume goes on as the fresh session.
// Owned by main and outlives io_context::run(); everything runs on the single io thread.
class WsChatBackend : public ChatBackend, private WsClientConnection::Observer {
 public:
  struct Options {
    absl::Duration connect_timeout = absl::Seconds(10);
    std::string token;   // sent as "Authorization: Bearer"; never printed
    std::string tls_ca;  // wss://: trust this CA instead of the system's
    // The thread every user_message and cancel names (the field is always sent).
    std::string conversation = std::string(kDefaultConversation);
    // How long to keep trying to resume after a connection is lost; 0: give up at once.
    absl::Duration reconnect_timeout = absl::Minutes(2);
  };
  WsChatBackend(boost::asio::io_context& io, Endpoint endpoint, Options options,
                ChatListener* listener);

  void Start() override;
  void Ask(std::string text) override;
  void Cancel() override;
  absl::Status SelectConversation(const std::string& id) override;
  std::string conversation() const override;
  void Shutdown(bool graceful, std::function<void()> done) override;

 private:
  enum class Phase {
    kNew,
    kConnecting,    // the first connection: opening, then waiting for connection_established
    kOpen,          // the session is live on connection_
    kWaitingRetry,  // lost; reconnect_timer_ runs
    kResuming,      // a later connection: opening, `resume` sent, waiting for the answer
    kClosed,        // Shutdown, or given up
  };
  // The reply asked for and not yet ended.
  struct Reply {
    // What is known of its user_message. kSent/kResent: it went out (again after a resume)
    // and nothing of the reply came back yet, so whether the gateway has it is unknown.
    enum class Delivery { kQueued, kSent, kResent, kSeen };
    std::string text;
    std::string conversation;  // as sent
    Delivery delivery = Delivery::kQueued;
    bool cancel_wanted = false;
    bool sent() const { return delivery != Delivery::kQueued; }
  };

  // WsClientConnection::Observer
  void OnOpen() override;
  void OnFrame(std::string_view text) override;
  void OnEnded(const WsClientConnection::End& end) override;

  void Connect();
  void HandleHello(const ServerFrame& frame, std::string_view text);
  void HandleResumeAnswer(const ServerFrame& frame, std::string_view text);
  void HandleSessionFrame(const ServerFrame& frame);
  // After a resume (or a failed one): what the lost connection may not have delivered.
  void CatchUp();
  void SendAsk();
  void SendCancel();
  void EndReply(ReplyEnd end);
  void ScheduleReconnect(const std::string& why);
  void Print(std::string_view text);
  // The connection failed or ended for good: report once.
  void Lose(const std::string& reason);
  bool InReply(const ServerFrame& frame) const;
  // Shutdown has finished: run its callback once.
  void RunShutdownDone();

  boost::asio::io_context& io_;
  const Endpoint endpoint_;
  const Options options_;
  ChatListener* const listener_;
  boost::asio::steady_timer reconnect_timer_;

  Phase phase_ = Phase::kNew;
  std::shared_ptr<WsClientConnection> connection_;  // the current one, if any
  ResumableSession session_;
  std::string conversation_;  // the thread the next message goes to
  std::optional<Reply> reply_;
  // While resuming: the fresh session's first frame, kept in case the resume fails.
  std::optional<ServerFrame> fresh_hello_;
  std::string fresh_hello_text_;
  // Reconnecting: the outage's deadline (its start + reconnect_timeout), and the delay a
  // going_away asked for before the first attempt (-1: none; then the backoff decides).
  absl::Time give_up_at_ = absl::InfiniteFuture();
  int64_t going_away_ms_ = -1;
  ReconnectBackoff backoff_{absl::Milliseconds(100), absl::Seconds(5)};
  std::minstd_rand random_{std::random_device{}()};
  bool closing_ = false;  // Shutdown started a close handshake
  std::function<void()> shutdown_done_;
};

}  // namespace streamgate::cli
