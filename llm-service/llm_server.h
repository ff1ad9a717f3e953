#pragma once

#include <grpcpp/generic/async_generic_service.h>
#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "llm-service/call_authenticator.h"
#include "llm-service/chat_service.h"
#include "llm-service/llm_service_config.h"
#include "llm-service/llm_stream_service.h"
#include "llm-service/provider.h"
#include "llm-service/reply_engine.h"
#include "llm-service/server_certificates.h"
#include "llm-service/service_info_service.h"

namespace streamgate::llm {

// llm-service's gRPC server: StreamChat and Chat (one reply engine behind both),
// GetServiceInfo, the standard health service, and the door in front of them (TLS or mTLS, bearer
// tokens, request size, concurrent calls), and server reflection when the config asks for it and
// main linked gRPC's reflection plugin.
//
// Owned by main. Start, Reload and Shutdown run on main's thread; the calls themselves run
// on gRPC's threads. The provider must outlive the server.
class LlmServer {
 public:
  // Loads the token file and certificates and starts listening. Any bad file or a port
  // that cannot be bound is an error (main exits 2).
  // `metrics` (may be null) outlives the server.
  static absl::StatusOr<std::unique_ptr<LlmServer>> Start(const LlmServiceConfig& config,
                                                          Provider* provider,
                                                          LlmMetrics* metrics = nullptr);
  ~LlmServer();
  LlmServer(const LlmServer&) = delete;
  LlmServer& operator=(const LlmServer&) = delete;

  int port() const { return port_; }
  // "host:port" in every reply's Started (--advertise-address or its default).
  std::string replica() const { return engine_.replica(); }
  // For the ready line: "tls=off|on|mtls auth=none|tokens ...".
  std::string Describe() const;
  const CallTracker& calls() const { return engine_.calls(); }
  size_t chat_streams() const { return chat_service_.streams(); }

  // SIGHUP: re-reads the token file and the certificates. A file that fails to load is
  // logged and leaves what was loaded before in place. Logs "credentials reloaded entries=N"
  // and "certificates reloaded" on success.
  void Reload();

  // SIGTERM: health turns NOT_SERVING, new calls are refused, running ones may finish until
  // `drain_timeout` passes and are then cancelled. Returns when the server has stopped.
  void Shutdown(absl::Duration drain_timeout);

 private:
  LlmServer(const LlmServiceConfig& config, Provider* provider, LlmMetrics* metrics);

  const std::string auth_tokens_file_;
  ReplyEngine engine_;  // both front doors' replies
  LlmStreamService service_;
  ChatService chat_service_;
  ServiceInfoService info_service_;
  // The three services each mark the others' methods generic, and gRPC
  // builds no server with generic methods unless a generic service is registered: this one
  // answers any unregistered method UNIMPLEMENTED, as gRPC would without it.
  grpc::CallbackGenericService unregistered_methods_;
  std::shared_ptr<CallAuthenticator> authenticator_;  // null without --auth-tokens-file
  std::shared_ptr<ServerCertificates> certificates_;  // null without --tls-cert
  // Declared before server_ so that it outlives it: TLS handshakes call into it.
  std::shared_ptr<grpc::ServerCredentials> credentials_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
};

}  // namespace streamgate::llm
