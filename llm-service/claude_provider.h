#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "llm-service/claude/claude_request_builder.h"
#include "llm-service/claude/retry_policy.h"
#include "llm-service/claude_attempt.h"
#include "llm-service/curl_worker_pool.h"
#include "llm-service/llm_metrics.h"
#include "llm-service/provider.h"

namespace streamgate::llm {

struct ClaudeProviderOptions {
  std::string api_key;  // from ANTHROPIC_API_KEY; never logged
  std::string base_url = "https://api.anthropic.com";
  ClaudeRequestOptions request;  // default model, max_tokens, anthropic-version
  absl::Duration connect_timeout = absl::Seconds(10);
  absl::Duration stall_timeout = absl::Seconds(60);
  RetryPolicyOptions retry;
  int curl_threads = 1;
  LlmMetrics* metrics = nullptr;  // upstream attempts and retries; outlives the provider
};

// The Anthropic Messages API as a reply source. Builds each call's request on the calling
// gRPC thread (so a request the API would reject fails before any network traffic), then
// hands a ClaudeTransfer to the least-loaded CurlWorker of its pool. Created once by main;
// Start is thread-safe.
class ClaudeProvider : public Provider {
 public:
  // Fails with INVALID_ARGUMENT on a bad configuration (the message never holds the key).
  static absl::StatusOr<std::unique_ptr<ClaudeProvider>> Create(ClaudeProviderOptions options);
  ~ClaudeProvider() override;

  void Start(const v1::StreamChatRequest& request, std::shared_ptr<ChunkChannel> channel,
             absl::Time deadline) override;
  void Shutdown() override;
  std::string_view name() const override { return "claude"; }

  const ClaudeRequestOptions& request_options() const { return builder_.options(); }
  int curl_threads() const { return pool_.size(); }

 private:
  ClaudeProvider(ClaudeRequestBuilder builder, std::shared_ptr<const ClaudeEndpoint> endpoint,
                 int curl_threads);

  const ClaudeRequestBuilder builder_;
  const std::shared_ptr<const ClaudeEndpoint> endpoint_;
  CurlWorkerPool pool_;
};

}  // namespace streamgate::llm
