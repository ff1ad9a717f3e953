#pragma once

#include <cstddef>

#include "absl/status/status.h"
#include "llm-service/call_tracker.h"
#include "llm-service/provider.h"
#include "streamgate/llm/v1/llm_service.grpc.pb.h"

namespace streamgate::llm {

// Checks what every provider relies on: at least one message, every role set, and the
// last message from the user.
absl::Status ValidateRequest(const v1::StreamChatRequest& request);

// The StreamChat endpoint: validates the request, starts the provider and hands the call to
// a ReplyStreamReactor. Runs on gRPC threads; holds no per-call state itself.
class LlmStreamService final : public v1::LlmService::CallbackService {
 public:
  LlmStreamService(Provider* provider, size_t max_queued_bytes_per_call);

  grpc::ServerWriteReactor<v1::StreamChatResponse>* StreamChat(
      grpc::CallbackServerContext* context, const v1::StreamChatRequest* request) override;

  const CallTracker& calls() const { return calls_; }

 private:
  Provider* const provider_;
  const size_t max_queued_bytes_per_call_;
  CallTracker calls_;
};

}  // namespace streamgate::llm
