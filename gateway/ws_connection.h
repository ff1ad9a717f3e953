#pragma once

#include <array>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "common/log_throttle.h"
#include "common/token_bucket.h"
#include "common/trace_context.h"
#include "common/transport_stream.h"
#include "gateway/auth/principal.h"
#include "gateway/chat_session.h"
#include "gateway/gateway_services.h"
#include "gateway/limits/identity_limits.h"
#include "gateway/store/session_store.h"

namespace streamgate::gateway {

using common::TransportStream;

// One WebSocket connection on /ws: the transport of the ChatSession attached to it. It owns
// the stream (plain or TLS), the read loop and its buffers, the one write in flight (frames
// come from the session, one at a time), heartbeats, the frame rate limit, the credential
// the connection was opened with (a JWT's expiry and renewal, a revoked key), the first
// frame's `resume`, and every close: code, reason and teardown.
//
// A connection starts with a fresh session of its own (on the same loop); a `resume`
// exchanges it for the session it names, which may live on another loop: the two then
// talk through dispatches (ChatSession::Peer one way, ChatSession's methods the other).
//
// Kept alive by its pending Beast operations, timers and posted events; the registry holds
// it weakly, its session strongly while attached. Every member is touched only on the
// connection's loop (the socket's executor); public methods post there first.
class WsConnection : public std::enable_shared_from_this<WsConnection>, public ChatSession::Peer {
 public:
  using UpgradeRequest = boost::beast::http::request<boost::beast::http::string_body>;
  using CloseReason = boost::beast::websocket::close_reason;

  // Close codes of our own (RFC 6455's private range).
  static constexpr auto kCloseUnauthorized = static_cast<boost::beast::websocket::close_code>(4001);

  // `stream`'s executor is a loop of the IoPool; a registry slot must already be reserved.
  WsConnection(TransportStream&& stream, const GatewayServices& services,
               std::shared_ptr<const Principal> principal, IdentityLimits::Lease lease);
  ~WsConnection() override;

  // Completes the WebSocket handshake for `upgrade` and starts the session. With
  // `echo_subprotocol` the response selects streamgate.v1 (which the client offered).
  void Run(UpgradeRequest upgrade, bool echo_subprotocol);
  // Any thread: flushes what is queued and closes with `reason`.
  void Close(CloseReason reason);
  // Any thread, once per ping interval (gateway/heartbeat.h): drops the connection if it
  // has been idle too long, else pings the client.
  void Heartbeat();
  // Any thread, after the credentials were reloaded: closes with 4001 when the key or JWT
  // key this connection was opened with is gone.
  void Revalidate();

  // ChatSession::Peer: called on the session's loop.
  void Deliver(uint64_t attach_id, ReplayLog::Frame frame) override;
  void PauseReading(bool paused) override;
  void CloseConnection(uint16_t code, std::string reason) override;

 private:
  void OnAccept(boost::beast::error_code ec);
  void MaybeRead();
  void OnRead(boost::beast::error_code ec, size_t bytes);
  void HandleMessage(std::string_view message);
  void HandleText(std::string_view frame);
  void ReleaseMessage();
  // One client frame (a message or a control frame) against --limit-frames-per-second;
  // false when over it (the connection is then closing with 1008).
  bool CountFrame();
  void LogBadMessage(std::string_view code, std::string_view detail);
  // Sends `error` through whichever session is attached.
  void SendError(ClientError error);

  // `resume` as the first frame: find the session (here, or in the store after a restart),
  // ask it to take this connection, and on success leave the fresh session behind.
  void StartResume(ClientMessage message);
  void OnStoredSession(ClientMessage message, std::optional<SessionSnapshot> snapshot);
  void ResumeWith(std::shared_ptr<ChatSession> target, ClientMessage message);
  void OnResumed(std::shared_ptr<ChatSession> target, uint64_t attach_id,
                 ChatSession::ResumeResult result);

  // The credential's expiry: token_expired at its exp, a close after the leeway.
  void WatchCredential();
  void OnCredentialTimer(uint64_t generation);
  void OnAuthenticate(std::string token);

