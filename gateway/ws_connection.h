#pragma once

#include <array>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "common/log_throttle.h"
#include "common/token_bucket.h"
#include "common/transport_stream.h"
#include "gateway/auth/principal.h"
#include "gateway/chat_session.h"
#include "gateway/gateway_services.h"
#include "gateway/limits/identity_limits.h"

namespace streamgate::gateway {

using common::TransportStream;

// One WebSocket connection on /ws: the transport under a ChatSession. It owns the stream
// (plain or TLS), the read loop and its buffers, the writes (one in flight, frames taken
// from the session's outbox, bounded by --max-outbound-bytes), heartbeats, the frame rate
// limit, the credential the connection was opened with (a JWT's expiry and renewal, a
// revoked key) and every close: code, reason and teardown. The session is a member.
//
// Kept alive by its pending Beast operations, timers and posted gRPC events; the registry
// holds it weakly. Every member is touched only on the connection's strand (the socket's
// executor); the public methods other than the constructor post there first.
class WsConnection : public std::enable_shared_from_this<WsConnection>, private ChatSession::Link {
 public:
  using UpgradeRequest = boost::beast::http::request<boost::beast::http::string_body>;
  using CloseReason = boost::beast::websocket::close_reason;

  // Close codes of our own (RFC 6455's private range).
  static constexpr auto kCloseUnauthorized = static_cast<boost::beast::websocket::close_code>(4001);

  // `stream`'s executor must be a strand; a registry slot must already be reserved.
  WsConnection(TransportStream&& stream, const GatewayServices& services,
               std::shared_ptr<const Principal> principal, IdentityLimits::Lease lease);
  ~WsConnection();

  // Completes the WebSocket handshake for `upgrade` and starts the session. With
  // `echo_subprotocol` the response selects streamgate.v1 (which the client offered).
  void Run(UpgradeRequest upgrade, bool echo_subprotocol);
  // Any thread: flushes what is queued and closes with `reason`, cancelling any reply.
  void Close(CloseReason reason);
  // Any thread: closes with 1001 once the active reply (if any) has ended.
  void Drain();
  // Any thread, once per ping interval (gateway/heartbeat.h): drops the connection if it
  // has been idle too long, else pings the client.
  void Heartbeat();
  // Any thread, after the credentials were reloaded: closes with 4001 when the key or JWT
  // key this connection was opened with is gone.
  void Revalidate();

  const std::string& id() const { return session_.id(); }

 private:
  void OnAccept(boost::beast::error_code ec);
  void MaybeRead();
  void OnRead(boost::beast::error_code ec, size_t bytes);
  void HandleMessage(std::string_view message);
  void ReleaseMessage();
  // One client frame (a message or a control frame) against --limit-frames-per-second;
  // false when over it (the connection is then closing with 1008).
  bool CountFrame();

  // The credential's expiry: token_expired at its exp, a close after the leeway.
  void WatchCredential();
  void OnCredentialTimer(uint64_t generation);

  void OnHeartbeat();
  void Touch() { last_activity_ = std::chrono::steady_clock::now(); }

  // ChatSession::Link
  void OnFramesQueued() override;
  void OnReplyEnded() override;
  void OnAuthenticate(std::string token) override;
  bool open() const override { return !closing_; }
  boost::asio::any_io_executor executor() override { return ws_.get_executor(); }
  std::weak_ptr<ChatSession> handle() override {
    return std::shared_ptr<ChatSession>(shared_from_this(), &session_);
  }
  IdentityLimits::Lease& lease() override { return lease_; }

  void DoWrite();
  void OnWrite(boost::beast::error_code ec, size_t bytes);
  void DoClose(CloseReason reason);
  void SendClose(const CloseReason& reason);
  // Drops the TCP connection without a handshake (dead or unreadable peer).
  void Abort(std::string_view why);
  // Ends the connection's work after it is gone; `reason` is for the log.
  void Teardown(std::string_view reason);
  // Gives the registry slot back, once: at teardown or, failing that, destruction.
  void ReleaseSlot();
  size_t max_outbound() const;

  // Only for credentials that expire (JWTs): most connections never allocate it.
  struct CredentialWatch {
    explicit CredentialWatch(const boost::asio::any_io_executor& executor) : timer(executor) {}
    boost::asio::steady_timer timer;
    uint64_t generation = 0;  // a renewal voids the timer's pending wait
    bool expired = false;     // token_expired was sent; the leeway runs
  };

  // Without permessage-deflate, which is never negotiated here: leaner per connection.
  boost::beast::websocket::stream<TransportStream, /*deflateSupported=*/false> ws_;
  const GatewayServices& services_;
  std::shared_ptr<const Principal> principal_;
  IdentityLimits::Lease lease_;
  // After lease_, which it points to.
  ChatSession session_;
  const std::chrono::steady_clock::time_point opened_at_;
  // Idle connections wait for their next message with only this small buffer; a message
  // that does not fit continues in message_, which holds no memory between messages.
  // message_ is bounded by --max-message-bytes (one byte more is read to detect excess).
  std::array<char, 64> first_read_;
  std::string message_;
  size_t message_bytes_ = 0;  // of message_, what has been read (the rest is read room)
  std::chrono::steady_clock::time_point last_activity_;
  common::TokenBucket frames_;
  std::unique_ptr<CloseReason> close_when_flushed_;
  std::unique_ptr<CredentialWatch> credential_;
  bool reading_ = false;
  bool ping_in_flight_ = false;
  bool registered_ = false;
  bool slot_released_ = false;
  bool draining_ = false;  // close once the active reply ends
  bool closing_ = false;   // no new reads or frames; close pending or done
  bool torn_down_ = false;
};

}  // namespace streamgate::gateway
