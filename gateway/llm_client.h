#pragma once

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "gateway/gateway_config.h"
#include "gateway/llm_reachability.h"
#include "streamgate/llm/v1/llm_service.grpc.pb.h"

namespace streamgate::gateway {

// The gateway's one gRPC channel to llm-service (any number of replicas behind one DNS
// name, balanced round robin), plaintext or TLS, and the bearer token every call carries.
// Shared by all sessions; thread-safe.
//
// One watcher thread follows the channel's connectivity: it keeps the channel connecting
// and publishes whether it is connected, so readiness checks and replies never block on
// it. (Without a pending call or watcher, gRPC does not drive a channel's connection.) It
// feeds the same states to reachability(): what clients are told, and its log lines.
//
// TLS material is read through gRPC's file-watcher certificate provider, which re-reads the
// files every kCertificateRefreshSeconds: a rotated CA or client certificate is used for the next
// connection without a restart. The token is read once, at Create.
class LlmClient {
 public:
  static constexpr unsigned kCertificateRefreshSeconds = 60;

  // From the gateway's config: TLS when llm_tls_ca is set (trusting that CA; presenting
  // llm_tls_cert/llm_tls_key when set; expecting llm_tls_server_name when set), the token
  // from llm_token_file (surrounding whitespace trimmed). A file that cannot be read or is
  // not what it should be is an error (main exits 2); no message quotes a file's content.
  static absl::StatusOr<std::unique_ptr<LlmClient>> Create(const GatewayConfig& config);
  // Plaintext and no token.
  explicit LlmClient(const std::string& target);
  ~LlmClient();
  LlmClient(const LlmClient&) = delete;
  LlmClient& operator=(const LlmClient&) = delete;

  // What a StreamChat call is made with. StreamChat is called through a generic stub so
  // that requests go out as the bytes the session already encoded (see Conversation);
  // replies are parsed as usual.
  struct ReplyStub {
    grpc::TemplatedGenericStub<grpc::ByteBuffer, llm::v1::StreamChatResponse> generic;
    // The "authorization" metadata of every call ("Bearer <token>"), empty for none. Never
    // logged.
    std::string authorization;
  };
  static constexpr const char* kStreamChatMethod = "/streamgate.llm.v1.LlmService/StreamChat";

  ReplyStub* stub() { return &stub_; }
  const std::shared_ptr<grpc::Channel>& channel() const { return channel_; }
  // True when the channel to llm-service is connected right now. Never blocks.
  bool IsConnected() const { return connected_.load(std::memory_order_relaxed); }
  LlmReachability& reachability() { return reachability_; }
  const LlmReachability& reachability() const { return reachability_; }

 private:
  LlmClient(std::string target, std::shared_ptr<grpc::Channel> channel, std::string authorization);
  void WatchConnectivity();

  std::shared_ptr<grpc::Channel> channel_;
  ReplyStub stub_;
  LlmReachability reachability_;  // before watcher_, which feeds it
  std::atomic<bool> connected_{false};
  std::atomic<bool> stopping_{false};
  std::thread watcher_;
};

}  // namespace streamgate::gateway
