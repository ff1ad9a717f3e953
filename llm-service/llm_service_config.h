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
  // Prometheus's /metrics, plain HTTP on `bind` (docs/observability.md).
  int metrics_port = 9464;
  // "host:port" callers reach this replica at, sent in every reply's Started (replica).
  // Empty: the bind address (the host's name when bound to every address) and the port.
  std::string advertise_address;
  // "mock", "claude" or "" (claude when an API key is present, else mock).
  std::string provider;
  int mock_chunk_delay_ms = 30;
  int mock_extra_words = 0;
  // Bound on the bytes waiting to be written per call before the provider is paused.
  int64_t max_queued_bytes_per_call = 64 * 1024;
  absl::Duration drain_timeout = absl::Seconds(25);
  std::string log_level = "info";
  std::string log_format = "text";  // or "json": one object per line (docs/observability.md)

  // --- the gRPC door (docs/grpc-security.md) ---
  // PEM files; tls_cert + tls_key serve TLS, tls_client_ca also requires every caller to
  // present a certificate signed by that CA (mTLS). Re-read on SIGHUP.
  std::string tls_cert;
  std::string tls_key;
  std::string tls_client_ca;
  // A CredentialSet file (common/credential_file.h). When set, every call except health
  // checks must carry "authorization: Bearer sg_<id>_<secret>" matching an entry. Re-read on
  // SIGHUP.
  std::string auth_tokens_file;
  // Server reflection (for grpcurl and the like); needs a token too when auth is on.
  bool reflection = true;
  // gRPC's max receive message size: a larger request ends with RESOURCE_EXHAUSTED.
  int64_t max_request_bytes = 4 * 1024 * 1024;
  // StreamChat calls running at once; beyond it a call ends with RESOURCE_EXHAUSTED before
  // the provider starts. The gateway's --max-connections default, so one gateway whose
  // every session is replying stays under it.
  int64_t max_concurrent_calls = 10000;
  // From ANTHROPIC_API_KEY only; never logged, never a flag.
  std::string anthropic_api_key;

  // --- claude provider ---
  std::string anthropic_base_url = "https://api.anthropic.com";  // env ANTHROPIC_BASE_URL
  // Used when a request names no model (env ANTHROPIC_MODEL): Claude Sonnet 4.5, the
  // current general-purpose model; its alias follows the latest snapshot.
  std::string anthropic_model = "claude-sonnet-4-5";
  std::string anthropic_version = "2023-06-01";
  int max_tokens = 1024;  // when a request sets none
  absl::Duration upstream_connect_timeout = absl::Seconds(10);
  // No byte at all (not even a ping) for this long ends the reply with UNAVAILABLE.
  absl::Duration upstream_stall_timeout = absl::Seconds(60);
  int upstream_max_retries = 2;
  // First backoff step; the SDKs' 0.5 s. Tests shorten it.
  absl::Duration upstream_retry_base_delay = absl::Milliseconds(500);
  int curl_threads = 1;
};

// Checks values and decides the provider. Error messages never contain the API key.
absl::Status Validate(const LlmServiceConfig& config, ProviderKind* provider);

}  // namespace streamgate::llm
