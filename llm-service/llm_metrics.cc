#include "llm-service/llm_metrics.h"

#include <string_view>

#include "llm-service/call_tracker.h"

namespace streamgate::llm {
namespace {

using common::metrics::Labels;

// The statuses the Messages API documents, each its own series; anything else is
// "other_http".
constexpr std::array<int, 14> kHttpStatuses = {200, 400, 401, 403, 404, 408, 409,
                                               413, 429, 500, 502, 503, 504, 529};
constexpr std::array<std::string_view, 4> kOtherEnds = {"other_http", "connect_error", "timeout",
                                                        "stalled"};
constexpr std::array<std::string_view, 8> kRetryReasons = {
    "rate_limited", "overloaded", "server_error", "request_timeout",
    "conflict",     "timeout",    "connection",   "other"};

}  // namespace

LlmMetrics::LlmMetrics(common::metrics::Registry& registry, const std::string& provider,
                       const std::string& configured_model)
    : registry_(registry), provider_(provider), configured_model_(configured_model) {
  for (size_t i = 0; i < calls_.size(); ++i) {
    calls_[i] = &registry.AddCounter(
        "streamgate_llm_calls_total", "Replies ended, by provider and gRPC status name.",
        {{"provider", provider},
         {"code", absl::StatusCodeToString(static_cast<absl::StatusCode>(i))}});
  }
  const Labels by_provider = {{"provider", provider}};
  auto* first_delta = &registry.AddHistogram(
      "streamgate_llm_first_delta_seconds",
      "From a reply's start in llm-service to the provider's first text, by provider.",
      common::metrics::LatencySecondsBuckets(), by_provider);
  auto* pauses = &registry.AddCounter(
      "streamgate_llm_provider_pauses_total",
      "Times a reply's queue was full and its provider was paused (backpressure).", by_provider);
  const std::string model = configured_model.empty() ? provider : configured_model;
  auto tokens = [&](const char* direction, const std::string& label) {
    return &registry.AddCounter("streamgate_llm_tokens_total",
                                "Tokens the provider reported, by direction and model (the "
                                "configured one, or other).",
                                {{"direction", direction}, {"model", label}});
  };
  configured_ = {first_delta, pauses, tokens("input", model), tokens("output", model)};
  other_ = {first_delta, pauses, tokens("input", "other"), tokens("output", "other")};
  const std::string requests_help =
      "HTTP attempts to the model provider's API, by HTTP status or how they failed.";
  for (size_t i = 0; i < kHttpStatuses.size(); ++i) {
    upstream_requests_[i] =
        &registry.AddCounter("streamgate_llm_upstream_requests_total", requests_help,
                             {{"status", std::to_string(kHttpStatuses[i])}});
  }
  for (size_t i = 0; i < kOtherEnds.size(); ++i) {
    upstream_requests_[kHttpStatuses.size() + i] =
        &registry.AddCounter("streamgate_llm_upstream_requests_total", requests_help,
                             {{"status", std::string(kOtherEnds[i])}});
  }
  for (size_t i = 0; i < kRetryReasons.size(); ++i) {
    upstream_retries_[i] =
        &registry.AddCounter("streamgate_llm_upstream_retries_total",
                             "Attempts to the model provider's API retried, by reason.",
                             {{"reason", std::string(kRetryReasons[i])}});
  }
}

void LlmMetrics::WatchCalls(const CallTracker& calls) {
  registry_.AddGaugeFunction(
      "streamgate_llm_calls_in_flight", "Replies being produced (both front doors), by provider.",
      {{"provider", provider_}}, [&calls] { return static_cast<double>(calls.active()); });
}

const ReplyMetrics& LlmMetrics::ForModel(const std::string& model) const {
  return model.empty() || model == configured_model_ ? configured_ : other_;
}

void LlmMetrics::CountUpstreamRequest(UpstreamEnd end, int http_status) {
  switch (end) {
    case UpstreamEnd::kHttp:
      for (size_t i = 0; i < kHttpStatuses.size(); ++i) {
        if (kHttpStatuses[i] == http_status) return upstream_requests_[i]->Increment();
      }
      return upstream_requests_[kHttpStatuses.size()]->Increment();
    case UpstreamEnd::kConnectError:
      return upstream_requests_[kHttpStatuses.size() + 1]->Increment();
    case UpstreamEnd::kTimeout:
      return upstream_requests_[kHttpStatuses.size() + 2]->Increment();
    case UpstreamEnd::kStalled:
      return upstream_requests_[kHttpStatuses.size() + 3]->Increment();
  }
}

void LlmMetrics::CountUpstreamRetry(int http_status, bool timed_out) {
  size_t reason = 7;  // other
  if (http_status == 429) {
    reason = 0;
  } else if (http_status == 529) {
    reason = 1;
  } else if (http_status >= 500) {
    reason = 2;
  } else if (http_status == 408) {
    reason = 3;
  } else if (http_status == 409) {
    reason = 4;
  } else if (http_status == 0) {
    reason = timed_out ? 5 : 6;
  }
  upstream_retries_[reason]->Increment();
}

}  // namespace streamgate::llm
