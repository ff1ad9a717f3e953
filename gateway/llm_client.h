#pragma once

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

#include "absl/time/time.h"
#include "streamgate/llm/v1/llm_service.grpc.pb.h"

namespace streamgate::gateway {

// The gateway's one gRPC channel to llm-service (any number of replicas behind one DNS
// name, balanced round robin). Shared by all sessions; thread-safe.
class LlmClient {
 public:
  explicit LlmClient(const std::string& target);

  llm::v1::LlmService::Stub* stub() { return stub_.get(); }
  // True when the channel to llm-service is connected right now. Never blocks; when it is
  // not connected this also starts a connection attempt.
  bool IsConnected();

 private:
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<llm::v1::LlmService::Stub> stub_;
};

}  // namespace streamgate::gateway
