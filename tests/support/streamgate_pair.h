#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "tests/support/child_process.h"

namespace streamgate::testing {

using namespace std::chrono_literals;

// Paths of the binaries under test (build/bin).
std::string GatewayBinary();
std::string LlmServiceBinary();
std::string BinaryPath(const std::string& name);

// A port on 127.0.0.1 that nothing listened on a moment ago, for "service down" tests.
int UnusedPort();

// The real llm-service and gateway, started on free ports with the gateway pointed at the
// llm-service. Both are killed when the object goes away.
class StreamgatePair {
 public:
  struct Options {
    std::vector<std::string> llm_args = {"--mock-chunk-delay-ms=0"};
    std::vector<std::string> gateway_args;
  };
  StreamgatePair() : StreamgatePair(Options{}) {}
  explicit StreamgatePair(Options options);

  int gateway_port() const { return gateway_port_; }
  int llm_port() const { return llm_port_; }
  // llm-service's Prometheus endpoint (--metrics-port=0: the free port it announced).
  int llm_metrics_port() const { return llm_metrics_port_; }
  ChildProcess& gateway() { return *gateway_; }
  ChildProcess& llm() { return *llm_; }
  bool ok() const { return gateway_port_ > 0 && llm_port_ > 0; }

  // Kills llm-service (SIGKILL) and waits for it to be gone.
  void KillLlm();
  // Starts llm-service again on the same port.
  void RestartLlm();

 private:
  void StartLlm(int port);

  Options options_;
  std::unique_ptr<ChildProcess> llm_;
  std::unique_ptr<ChildProcess> gateway_;
  int llm_port_ = 0;
  int llm_metrics_port_ = 0;
  int gateway_port_ = 0;
};

}  // namespace streamgate::testing
