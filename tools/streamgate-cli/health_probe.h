#pragma once

#include <string>

#include "absl/time/time.h"

namespace streamgate::cli {

// One-shot health checks for container HEALTHCHECKs and scripts. Each prints one line
// (stdout when healthy, stderr otherwise) and returns an exit code: 0 healthy, 1 not.
// Docker reserves exit code 2 for HEALTHCHECK commands, so a probe never returns it.
class HealthProbe {
 public:
  explicit HealthProbe(absl::Duration timeout) : timeout_(timeout) {}

  // GET `url` (http://host:port/path); healthy on HTTP 200. For the gateway's /healthz.
  int CheckHttp(const std::string& url) const;
  // grpc.health.v1.Health/Check for the whole server (service ""); healthy on SERVING.
  // For llm-service, which reports NOT_SERVING while it drains.
  int CheckGrpc(const std::string& target) const;

 private:
  const absl::Duration timeout_;
};

}  // namespace streamgate::cli
