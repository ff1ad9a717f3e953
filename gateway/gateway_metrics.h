#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <string_view>

#include "common/metrics/registry.h"
#include "gateway/client_protocol.h"
#include "gateway/reply_backend.h"

namespace streamgate::gateway {

class ConnectionRegistry;

// Why an upgrade on /ws was refused, or that it was accepted (upgrades_total{result}).
enum class UpgradeResult {
  kAccepted,
  kOverCapacity,
  kDraining,
  kForbiddenOrigin,
  kUnauthenticated,
  kRateLimited,          // the address's upgrade rate
  kIdentityConnections,  // the identity's connection cap
  kBadRequest,           // the WebSocket handshake itself failed
};
inline constexpr size_t kUpgradeResults = 8;

// Which limit refused something (rate_limited_total{limit}).
enum class RateLimit {
  kUpgradesPerSecond,    // an address's upgrades (and ticket requests)
  kIdentityConnections,  // an identity's open connections
  kTickets,              // an identity's ticket requests
  kFramesPerSecond,      // a connection's frames (it is closed)
  kConcurrentReplies,    // an identity's replies at once
  kMessagesPerMinute,
  kTokensPerMinute,
};
inline constexpr size_t kRateLimits = 7;

// Why a credential was not accepted (auth_failures_total{reason}).
enum class AuthFailure {
  kMissing,    // an upgrade without any credential
  kMalformed,  // a credential that does not parse, or two of them
  kRejected,   // an API key or JWT the gateway does not accept
  kTicket,     // a ticket unknown, used or expired
  kRenewal,    // an `authenticate` frame refused
  kExpired,    // a connection's JWT ran out (token_expired sent)
};
inline constexpr size_t kAuthFailures = 6;

// How a reply ended for its client (replies_total{outcome}).
enum class ReplyOutcome { kCompleted, kCancelled, kError, kInterrupted };

// The gateway's series (docs/observability.md has every name, its labels and what it
// measures). Built once by GatewayServer into its Registry, before anything runs; every
// series is registered with all its label values here, so updates are a lock-free add on
// a reference (common/metrics/metric.h) from any thread. Reached through
// GatewayServices::metrics.
class GatewayMetrics {
 public:
  GatewayMetrics(common::metrics::Registry& registry, const ConnectionRegistry& connections);

  void CountUpgrade(UpgradeResult result) { upgrades_[static_cast<size_t>(result)]->Increment(); }
  void CountClientFrame(ClientMessage::Type type) {
    client_frames_[static_cast<size_t>(type)]->Increment();
  }
  void CountInvalidFrame() { invalid_frames_->Increment(); }
  void CountBinaryFrame() { binary_frames_->Increment(); }
  void CountErrorSent(ClientError error) { errors_sent_[static_cast<size_t>(error)]->Increment(); }
  void CountReplyEnded(ReplyOutcome outcome) {
    replies_[static_cast<size_t>(outcome)]->Increment();
  }
  // The call that carried a reply ended so (its gRPC status, from the backend's ReplyEnd).
  void CountLlmCallEnded(const ReplyEnd& end);

  using Duration = std::chrono::steady_clock::duration;
  // `upstream`: llm-service's share of `elapsed`, when it said (else 0: only the first).
  void ObserveFirstChunk(Duration elapsed, std::chrono::microseconds upstream);
  void ObserveChunkGap(Duration elapsed) { chunk_gap_->ObserveDuration(elapsed); }
  void ObserveReplyDuration(ReplyOutcome outcome, Duration elapsed) {
    reply_duration_[static_cast<size_t>(outcome)]->ObserveDuration(elapsed);
  }
  void ObserveCancel(Duration elapsed) { cancel_->ObserveDuration(elapsed); }
  // Bytes queued for clients, as each session's share changes.
  void AddQueuedBytes(int64_t delta) { queued_bytes_->Add(delta); }
  void CountMergedDelta() { frames_merged_->Increment(); }
  void CountRateLimited(RateLimit limit) { rate_limited_[static_cast<size_t>(limit)]->Increment(); }
  // An identity limit by the name IdentityLimits gives it ("messages_per_minute", ...).
  void CountRateLimited(std::string_view identity_limit);
  void CountAuthFailure(AuthFailure reason) {
    auth_failures_[static_cast<size_t>(reason)]->Increment();
  }
  // A resume: ok, or why not.
  void CountResume(bool ok, ResumeFailure failure);
  void CountSlowReaderPause() { slow_reader_pauses_->Increment(); }

 private:
  static constexpr size_t kFrameTypes = 8;  // ClientMessage::Type
  static constexpr size_t kErrors = static_cast<size_t>(kLastClientError) + 1;
  static constexpr size_t kStatusCodes = 17;  // gRPC's, OK (0) to UNAUTHENTICATED (16)

  std::array<common::metrics::Counter*, kUpgradeResults> upgrades_{};
  std::array<common::metrics::Counter*, kFrameTypes> client_frames_{};
  common::metrics::Counter* invalid_frames_ = nullptr;
  common::metrics::Counter* binary_frames_ = nullptr;
  std::array<common::metrics::Counter*, kErrors> errors_sent_{};
  // completed, cancelled, error, interrupted
  std::array<common::metrics::Counter*, 4> replies_{};
  std::array<common::metrics::Counter*, kStatusCodes> llm_calls_{};
  common::metrics::Histogram* first_chunk_ = nullptr;
  common::metrics::Histogram* first_chunk_added_ = nullptr;
  common::metrics::Histogram* chunk_gap_ = nullptr;
  std::array<common::metrics::Histogram*, 4> reply_duration_{};
  common::metrics::Histogram* cancel_ = nullptr;
  common::metrics::Gauge* queued_bytes_ = nullptr;
  common::metrics::Counter* frames_merged_ = nullptr;
  common::metrics::Counter* slow_reader_pauses_ = nullptr;
  std::array<common::metrics::Counter*, kRateLimits> rate_limited_{};
  std::array<common::metrics::Counter*, kAuthFailures> auth_failures_{};
  // resumed, then ResumeFailure in order.
  std::array<common::metrics::Counter*, 6> resumes_{};
};

}  // namespace streamgate::gateway
