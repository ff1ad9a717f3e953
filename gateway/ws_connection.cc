#include "gateway/ws_connection.h"

#include <algorithm>
#include <atomic>
#include <boost/asio/bind_allocator.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>

#include "common/log.h"
#include "gateway/auth/upgrade_credentials.h"
#include "gateway/connection_registry.h"
#include "gateway/gateway_config.h"
#include "gateway/gateway_metrics.h"
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
      opened_at_(std::chrono::steady_clock::now()) {}

WsConnection::~WsConnection() { ReleaseSlot(); }

uint64_t WsConnection::NextAttachId() {
  static std::atomic<uint64_t> next{1};
  return next.fetch_add(1, std::memory_order_relaxed);
}

bool WsConnection::OnOwnLoop() {
  // A thread-local lookup: whether this thread is running the connection's io_context.
  return ws_.get_executor().running_in_this_thread();
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
  if (auto header = upgrade.find("traceparent"); header != upgrade.end()) {
    if (auto trace = common::ParseTraceparent(
            std::string_view(header->value().data(), header->value().size()))) {
      upgrade_trace_ = std::make_unique<const common::TraceContext>(*std::move(trace));
    }
  }
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
    services_.metrics->CountUpgrade(UpgradeResult::kBadRequest);
    common::Logger("session")->info("handshake failed error=\"{}\"", ec.message());
    return;
  }
  services_.metrics->CountUpgrade(UpgradeResult::kAccepted);
  registered_ = true;
  services_.registry->Add(this, weak_from_this());
  // The connection's own session, on its loop: every call between them is a plain call.
  session_ = std::make_shared<ChatSession>(services_, ws_.get_executor(), principal_);
  session_here_ = true;
  session_->Open();
  attach_id_ = NextAttachId();
  beast::error_code ignored;
  auto peer = ws_.next_layer().socket().remote_endpoint(ignored);
  common::Logger("session")->info("session open session={} peer={}:{} identity={} tls={}",
                                  session_id(), peer.address().to_string(), peer.port(),
                                  principal_->identity, ws_.next_layer().is_tls());
  Touch();
  session_->Attach(shared_from_this(), attach_id_);
  WatchCredential();
  MaybeRead();
  // A drain that began while this handshake was running must reach this connection too.
  if (services_.draining->load()) session_->Drain(DrainRetryAfterMs(*services_.config));
}

