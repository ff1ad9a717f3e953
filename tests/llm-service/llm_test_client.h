#pragma once

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "streamgate/llm/v1/llm_service.pb.h"

namespace streamgate::testing {

using namespace std::chrono_literals;

// How a test client reaches llm-service over TLS: the CA it trusts, optionally its own
// certificate (mTLS) and the name it expects in the server's certificate.
struct ClientTls {
  std::string ca;           // PEM file
  std::string cert;         // PEM file, "" for none
  std::string key;          // PEM file, "" for none
  std::string server_name;  // "" for the target's host
};
// TLS trusting `ca`, expecting `server_name` ("" for the target's host).
inline ClientTls Trusting(std::string ca, std::string server_name = "") {
  ClientTls tls;
  tls.ca = std::move(ca);
  tls.server_name = std::move(server_name);
  return tls;
}
// TLS trusting `ca` and presenting a client certificate (mTLS).
inline ClientTls Presenting(std::string ca, std::string cert, std::string key) {
  ClientTls tls = Trusting(std::move(ca));
  tls.cert = std::move(cert);
  tls.key = std::move(key);
  return tls;
}

// A channel to 127.0.0.1:port, plaintext or TLS, with a subchannel pool of its own: every
// channel made here opens its own connection (and TLS handshake) instead of sharing one with
// an earlier channel, as gRPC otherwise does for channels with equal arguments.
std::shared_ptr<grpc::Channel> TestChannel(int port, const std::optional<ClientTls>& tls = {});

// What one StreamChat call returned, read to the end.
struct ChatOutcome {
  grpc::Status status;
  std::string text;
  bool started = false;
  std::string replica;  // Started.replica
  bool completed = false;
};
// One StreamChat call; `token` non-empty adds "authorization: Bearer <token>".
// `metadata` goes with the call as well (e.g. traceparent).
ChatOutcome ChatOnce(const std::shared_ptr<grpc::Channel>& channel,
                     const llm::v1::StreamChatRequest& request, const std::string& token = "",
                     std::chrono::milliseconds deadline = 10s,
                     const std::vector<std::pair<std::string, std::string>>& metadata = {});
// A request with one user message and the given ids.
llm::v1::StreamChatRequest OneMessage(const std::string& content,
                                      const std::string& session_id = "test-session",
                                      const std::string& request_id = "test-request");

// grpc.health.v1.Health/Check for the whole server, with no metadata at all; *serving is the
// status name ("SERVING") when the call succeeds.
grpc::Status HealthCheck(const std::shared_ptr<grpc::Channel>& channel, std::string* serving,
                         std::chrono::milliseconds deadline = 5s);
// The same for one named service ("streamgate.llm.v1.LlmService").
grpc::Status HealthCheckService(const std::shared_ptr<grpc::Channel>& channel,
                                const std::string& service, std::string* serving,
                                std::chrono::milliseconds deadline = 5s);

// Asks server reflection to list the services (one ServerReflectionInfo exchange, sent as raw
// bytes: Debian ships no reflection proto). *services_bytes is the raw response, which names
// every service.
grpc::Status ReflectionListServices(const std::shared_ptr<grpc::Channel>& channel,
                                    const std::string& token, std::string* services_bytes,
                                    std::chrono::milliseconds deadline = 5s);

}  // namespace streamgate::testing
