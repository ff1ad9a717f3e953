#include "gateway/ws_connection.h"

#include <algorithm>
#include <boost/asio/bind_allocator.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>

#include "absl/time/clock.h"
#include "common/log.h"
#include "gateway/auth/authenticator.h"
#include "gateway/auth/upgrade_credentials.h"
#include "gateway/connection_registry.h"
#include "gateway/gateway_config.h"
#include "gateway/unrecycled_allocator.h"

namespace streamgate::gateway {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace http = beast::http;

namespace {

bool IsOrdinaryEnd(const beast::error_code& ec) {
  return ec == websocket::error::closed || ec == net::error::operation_aborted ||
         ec == net::error::eof || ec == net::error::connection_reset ||
         ec == net::error::broken_pipe || ec == beast::error::timeout ||
         ec == net::ssl::error::stream_truncated;
}

std::chrono::milliseconds Ms(absl::Duration duration) {
  return absl::ToChronoMilliseconds(duration);
}

// One throttle for the whole process: a flood from many connections is one line a window.
common::SharedLogThrottle& FrameFloodLog() {
  static common::SharedLogThrottle throttle;
  return throttle;
}

}  // namespace

WsConnection::WsConnection(TransportStream&& stream, const GatewayServices& services,
                           std::shared_ptr<const Principal> principal, IdentityLimits::Lease lease)
    : ws_(std::move(stream)),
      services_(services),
      principal_(std::move(principal)),
      lease_(std::move(lease)),
      session_(services, this),
      opened_at_(std::chrono::steady_clock::now()) {}

WsConnection::~WsConnection() { ReleaseSlot(); }

size_t WsConnection::max_outbound() const {
  return static_cast<size_t>(services_.config->max_outbound_bytes);
}

void WsConnection::ReleaseSlot() {
  if (slot_released_) return;
  slot_released_ = true;
  if (registered_) {
    services_.registry->Remove(this);
  } else {
    services_.registry->Unreserve();
  }
}

void WsConnection::Run(UpgradeRequest upgrade, bool echo_subprotocol) {
  websocket::stream_base::timeout timeouts{};
  timeouts.handshake_timeout = Ms(services_.config->handshake_timeout);  // also bounds closing
  timeouts.idle_timeout = websocket::stream_base::none();
  timeouts.keep_alive_pings = false;
  ws_.set_option(timeouts);
  ws_.set_option(
      websocket::stream_base::decorator([echo_subprotocol](websocket::response_type& response) {
        response.set(http::field::server, "streamgate");
        // Only the protocol name: a bearer token offered next to it is never echoed.
        if (echo_subprotocol) response.set(http::field::sec_websocket_protocol, kSubprotocol);
      }));
  // The size limit is enforced while reading into message_ instead, so that the close frame
  // can carry a reason (Beast's own limit closes with a bare 1009).
  ws_.read_message_max(0);
  ws_.control_callback([this](websocket::frame_type, beast::string_view) {
    Touch();
    CountFrame();
  });
  ws_.async_accept(upgrade, beast::bind_front_handler(&WsConnection::OnAccept, shared_from_this()));
}

void WsConnection::OnAccept(beast::error_code ec) {
  if (ec) {
    common::Logger("session")->info("handshake failed error=\"{}\"", ec.message());
    return;
  }
  registered_ = true;
  services_.registry->Add(this, weak_from_this());
  beast::error_code ignored;
  auto peer = ws_.next_layer().socket().remote_endpoint(ignored);
  common::Logger("session")->info("session open session={} peer={}:{} identity={} tls={}", id(),
                                  peer.address().to_string(), peer.port(), principal_->identity,
                                  ws_.next_layer().is_tls());
  Touch();
  session_.Start();
  WatchCredential();
  MaybeRead();
  // A drain that began while this handshake was running must reach this connection too.
  if (services_.draining->load()) Drain();
}

void WsConnection::MaybeRead() {
  if (reading_ || closing_) return;
  // A client that does not read what it is sent gets nothing more read from it either.
  if (session_.outbox().bytes() > max_outbound()) return;
  reading_ = true;
  auto on_read =
      net::bind_allocator(UnrecycledAllocator<void>(),
                          beast::bind_front_handler(&WsConnection::OnRead, shared_from_this()));
  if (message_bytes_ == 0) return ws_.async_read_some(net::buffer(first_read_), std::move(on_read));
  // Reading one byte past the limit is how a message is known to be too big.
  static constexpr size_t kReadStep = 4096;
  size_t limit = static_cast<size_t>(services_.config->max_message_bytes) + 1;
  message_.resize(message_bytes_ + std::min(kReadStep, limit - message_bytes_));
  ws_.async_read_some(
      net::buffer(message_.data() + message_bytes_, message_.size() - message_bytes_),
      std::move(on_read));
}

void WsConnection::OnRead(beast::error_code ec, size_t bytes) {
  reading_ = false;
  if (ec) {
    if (IsOrdinaryEnd(ec)) return Teardown("client_closed");
    return Teardown("read_error:" + ec.message());
  }
  Touch();
  if (message_bytes_ == 0) {
    if (ws_.is_message_done()) {
      HandleMessage(std::string_view(first_read_.data(), bytes));
      return MaybeRead();
    }
    message_.assign(first_read_.data(), bytes);
    message_bytes_ = bytes;
    return MaybeRead();
  }
  message_bytes_ += bytes;
  message_.resize(message_bytes_);
  if (message_bytes_ > static_cast<size_t>(services_.config->max_message_bytes)) {
    common::Logger("session")->info("message too big session={} limit={}", id(),
                                    services_.config->max_message_bytes);
    ReleaseMessage();
    // Beast's close discards the rest of the message while it waits for the client's close.
    return DoClose(CloseReason(websocket::close_code::too_big, "message too big"));
  }
  if (ws_.is_message_done()) {
    HandleMessage(message_);
    ReleaseMessage();
  }
  MaybeRead();
}

void WsConnection::ReleaseMessage() {
  message_bytes_ = 0;
  message_.clear();
  message_.shrink_to_fit();
}

bool WsConnection::CountFrame() {
  int64_t rate = services_.config->limit_frames_per_second;
  if (rate <= 0 || closing_) return !closing_;
  common::TokenBucketRule rule(static_cast<double>(rate), 2.0 * static_cast<double>(rate));
  if (rule.TryTake(frames_, std::chrono::steady_clock::now())) return true;
  uint64_t suppressed = 0;
  if (FrameFloodLog().Admit(&suppressed)) {
    common::Logger("session")->warn(
        "frame rate exceeded session={} identity={} limit_per_second={} repeated={}", id(),
        principal_->identity, rate, suppressed);
  }
  DoClose(CloseReason(websocket::close_code::policy_error, "rate limit"));
  return false;
}

void WsConnection::HandleMessage(std::string_view message) {
  if (!CountFrame()) return;
  if (ws_.got_text()) return session_.HandleText(message);
  session_.HandleBinary(message.size());
}

// --- credentials that expire ---

void WsConnection::WatchCredential() {
  if (principal_->expires == absl::InfiniteFuture()) return;
  if (!credential_) credential_ = std::make_unique<CredentialWatch>(ws_.get_executor());
  uint64_t generation = ++credential_->generation;
  absl::Time when =
      credential_->expired ? principal_->expires + services_.auth->leeway() : principal_->expires;
  // Rounded up, so the wait never ends before `when`.
  credential_->timer.expires_after(
      absl::ToChronoMilliseconds(std::max(absl::ZeroDuration(), when - absl::Now())) +
      std::chrono::milliseconds(1));
  credential_->timer.async_wait([self = shared_from_this(), generation](beast::error_code ec) {
    if (!ec) self->OnCredentialTimer(generation);
  });
}

void WsConnection::OnCredentialTimer(uint64_t generation) {
  if (generation != credential_->generation || closing_) return;
  // The timer runs on the steady clock, exp is wall time: a wake-up a moment early waits for
  // the rest, so that "expired" is never said of a token the verifier still takes as valid.
  absl::Time due = credential_->expired ? principal_->expires + services_.auth->leeway()
                                        : principal_->expires;
  if (absl::Now() < due) return WatchCredential();
  if (!credential_->expired) {
    common::Logger("session")->info("credential expired session={} identity={}", id(),
                                    principal_->identity);
    credential_->expired = true;
    session_.SendError(ClientError::kTokenExpired);
    return WatchCredential();
  }
  common::Logger("session")->info("closing session={} reason=credential_expired", id());
  DoClose(CloseReason(kCloseUnauthorized, "token expired"));
}

void WsConnection::OnAuthenticate(std::string token) {
  auto log = common::Logger("session");
  if (principal_->expires == absl::InfiniteFuture() || services_.auth->mode() != AuthMode::kJwt) {
    log->info(
        "bad client message session={} code=invalid_message detail=\"authenticate "
        "without a JWT connection\"",
        id());
    return session_.SendError(ClientError::kInvalidMessage);
  }
  absl::Time now = absl::Now();
  Authenticator::Outcome outcome = services_.auth->Authenticate(token, now);
  // The verifier accepts a token up to its leeway past exp; a renewal must not be one that
  // has already expired, or it would only restart the countdown it is meant to end.
  std::string_view refusal = outcome.principal == nullptr ? std::string_view(outcome.reason)
                             : outcome.principal->identity != principal_->identity
                                 ? "another identity"
                             : outcome.principal->expires <= now ? "the token has expired"
                                                                 : "";
  if (!refusal.empty()) {
    log->info("authenticate refused session={} reason=\"{}\"", id(), refusal);
    return session_.SendError(ClientError::kUnauthenticated);
  }
  principal_ = std::move(outcome.principal);
  if (credential_) credential_->expired = false;
  log->info("authenticated session={} identity={}", id(), principal_->identity);
  int64_t expires_in_ms = absl::ToInt64Milliseconds(principal_->expires - absl::Now());
  session_.Send([&](uint64_t seq) { return EncodeAuthenticated(id(), seq, expires_in_ms); });
  WatchCredential();
}

void WsConnection::Revalidate() {
  net::post(ws_.get_executor(), [self = shared_from_this()] {
    if (self->closing_ || self->services_.auth->StillValid(*self->principal_)) return;
    common::Logger("session")->info("closing session={} reason=credential_revoked identity={}",
                                    self->id(), self->principal_->identity);
    self->DoClose(CloseReason(kCloseUnauthorized, "credential revoked"));
  });
}

// --- heartbeats ---

void WsConnection::Heartbeat() {
  net::post(ws_.get_executor(), [self = shared_from_this()] { self->OnHeartbeat(); });
}

void WsConnection::OnHeartbeat() {
  if (torn_down_) return;
  auto idle = std::chrono::steady_clock::now() - last_activity_;
  if (idle >= Ms(services_.config->idle_timeout)) return Abort("idle_timeout");
  if (!ping_in_flight_ && !closing_) {
    ping_in_flight_ = true;
    ws_.async_ping(
        {}, [self = shared_from_this()](beast::error_code) { self->ping_in_flight_ = false; });
  }
}

// --- writes ---

void WsConnection::OnFramesQueued() {
  if (session_.outbox().bytes() > max_outbound()) session_.PauseReply();
  if (!session_.outbox().writing()) DoWrite();
}

void WsConnection::DoWrite() {
  ws_.text(true);
  ws_.async_write(net::buffer(session_.outbox().StartWrite()),
                  beast::bind_front_handler(&WsConnection::OnWrite, shared_from_this()));
}

void WsConnection::OnWrite(beast::error_code ec, size_t /*bytes*/) {
  Outbox& outbox = session_.outbox();
  outbox.FinishWrite();
  if (ec) {
    outbox.Clear();
    return Teardown(IsOrdinaryEnd(ec) ? "client_closed" : "write_error:" + ec.message());
  }
  Touch();  // the peer is reading: it is alive
  if (outbox.bytes() <= max_outbound() / 2) session_.ResumeReply();
  if (outbox.has_queued()) return DoWrite();
  if (close_when_flushed_) {
    CloseReason reason = *close_when_flushed_;
    close_when_flushed_.reset();
    SendClose(reason);
    return;
  }
  MaybeRead();
}

// --- closing ---

void WsConnection::OnReplyEnded() {
  if (draining_ && !closing_) DoClose(CloseReason(websocket::close_code::going_away));
}

void WsConnection::Close(CloseReason reason) {
  net::dispatch(ws_.get_executor(), [self = shared_from_this(), reason] { self->DoClose(reason); });
}

void WsConnection::Drain() {
  net::dispatch(ws_.get_executor(), [self = shared_from_this()] {
    self->draining_ = true;
    if (!self->session_.replying()) {
      self->DoClose(CloseReason(websocket::close_code::going_away));
    }
  });
}

void WsConnection::DoClose(CloseReason reason) {
  if (closing_ || torn_down_) return;
  closing_ = true;
  session_.CancelReply();
  // What is queued (a final stream_end, an error) still goes out before the close frame.
  if (session_.outbox().writing()) {
    close_when_flushed_ = std::make_unique<CloseReason>(reason);
    return;
  }
  SendClose(reason);
}

void WsConnection::SendClose(const CloseReason& reason) {
  // With no read pending (a stopped reader, a rejected message) nothing else would notice
  // that the closing handshake is over.
  ws_.async_close(reason, [self = shared_from_this()](beast::error_code ec) {
    self->Teardown(!ec || IsOrdinaryEnd(ec) ? "server_closed" : "close_error:" + ec.message());
  });
}

void WsConnection::Abort(std::string_view why) {
  beast::error_code ignored;
  auto& socket = ws_.next_layer().socket();
  socket.shutdown(TransportStream::Socket::shutdown_both, ignored);
  socket.close(ignored);
  Teardown(why);
}

void WsConnection::Teardown(std::string_view reason) {
  if (torn_down_) return;
  torn_down_ = true;
  closing_ = true;
  // A reply nobody will read must cost nothing: cancel it (and through llm-service, the
  // upstream request).
  session_.CancelReply();
  if (credential_) credential_->timer.cancel();
  // The connection is gone even if pending handlers still hold this object for a moment.
  // (Released before the log line, which tests and operators read as "slot free".)
  ReleaseSlot();
  lease_ = IdentityLimits::Lease();
  auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - opened_at_);
  common::Logger("session")->info("session close session={} reason={} ms={}", id(), reason,
                                  elapsed.count());
}

}  // namespace streamgate::gateway
