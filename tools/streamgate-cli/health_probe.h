#pragma once

#include <grpcpp/security/credentials.h>

#include <memory>
#include <string>

#include "absl/time/time.h"

namespace streamgate::cli {

// One-shot health checks for container HEALTHCHECKs and scripts. Each prints one line
// (stdout when healthy, stderr otherwise) and returns an exit code: 0 healthy, 1 not.
// Docker reserves exit code 2 for HEALTHCHECK commands, so a probe never returns it.
class HealthProbe {
 public:
  // `tls_ca`: for https:// URLs, the CA to trust instead of the system's.
  explicit HealthProbe(absl::Duration timeout, std::string tls_ca = "")
      : timeout_(timeout), tls_ca_(std::move(tls_ca)) {}

  // GET `url` (http[s]://host:port/path); healthy on HTTP 200. For the gateway's /healthz.
  int CheckHttp(const std::string& url) const;
  // grpc.health.v1.Health/Check for the whole server (service ""); healthy on SERVING.
  // For llm-service, which reports NOT_SERVING while it drains.
  int CheckGrpc(const std::string& target,
                const std::shared_ptr<grpc::ChannelCredentials>& credentials) const;

 private:
  const absl::Duration timeout_;
  const std::string tls_ca_;
};

}  // namespace streamgate::cli
