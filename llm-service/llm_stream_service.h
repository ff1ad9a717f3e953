#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>

#include "absl/status/status.h"
#include "common/log_throttle.h"
#include "llm-service/call_tracker.h"
#include "llm-service/provider.h"
#include "streamgate/llm/v1/llm_service.grpc.pb.h"

namespace streamgate::llm {

// session_id and request_id appear in every log line of a call, so each is empty or at most
// this many bytes of printable ASCII without spaces (0x21-0x7e): no id can forge a log line
// or make one huge.
inline constexpr size_t kMaxIdBytes = 128;

// Checks what every provider relies on: the ids as above, at least one message, every role
// set, and the last message from the user. Messages never quote an id.
absl::Status ValidateRequest(const v1::StreamChatRequest& request);

// The StreamChat endpoint: refuses calls beyond `max_concurrent_calls`, validates the
// request, starts the provider and hands the call to a ReplyStreamReactor. Runs on gRPC
// threads; holds no per-call state itself.
class LlmStreamService final : public v1::LlmService::CallbackService {
 public:
  LlmStreamService(Provider* provider, size_t max_queued_bytes_per_call,
                   int64_t max_concurrent_calls = std::numeric_limits<int64_t>::max());

  grpc::ServerWriteReactor<v1::StreamChatResponse>* StreamChat(
      grpc::CallbackServerContext* context, const v1::StreamChatRequest* request) override;

  const CallTracker& calls() const { return calls_; }

 private:
  Provider* const provider_;
  const size_t max_queued_bytes_per_call_;
  const int64_t max_concurrent_calls_;
  CallTracker calls_;
  // Refusals at the cap come in floods exactly when the log can least afford them.
  common::SharedLogThrottle over_capacity_log_;
};

}  // namespace streamgate::llm
