#include "llm-service/llm_service_config.h"

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace streamgate::llm {

absl::Status Validate(const LlmServiceConfig& config, ProviderKind* provider) {
  if (config.provider == "mock") {
    *provider = ProviderKind::kMock;
  } else if (config.provider == "claude") {
    *provider = ProviderKind::kClaude;
  } else if (config.provider.empty()) {
    *provider = config.anthropic_api_key.empty() ? ProviderKind::kMock : ProviderKind::kClaude;
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("--provider must be mock or claude, got '", config.provider, "'"));
  }
  if (*provider == ProviderKind::kClaude && config.anthropic_api_key.empty()) {
    return absl::InvalidArgumentError(
        "the claude provider needs ANTHROPIC_API_KEY in the environment");
  }
  if (config.bind.empty()) return absl::InvalidArgumentError("--bind must not be empty");
  if (config.tls_cert.empty() != config.tls_key.empty()) {
    return absl::InvalidArgumentError("--tls-cert and --tls-key must be given together");
  }
  if (!config.tls_client_ca.empty() && config.tls_cert.empty()) {
    return absl::InvalidArgumentError(
        "--tls-client-ca needs --tls-cert and --tls-key: client certificates are checked in "
        "the TLS handshake");
  }
  if (*provider != ProviderKind::kClaude) return absl::OkStatus();
  absl::string_view base_url = config.anthropic_base_url;
  if (!absl::StartsWith(base_url, "https://") && !absl::StartsWith(base_url, "http://")) {
    return absl::InvalidArgumentError("ANTHROPIC_BASE_URL must start with https:// or http://");
  }
  if (config.anthropic_model.empty()) {
    return absl::InvalidArgumentError("ANTHROPIC_MODEL must not be empty");
  }
  // Finite too: the worker loop turns them into steady-clock times.
  for (const auto& [name, value] :
       {std::pair{"--upstream-connect-timeout", config.upstream_connect_timeout},
        std::pair{"--upstream-stall-timeout", config.upstream_stall_timeout},
        std::pair{"--upstream-retry-base-delay", config.upstream_retry_base_delay}}) {
    if (value <= absl::ZeroDuration() || value > absl::Hours(24)) {
      return absl::InvalidArgumentError(absl::StrCat(name, " must be within (0, 24h]"));
    }
  }
  return absl::OkStatus();
}

}  // namespace streamgate::llm
