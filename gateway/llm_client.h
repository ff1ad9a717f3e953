#pragma once

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include "streamgate/llm/v1/llm_service.grpc.pb.h"

namespace streamgate::gateway {

// The gateway's one gRPC channel to llm-service (any number of replicas behind one DNS
// name, balanced round robin). Shared by all sessions; thread-safe.
//
// One watcher thread follows the channel's connectivity: it keeps the channel connecting
// and publishes whether it is connected, so readiness checks and replies never block on
// it. (Without a pending call or watcher, gRPC does not drive a channel's connection.)
class LlmClient {
 public:
  explicit LlmClient(const std::string& target);
  ~LlmClient();
  LlmClient(const LlmClient&) = delete;
  LlmClient& operator=(const LlmClient&) = delete;

  // StreamChat is called through a generic stub so that requests go out as the bytes the
  // session already encoded (see Conversation); replies are parsed as usual.
  using ReplyStub = grpc::TemplatedGenericStub<grpc::ByteBuffer, llm::v1::StreamChatResponse>;
  static constexpr const char* kStreamChatMethod = "/streamgate.llm.v1.LlmService/StreamChat";

  ReplyStub* stub() { return &stub_; }
  // True when the channel to llm-service is connected right now. Never blocks.
  bool IsConnected() const { return connected_.load(std::memory_order_relaxed); }

 private:
  void WatchConnectivity();

  std::shared_ptr<grpc::Channel> channel_;
  ReplyStub stub_;
  std::atomic<bool> connected_{false};
  std::atomic<bool> stopping_{false};
  std::thread watcher_;
};

}  // namespace streamgate::gateway
