#pragma once

#include "streamgate/llm/v1/llm_service.grpc.pb.h"

namespace streamgate::llm {

// The GetServiceInfo endpoint: who answers (provider, default model) and the request size
// limit, fixed at start. StreamChat and Chat are LlmStreamService's and ChatService's: this
// class marks them generic so that the three can be registered side by side under one
// service name. Owned by
// LlmServer; runs on gRPC's threads; immutable after construction.
class ServiceInfoService final
    : public v1::LlmService::WithCallbackMethod_GetServiceInfo<
          v1::LlmService::WithGenericMethod_StreamChat<
              v1::LlmService::WithGenericMethod_Chat<v1::LlmService::Service>>> {
 public:
  explicit ServiceInfoService(v1::ServiceInfo info) : info_(std::move(info)) {}

  grpc::ServerUnaryReactor* GetServiceInfo(grpc::CallbackServerContext* context,
                                           const v1::GetServiceInfoRequest* request,
                                           v1::ServiceInfo* response) override;

 private:
  const v1::ServiceInfo info_;
};

}  // namespace streamgate::llm
