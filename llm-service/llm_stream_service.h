#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>

#include "absl/status/status.h"
#include "common/log_throttle.h"
#include "llm-service/call_tracker.h"
#include "llm-service/provider.h"
#include "llm-service/request_validator.h"
#include "streamgate/llm/v1/llm_service.grpc.pb.h"

namespace streamgate::llm {

// The StreamChat endpoint: refuses calls beyond `max_concurrent_calls`, decodes and validates
// the request (DecodeRequest, ValidateRequest: the same rules whatever the provider), starts
// the provider and hands the call to a ReplyStreamReactor. StreamChat is a raw method (bytes
// in and out) so that a request gRPC could not parse gets INVALID_ARGUMENT rather than
// gRPC's UNIMPLEMENTED. GetServiceInfo is ServiceInfoService's (marked generic here). Runs on gRPC
// threads; holds no per-call state itself.
class LlmStreamService final
    : public v1::LlmService::WithRawCallbackMethod_StreamChat<
          v1::LlmService::WithGenericMethod_GetServiceInfo<v1::LlmService::Service>> {
 public:
  LlmStreamService(Provider* provider, size_t max_queued_bytes_per_call,
                   int64_t max_concurrent_calls = std::numeric_limits<int64_t>::max());

  grpc::ServerWriteReactor<grpc::ByteBuffer>* StreamChat(grpc::CallbackServerContext* context,
                                                         const grpc::ByteBuffer* bytes) override;

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