  void OnHeartbeat();
  void Touch() { last_activity_ = std::chrono::steady_clock::now(); }

  // Runs `fn` on the attached session's loop: inline when it is this one.
  void WithSession(std::function<void(ChatSession&)> fn);
  bool OnOwnLoop();
  std::string_view session_id() const;

  void OnDeliver(uint64_t attach_id, ReplayLog::Frame frame);
  void DoWrite(ReplayLog::Frame frame, uint64_t attach_id);
  void OnWrite(boost::beast::error_code ec, size_t bytes);
  void DoClose(CloseReason reason);
  void SendClose(const CloseReason& reason);
  // Drops the TCP connection without a handshake (dead or unreadable peer).
  void Abort(std::string_view why);
  // Ends the connection's work after it is gone; `reason` is for the log.
  void Teardown(std::string_view reason);
  // Gives the registry slot back, once: at teardown or, failing that, destruction.
  void ReleaseSlot();
  static uint64_t NextAttachId();

  // Only for credentials that expire (JWTs): most connections never allocate it.
  struct CredentialWatch {
    explicit CredentialWatch(const boost::asio::any_io_executor& executor) : timer(executor) {}
    boost::asio::steady_timer timer;
    uint64_t generation = 0;  // a renewal voids the timer's pending wait
    bool expired = false;     // token_expired was sent; the leeway runs
  };
  // A frame the session delivered while the previous one (of the session this connection
  // just left) was still being written.
  struct Queued {
    ReplayLog::Frame frame;
    uint64_t attach_id;
  };

  // Without permessage-deflate, which is never negotiated here: leaner per connection.
  boost::beast::websocket::stream<TransportStream, /*deflateSupported=*/false> ws_;
  const GatewayServices& services_;
  std::shared_ptr<const Principal> principal_;
  IdentityLimits::Lease lease_;
  std::shared_ptr<ChatSession> session_;
  uint64_t attach_id_ = 0;
  // The session closed this attachment itself (a take-over, a drain): it needs no Detach.
  uint64_t detached_by_session_ = 0;
  uint64_t in_flight_attach_ = 0;  // whose frame is being written
  ReplayLog::Frame in_flight_;     // its text must live until the write is done
  const std::chrono::steady_clock::time_point opened_at_;
  // Idle connections wait for their next message with only this small buffer (the JSON of
  // every client frame but the shortest is longer: each message is then read in two steps,
  // which costs a call per message, never per chunk); a message that does not fit
  // continues in message_, which holds no memory between messages.
  // message_ is bounded by --max-message-bytes (one byte more is read to detect excess).
  std::array<char, 16> first_read_;
  std::string message_;
  std::chrono::steady_clock::time_point last_activity_;
  common::TokenBucket frames_;
  // A client repeating a bad frame gets an error each time but one log line per window.
  common::LogThrottle bad_message_log_;
  std::unique_ptr<CloseReason> close_when_flushed_;
  std::unique_ptr<Queued> queued_;
  std::unique_ptr<CredentialWatch> credential_;
  // The upgrade's traceparent, the parent of every reply asked for without one of its own
  // (null without one: most connections).
  std::unique_ptr<const common::TraceContext> upgrade_trace_;
  // Of message_, what has been read (the rest is read room); at most --max-message-bytes + 1
  // (16 MiB + 1). 32 bits and next to the bit-fields: idle connections are the many.
  uint32_t message_bytes_ = 0;
  // Bit-fields: idle connections are the many.
  bool session_here_ : 1 = false;  // session_ runs on this connection's loop
  bool reading_ : 1 = false;
  bool writing_ : 1 = false;
  bool read_paused_ : 1 = false;  // the session's queue is over its bound
  bool resuming_ : 1 = false;     // a resume is being decided: nothing more is read meanwhile
  bool first_message_ : 1 = true;
  bool ping_in_flight_ : 1 = false;
  bool registered_ : 1 = false;
  bool slot_released_ : 1 = false;
  bool closing_ : 1 = false;  // no new reads or frames; close pending or done
  bool torn_down_ : 1 = false;
};

}  // namespace streamgate::gateway
