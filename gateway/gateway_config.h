#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace streamgate::gateway {

// Everything the gateway is configured with, filled once by main from flags and the
// environment, validated, then passed by const reference.
struct GatewayConfig {
  std::string bind = "127.0.0.1";
  int port = 3000;
  std::string llm_service = "127.0.0.1:50051";
  int io_threads = 0;  // 0: one per core
  int64_t max_message_bytes = 64 * 1024;
  // Bound on the bytes queued for one client; beyond it the reply's gRPC stream is paused.
  int64_t max_outbound_bytes = 256 * 1024;
  int64_t max_connections = 10000;
  int64_t history_max_bytes = 256 * 1024;
  absl::Duration handshake_timeout = absl::Seconds(10);
  absl::Duration ping_interval = absl::Seconds(20);
  absl::Duration idle_timeout = absl::Seconds(60);
  // How long a new reply may wait for llm-service to be reachable before the client gets
  // upstream_unavailable.
  absl::Duration connect_timeout = absl::Seconds(2);
  absl::Duration reply_timeout = absl::Seconds(300);
  absl::Duration drain_timeout = absl::Seconds(25);
  std::string log_level = "info";
};

absl::Status Validate(const GatewayConfig& config);

}  // namespace streamgate::gateway
