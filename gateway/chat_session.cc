#include "gateway/chat_session.h"

#include <algorithm>
#include <boost/asio/dispatch.hpp>

#include "absl/time/clock.h"
#include "common/ids.h"
#include "common/log.h"
#include "gateway/chat_session_state.h"
#include "gateway/gateway_config.h"
#include "gateway/gateway_metrics.h"
#include "gateway/llm_client.h"
#include "gateway/session_table.h"
#include "gateway/store/session_store.h"

namespace streamgate::gateway {

namespace {

using ErrorCode = boost::system::error_code;

// A crash may lose what the store had not committed; the seqs handed out are reserved ahead
// in blocks, so a client's lastSeq up to the reservation is still genuine after a restart.
constexpr uint64_t kSeqReserveBlock = 1024;
// An attached session's frames go to the store once per this many flush intervals.
constexpr int kAttachedFlushIntervals = 5;
// A detached session reports its size to the table's budget in steps this big.
constexpr size_t kDetachedReportStep = 16 * 1024;

constexpr uint16_t kCloseTakenOver = 4000;
constexpr uint16_t kCloseServiceRestart = 1012;

}  // namespace

ChatSession::ChatSession(const GatewayServices& services, Executor executor,
                         std::shared_ptr<const Principal> owner)
    : services_(services),
      executor_(std::move(executor)),
      owner_(std::move(owner)),
      account_(services.identities->Join(owner_->identity)),
      log_(&id_),
      persistent_(services.config->resume_window > absl::ZeroDuration()) {}

ChatSession::~ChatSession() = default;

ChatSession::Lifecycle& ChatSession::life() {
  if (!life_) life_ = std::make_unique<Lifecycle>();
  return *life_;
}

uint64_t ChatSession::reserved_seq() const { return life_ ? life_->reserved_seq : 0; }

int64_t ChatSession::LastSeenPutMs() const { return life_ ? life_->last_seen_put_ms : 0; }

int64_t ChatSession::LastSeenRefreshMs() const {
  return absl::ToInt64Milliseconds(
      std::min(services_.config->resume_window / 8, absl::Seconds(15)));
}

int64_t ChatSession::NowMs() const { return absl::ToUnixMillis(absl::Now()); }

void ChatSession::Open() {
  id_ = common::NewUuidV4();
  services_.sessions->Add(shared_from_this());
}

void ChatSession::Attach(std::shared_ptr<Peer> peer, uint64_t attach_id) {
  peer_ = std::move(peer);
  attach_id_ = attach_id;
  peer_busy_ = false;
  state_ = State::kAttached;
  std::string token = tokens_.Issue();
  PersistSession();
  const GatewayConfig& config = *services_.config;
  ClientLimits limits{.max_message_bytes = config.max_message_bytes,
                      .max_active_replies = config.max_active_replies,
                      .max_conversations = config.max_conversations};
  ServiceStatus service = services_.llm->reachability().Current();
  told_service_version_ = service.version;
  SendEphemeral(
      [&](uint64_t seq) { return EncodeConnectionEstablished(id_, seq, token, limits, service); });
}

void ChatSession::OnServiceStatus(std::shared_ptr<const ServiceStatus> status) {
  if (state_ != State::kAttached || !peer_ || status->version <= told_service_version_) return;
  told_service_version_ = status->version;
  status_to_send_ = std::move(status);
  Pump();
}

void ChatSession::Pump() {
  if (peer_ && !peer_busy_ && status_to_send_) {
    auto status = std::move(status_to_send_);
    peer_busy_ = true;
    peer_->Deliver(
        attach_id_,
        ReplayLog::Frame{
            .seq = 0, .text = std::make_shared<const std::string>(EncodeStatus(id_, 0, *status))});
  }
  while (peer_ && !peer_busy_ && log_.has_pending()) {
    ReplayLog::Frame frame = log_.TakeNext();
    if (!frame.text) continue;  // an ephemeral frame another connection already got
    peer_busy_ = true;
    peer_->Deliver(attach_id_, std::move(frame));
  }
  if (peer_ && !peer_busy_ && !log_.has_pending() && draining_ && active_replies_ == 0) {
    // Draining and everything is out: the going_away went last; close.
    auto peer = std::move(peer_);
    attach_id_ = 0;
    peer->CloseConnection(kCloseServiceRestart, "service restart");
  }
  ApplyBackpressure();
  ReportQueuedBytes(state_ == State::kAttached ? log_.pending_bytes() : 0);
  if (log_.last_seq() + kSeqReserveBlock / 2 > reserved_seq()) PersistSession();
  SchedulePersist();
}

void ChatSession::ReportQueuedBytes(size_t pending) {
  auto now = static_cast<uint32_t>(std::min<size_t>(pending, UINT32_MAX));
  if (now == reported_queued_bytes_) return;
  services_.metrics->AddQueuedBytes(static_cast<int64_t>(now) -
                                    static_cast<int64_t>(reported_queued_bytes_));
  reported_queued_bytes_ = now;
}

void ChatSession::ObserveWritten() {
  const bool ended = life_ && !life_->ended_timings.empty();
  if (active_replies_ == 0 && !ended) return;
  const uint64_t written = log_.handed_seq();
  std::chrono::steady_clock::time_point now{};
  auto observe = [&](ChunkTiming& timing) {
    if (timing.unwritten_seq == 0 || timing.unwritten_seq > written) return false;
    if (now == std::chrono::steady_clock::time_point{}) now = std::chrono::steady_clock::now();
    if (timing.last_written_at == std::chrono::steady_clock::time_point{}) {
      services_.metrics->ObserveFirstChunk(now - timing.asked_at, timing.upstream_first_delta);
    } else {
      services_.metrics->ObserveChunkGap(now - timing.last_written_at);
    }
    timing.last_written_at = now;
    timing.unwritten_seq = 0;
    return true;
  };
  if (active_replies_ > 0) {
    for (auto& conversation : *conversations_) {
      if (conversation->reply) observe(conversation->reply->timing);
    }
  }
  if (ended) std::erase_if(life_->ended_timings, observe);
}

void ChatSession::ApplyBackpressure() {
  const GatewayConfig& config = *services_.config;
  if (state_ == State::kAttached) {
    size_t bound = static_cast<size_t>(config.max_outbound_bytes);
    if (!replies_paused_ && log_.pending_bytes() > bound) {
      services_.metrics->CountSlowReaderPause();
      PauseReplies(true);
    } else if (replies_paused_ && log_.pending_bytes() <= bound / 2) {
      PauseReplies(false);
    }
    bool pause_reading = log_.pending_bytes() > bound;
    if (peer_ && pause_reading != reading_paused_) {
      reading_paused_ = pause_reading;
      peer_->PauseReading(pause_reading);
    }
    if (log_.bytes() > static_cast<size_t>(config.replay_max_bytes)) {
      log_.EnforceBound(static_cast<size_t>(config.replay_max_bytes));
    }
  } else if (state_ == State::kDetached) {
    // Nobody reads: the log is the only place a running reply can go; at its bound the
    // reply waits (in llm-service's flow control) for a resume or the window's end.
    if (!replies_paused_ && log_.bytes() > static_cast<size_t>(config.replay_max_bytes)) {
      PauseReplies(true);
    }
    ReportDetachedBytes();
  }
}

void ChatSession::OnDelivered(uint64_t attach_id) {
  if (attach_id != attach_id_ || !peer_) return;
  peer_busy_ = false;
  ObserveWritten();
  Pump();
}

void ChatSession::Detach(uint64_t attach_id) {
  if (attach_id != attach_id_ || state_ != State::kAttached) return;
  peer_.reset();
  status_to_send_.reset();
  attach_id_ = 0;
  peer_busy_ = false;
  reading_paused_ = false;
  ReportQueuedBytes(0);
  if (life_) life_->ended_timings.clear();
  // Without a window a disconnect ends the session, as before.
  if (!persistent_) return Close("disconnected");
  // While draining, the next process takes over from the store.
  if (draining_) return Persist();
  state_ = State::kDetached;
  // last_seen is when the window started: a restart judges by it whether the window passed.
  PersistSession();
  SchedulePersist();  // detached, the store's copy is the one a resume may need
  StartWindow();
  ApplyBackpressure();  // the session table counts it detached from here
  common::Logger("session")->info("session detached session={} replies={} log_bytes={}", id_,
                                  active_replies_, log_.bytes());
}

void ChatSession::StartWindow() {
  Lifecycle& lifecycle = life();
  if (!lifecycle.window_timer)
    lifecycle.window_timer = std::make_unique<boost::asio::steady_timer>(executor_);
  uint64_t generation = ++lifecycle.window_generation;
  lifecycle.window_timer->expires_after(
      absl::ToChronoMilliseconds(services_.config->resume_window));
  lifecycle.window_timer->async_wait([weak = weak_from_this(), generation](ErrorCode ec) {
    if (ec) return;
    if (auto self = weak.lock()) self->OnWindow(generation);
  });
}

void ChatSession::OnWindow(uint64_t generation) {
  if (generation != life().window_generation || state_ != State::kDetached) return;
  Close("resume_window");
}

void ChatSession::Expire(std::string_view why) {
  if (state_ != State::kDetached) return;
  Close(why);
}

void ChatSession::Discard() {
  if (state_ == State::kClosed) return;
  peer_.reset();
  attach_id_ = 0;
  CancelReplies();
  state_ = State::kClosed;
  if (life_ && life_->window_timer) life_->window_timer->cancel();
  if (life_ && life_->persist_timer) life_->persist_timer->cancel();
  if (stored_) services_.store->DeleteSession(id_);
  ReportQueuedBytes(0);
  services_.sessions->Remove(this);
}

void ChatSession::Close(std::string_view why) {
  if (state_ == State::kClosed) return;
  CancelReplies();
  State was = state_;
  state_ = State::kClosed;
  if (life_ && life_->window_timer) life_->window_timer->cancel();
  if (life_ && life_->persist_timer) life_->persist_timer->cancel();
  if (stored_) {
    // No token works any more; the conversations stay in the store until --session-ttl.
    tokens_.Revoke();
    PersistSession();
    services_.store->DropFramesBelow(id_, log_.last_seq() + 1);
  }
  if (was == State::kDetached) services_.sessions->SetDetachedBytes(this, 0);
  ReportQueuedBytes(0);
  peer_.reset();
  services_.sessions->Remove(this);
  common::Logger("session")->info("session end session={} reason={}", id_, why);
}

void ChatSession::ReportDetachedBytes() {
  Lifecycle& lifecycle = life();
  size_t bytes = state_ == State::kDetached ? std::max<size_t>(log_.bytes(), 1) : 0;
  size_t delta = bytes > lifecycle.reported_detached_bytes
                     ? bytes - lifecycle.reported_detached_bytes
                     : lifecycle.reported_detached_bytes - bytes;
  if (bytes != 0 && lifecycle.reported_detached_bytes != 0 && delta < kDetachedReportStep) return;
  lifecycle.reported_detached_bytes = bytes;
  services_.sessions->SetDetachedBytes(this, bytes);
}

void ChatSession::Resume(std::shared_ptr<Peer> peer, uint64_t attach_id, ResumeRequest request,
                         std::function<void(ResumeResult)> done) {
  auto log = common::Logger("session");
  ResumeResult result;
  if (state_ == State::kClosed) {
    ResumeTokens::CompareWithNothing(request.token);
    result.failure = ResumeFailure::kExpired;
    return done(result);
  }
  // Another identity's session does not exist for it; the token is compared all the same.
  // (Without authentication there is no identity to check: the token alone proves it.)
  if (!request.identity.empty() && request.identity != owner_->identity) {
    ResumeTokens::CompareWithNothing(request.token);
    result.failure = ResumeFailure::kUnknownSession;
    return done(result);
  }
  if (!tokens_.Accepts(request.token)) {
    result.failure = ResumeFailure::kBadToken;
    return done(result);
  }
  uint64_t last = request.last_seq;
  if (last > log_.last_seq()) {
    if (last > reserved_seq() || !restored_) {
      result.failure = ResumeFailure::kAhead;
      return done(result);
    }
    // Restored after a crash: the client saw frames the store lost. It keeps its text;
    // nothing is sent twice and numbering goes on after what it saw.
    log_.SkipTo(last);
  } else if (!log_.RewindTo(last)) {
    result.failure = ResumeFailure::kGap;
    result.oldest_seq = log_.oldest_seq();
    return done(result);
  }
  if (peer_) {
    // A half-dead connection still holds the session: the new one takes it over.
    log->info("session taken over session={}", id_);
    peer_->CloseConnection(kCloseTakenOver, "session resumed elsewhere");
  }
  log_.Acknowledge(last);
  std::string token = tokens_.Rotate(request.token);
  bool was_detached = state_ == State::kDetached;
  peer_ = std::move(peer);
  attach_id_ = attach_id;
  peer_busy_ = false;
  reading_paused_ = false;
  state_ = State::kAttached;
  ++life().window_generation;
  if (life().window_timer) life().window_timer->cancel();
  if (was_detached) {
    life().reported_detached_bytes = 0;
    services_.sessions->SetDetachedBytes(this, 0);
  }
  PersistSession();
  result.ok = true;
  done(result);
  // A reply a crash or a drain deadline cut off ends now, after the text the client has:
  // part of the replay (session_resumed follows the last frame replayed).
  for (const Lifecycle::Interrupted& reply : life().interrupted) {
    services_.metrics->CountReplyEnded(ReplyOutcome::kInterrupted);
    SendConversationError(reply.conversation, reply.request_id, ClientError::kInterrupted);
  }
  life().interrupted.clear();
  uint64_t replayed = log_.ReplayableAfter(last);
  log->info("session resumed session={} last_seq={} replayed={}", id_, last, replayed);
  SendEphemeral([&](uint64_t seq) { return EncodeSessionResumed(id_, seq, replayed, token); });
}

void ChatSession::Drain(int64_t retry_after_ms) {
  // Once: a connection that finished its handshake as the drain began is told by both.
  if (state_ == State::kClosed || draining_) return;
  draining_ = true;
  life().drain_retry_after_ms = retry_after_ms;
  if (state_ == State::kDetached) return Persist();
  if (active_replies_ == 0) {
    SendEphemeral([&](uint64_t seq) { return EncodeGoingAway(id_, seq, retry_after_ms); });
  }
}

bool ChatSession::Storable() {
  // A session with nothing but its connection_established has nothing to resume after a
  // restart: it costs the store nothing (idle connections are the many).
  if (!persistent_ || (!stored_ && !conversations_)) return false;
  stored_ = true;
  return true;
}

void ChatSession::Persist() {
  if (state_ == State::kClosed || !Storable()) return;
  log_.SealTail();
  FlushFrames();
  // Exact now: after a clean shutdown no seq beyond the last is in doubt.
  life().reserved_seq = log_.last_seq();
  PutSessionRow();
}

void ChatSession::PersistSession() {
  if (!Storable()) return;
  Lifecycle& lifecycle = life();
  if (log_.last_seq() + kSeqReserveBlock / 2 > lifecycle.reserved_seq) {
    lifecycle.reserved_seq = log_.last_seq() + kSeqReserveBlock;
  }
  PutSessionRow();
}

void ChatSession::PutSessionRow() {
  Lifecycle& lifecycle = life();
  int64_t now_ms = NowMs();
  if (lifecycle.created_at_ms == 0) lifecycle.created_at_ms = now_ms;
  lifecycle.last_seen_put_ms = now_ms;
  services_.store->PutSession(
      StoredSession{.id = id_,
                    .identity = owner_->identity,
                    .token_hash = std::string(tokens_.newest_hash()),
                    .previous_token_hash = std::string(tokens_.previous_hash()),
                    .created_at_ms = lifecycle.created_at_ms,
                    .last_seen_ms = now_ms,
                    .seq_reserved = lifecycle.reserved_seq});
}

void ChatSession::SchedulePersist() {
  if (!stored_ || state_ == State::kClosed) return;
  Lifecycle& lifecycle = life();
  if (log_.last_seq() <= lifecycle.persisted_seq) return;
  // While a connection reads the frames, the store's copy matters only after a crash, and
  // then only for the reply in flight (the end of a reply goes within one interval, with
  // its conversation). Writing it every fifth interval makes the store write a fifth as
  // many runs (most of its work is the pages they touch); the price is that after a kill
  // -9 a running reply resumes with up to five intervals less of its text.
  bool soon = state_ != State::kAttached || draining_ || lifecycle.flush_soon;
  if (lifecycle.persist_scheduled && !(soon && lifecycle.persist_long)) return;
  // Not armed, or armed for the long wait and now needed sooner: (re-)arm. Re-arming
  // cancels the pending wait, whose handler then does nothing.
  lifecycle.persist_scheduled = true;
  lifecycle.persist_long = !soon;
  if (!lifecycle.persist_timer)
    lifecycle.persist_timer = std::make_unique<boost::asio::steady_timer>(executor_);
  lifecycle.persist_timer->expires_after(absl::ToChronoMilliseconds(
      services_.config->store_flush_interval * (soon ? 1 : kAttachedFlushIntervals)));
  lifecycle.persist_timer->async_wait([weak = weak_from_this()](ErrorCode ec) {
    if (ec) return;
    if (auto self = weak.lock()) {
      self->life_->persist_scheduled = false;
      self->FlushFrames();
      self->SchedulePersist();
    }
  });
}

void ChatSession::FlushFrames() {
  if (!stored_) return;
  Lifecycle& lifecycle = life();
  lifecycle.flush_soon = false;
  std::vector<ReplayLog::Frame> frames = log_.FinalFramesAfter(lifecycle.persisted_seq);
  if (!frames.empty()) {
    std::vector<StoredFrame> stored;
    stored.reserve(frames.size());
    for (auto& frame : frames) {
      stored.push_back(StoredFrame{frame.seq, frame.text ? *frame.text : std::string()});
    }
    lifecycle.persisted_seq = frames.back().seq;
    services_.store->AppendFrames(id_, std::move(stored));
  }
  uint64_t oldest = log_.oldest_seq();
  if (oldest > lifecycle.dropped_below) {
    lifecycle.dropped_below = oldest;
    services_.store->DropFramesBelow(id_, oldest);
  }
}

}  // namespace streamgate::gateway
