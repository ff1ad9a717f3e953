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
  void ObserveFirstChunk(Duration elapsed) { first_chunk_->ObserveDuration(elapsed); }
  void ObserveChunkGap(Duration elapsed) { chunk_gap_->ObserveDuration(elapsed); }
  void ObserveReplyDuration(ReplyOutcome outcome, Duration elapsed) {
    reply_duration_[static_cast<size_t>(outcome)]->ObserveDuration(elapsed);
  }
  void ObserveCancel(Duration elapsed) { cancel_->ObserveDuration(elapsed); }
  // Bytes queued for clients, as each session's share changes.
  void AddQueuedBytes(int64_t delta) { queued_bytes_->Add(delta); }
  void CountMergedDelta() { frames_merged_->Increment(); }
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
  common::metrics::Histogram* chunk_gap_ = nullptr;
  std::array<common::metrics::Histogram*, 4> reply_duration_{};
  common::metrics::Histogram* cancel_ = nullptr;
  common::metrics::Gauge* queued_bytes_ = nullptr;
  common::metrics::Counter* frames_merged_ = nullptr;
  common::metrics::Counter* slow_reader_pauses_ = nullptr;
};

}  // namespace streamgate::gateway
