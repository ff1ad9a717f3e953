#pragma once

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace streamgate::llm {

enum class ProviderKind { kMock, kClaude };

// Everything llm-service is configured with, filled once by main from flags and the
// environment, validated, then passed by const reference.
struct LlmServiceConfig {
  std::string bind = "127.0.0.1";
  int port = 50051;
  // "mock", "claude" or "" (claude when an API key is present, else mock).
  std::string provider;
  int mock_chunk_delay_ms = 30;
  int mock_extra_words = 0;
  // Bound on the bytes waiting to be written per call before the provider is paused.
  int64_t max_queued_bytes_per_call = 64 * 1024;
  absl::Duration drain_timeout = absl::Seconds(25);
  std::string log_level = "info";
  // From ANTHROPIC_API_KEY only; never logged, never a flag.
  std::string anthropic_api_key;
};

// Checks values and decides the provider. Error messages never contain the API key.
absl::Status Validate(const LlmServiceConfig& config, ProviderKind* provider);

}  // namespace streamgate::llm