void WsConnection::MaybeRead() {
  // A client that does not read what it is sent gets nothing more read from it either; and
  // nothing is read while a resume decides which session this connection serves.
  if (reading_ || closing_ || read_paused_ || resuming_) return;
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
    message_bytes_ = static_cast<uint32_t>(bytes);
    return MaybeRead();
  }
  message_bytes_ += static_cast<uint32_t>(bytes);  // never past the limit it was read to
  message_.resize(message_bytes_);
  if (message_bytes_ > static_cast<size_t>(services_.config->max_message_bytes)) {
    common::Logger("session")->info("message too big session={} limit={}", session_id(),
                                    services_.config->max_message_bytes);
    ReleaseMessage();
    // Beast's close discards the rest of the message while it waits for the client's close.
    return DoClose(CloseReason(websocket::close_code::too_big, "message too big"));
  }
  if (ws_.is_message_done()) {
    // Released before it is handled: handling may start the next read (a resume decided
    // at once), which must find the buffer empty.
    std::string message = std::move(message_);
    message.resize(message_bytes_);
    ReleaseMessage();
    HandleMessage(message);
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
  services_.metrics->CountRateLimited(RateLimit::kFramesPerSecond);
  uint64_t suppressed = 0;
  if (FrameFloodLog().Admit(&suppressed)) {
    common::Logger("session")->warn(
        "frame rate exceeded session={} identity={} limit_per_second={} repeated={}", session_id(),
        principal_->identity, rate, suppressed);
  }
  DoClose(CloseReason(websocket::close_code::policy_error, "rate limit"));
  return false;
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

// --- ChatSession::Peer (called on the session's loop) ---

void WsConnection::Deliver(uint64_t attach_id, ReplayLog::Frame frame) {
  if (OnOwnLoop()) return OnDeliver(attach_id, std::move(frame));
  net::dispatch(ws_.get_executor(),
                [self = shared_from_this(), attach_id, frame = std::move(frame)]() mutable {
                  self->OnDeliver(attach_id, std::move(frame));
                });
}

void WsConnection::PauseReading(bool paused) {
  auto apply = [self = shared_from_this(), paused] {
    self->read_paused_ = paused;
    if (!paused) self->MaybeRead();
  };
  if (OnOwnLoop()) return apply();
  net::dispatch(ws_.get_executor(), std::move(apply));
}

void WsConnection::CloseConnection(uint16_t code, std::string reason) {
  auto close = [self = shared_from_this(), code, reason = std::move(reason)] {
    // The session has let go of this connection already; nothing more comes from it.
    self->detached_by_session_ = self->attach_id_;
    self->DoClose(CloseReason(static_cast<websocket::close_code>(code), reason));
  };
  if (OnOwnLoop()) return close();
  net::dispatch(ws_.get_executor(), std::move(close));
}

// --- writes ---

void WsConnection::OnDeliver(uint64_t attach_id, ReplayLog::Frame frame) {
  // A frame of the fresh session a resume just left behind is of no use any more.
  if (attach_id != attach_id_ || torn_down_) return;
  if (writing_) {
    // The session hands one frame at a time; the other one in flight is the left session's.
    queued_ = std::make_unique<Queued>(Queued{std::move(frame), attach_id});
    return;
  }
  DoWrite(std::move(frame), attach_id);
}

void WsConnection::DoWrite(ReplayLog::Frame frame, uint64_t attach_id) {
  writing_ = true;
  in_flight_ = std::move(frame);
  in_flight_attach_ = attach_id;
  ws_.text(true);
  ws_.async_write(net::buffer(*in_flight_.text),
                  beast::bind_front_handler(&WsConnection::OnWrite, shared_from_this()));
}

void WsConnection::OnWrite(beast::error_code ec, size_t /*bytes*/) {
  writing_ = false;
  in_flight_.text.reset();
  if (ec) {
    queued_.reset();
    return Teardown(IsOrdinaryEnd(ec) ? "client_closed" : "write_error:" + ec.message());
  }
  Touch();  // the peer is reading: it is alive
  if (in_flight_attach_ == attach_id_ && attach_id_ != detached_by_session_) {
    WithSession([attach_id = attach_id_](ChatSession& session) { session.OnDelivered(attach_id); });
  }
  if (writing_) return;  // the session delivered its next frame at once
  if (queued_) {
    auto queued = std::move(queued_);
    return DoWrite(std::move(queued->frame), queued->attach_id);
  }
  if (close_when_flushed_) {
    CloseReason reason = *close_when_flushed_;
    close_when_flushed_.reset();
    SendClose(reason);
    return;
  }
  MaybeRead();
}

// --- closing ---

void WsConnection::Close(CloseReason reason) {
  net::dispatch(ws_.get_executor(), [self = shared_from_this(), reason] { self->DoClose(reason); });
}

void WsConnection::DoClose(CloseReason reason) {
  if (closing_ || torn_down_) return;
  closing_ = true;
  // What is being written (a final stream_end, an error) still goes out before the close
  // frame.
  if (writing_ || queued_) {
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
  // The session stays (for --resume-window) with its replies running into its log; it only
  // needs to know nobody reads them here any more.
  if (session_ && attach_id_ != detached_by_session_) {
    WithSession([attach_id = attach_id_](ChatSession& session) { session.Detach(attach_id); });
  }
  if (credential_) credential_->timer.cancel();
  // The connection is gone even if pending handlers still hold this object for a moment.
  // (Released before the log line, which tests and operators read as "slot free".)
  ReleaseSlot();
  lease_ = IdentityLimits::Lease();
  auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - opened_at_);
  common::Logger("session")->info("connection close session={} reason={} ms={}", session_id(),
                                  reason, elapsed.count());
  // The session is held by the table; this connection lets go of it.
  if (!resuming_) session_.reset();
}

}  // namespace streamgate::gateway
