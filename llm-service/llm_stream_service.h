#pragma once

#include "llm-service/reply_engine.h"
#include "streamgate/llm/v1/llm_service.grpc.pb.h"

namespace streamgate::llm {

// The StreamChat endpoint, one reply per call: the reply engine begins the reply (the cap,
// decoding and validation, the provider) and a ReplyStreamReactor sends it. StreamChat is a
// raw method (bytes in and out) so that a request gRPC could not parse gets
// INVALID_ARGUMENT rather than gRPC's UNIMPLEMENTED. GetServiceInfo and Chat belong to
// ServiceInfoService and ChatService (marked generic here). Runs on gRPC threads; holds no
// per-call state itself.
class LlmStreamService final
    : public v1::LlmService::WithRawCallbackMethod_StreamChat<
          v1::LlmService::WithGenericMethod_GetServiceInfo<
              v1::LlmService::WithGenericMethod_Chat<v1::LlmService::Service>>> {
 public:
  explicit LlmStreamService(ReplyEngine* engine) : engine_(engine) {}

  grpc::ServerWriteReactor<grpc::ByteBuffer>* StreamChat(grpc::CallbackServerContext* context,
                                                         const grpc::ByteBuffer* bytes) override;

  const CallTracker& calls() const { return engine_->calls(); }

 private:
  ReplyEngine* const engine_;
};

}  // namespace streamgate::llm
