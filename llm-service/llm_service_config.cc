#include "llm-service/llm_service_config.h"

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
  return absl::OkStatus();
}

}  // namespace streamgate::llm
