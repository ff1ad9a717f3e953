#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/log_throttle.h"
#include "llm-service/call_tracker.h"
#include "llm-service/chunk_channel.h"
#include "llm-service/llm_metrics.h"
#include "llm-service/provider.h"

namespace streamgate::llm {

// What both front doors (StreamChat, one reply per call; Chat, many replies per stream)
// do for one reply, written once: the cap on concurrent replies, decoding and validating
// the request (the same rules whatever the provider), the log lines, and starting the
// provider into a bounded ChunkChannel. Owned by LlmServer; thread-safe (gRPC's threads).
class ReplyEngine {
 public:
  // `metrics` (may be null: nothing counted) outlives the engine.
  ReplyEngine(Provider* provider, size_t max_queued_bytes_per_reply, int64_t max_concurrent,
              LlmMetrics* metrics);

  // One reply as begun: its channel carries the provider's output, or is already finished
  // with the refusal (at the cap: RESOURCE_EXHAUSTED; a bad request: INVALID_ARGUMENT).
  struct Reply {
    std::shared_ptr<ChunkChannel> channel;
    bool counted = false;    // holds a concurrent slot: call End() once the reply is over
    std::string session_id;  // as log lines may show them ("-" when not loggable)
    std::string request_id;
    std::string trace_id;  // "-" when the caller sent none
  };
  // `decoded` is DecodeRequest's verdict on `request`; `traceparent` the caller's W3C
  // trace context ("" or junk: none), whose trace id the reply's log lines carry.
  Reply Begin(const v1::StreamChatRequest& request, absl::Status decoded, absl::Time deadline,
              std::string_view traceparent = {});
  // The reply is over (sent, failed or cancelled with `code`): logs its end and gives back
  // its slot if it holds one. Once per Begin.
  void End(const Reply& reply, absl::StatusCode code, int writes, int64_t elapsed_ms);

  // "host:port" put into every reply's Started from now on (LlmServer, once its port is known).
  void set_replica(std::string replica) ABSL_LOCKS_EXCLUDED(replica_mu_);
  std::string replica() const ABSL_LOCKS_EXCLUDED(replica_mu_);

  const CallTracker& calls() const { return calls_; }
  std::string_view provider_name() const { return provider_->name(); }

 private:
  Provider* const provider_;
  const size_t max_queued_bytes_per_reply_;
  const int64_t max_concurrent_;
  CallTracker calls_;
  LlmMetrics* const metrics_;
  // Refusals at the cap come in floods exactly when the log can least afford them.
  common::SharedLogThrottle over_capacity_log_;
  // Set once at start, read per reply (not per chunk): a mutex is enough.
  mutable absl::Mutex replica_mu_;
  std::string replica_ ABSL_GUARDED_BY(replica_mu_);
};

}  // namespace streamgate::llm
