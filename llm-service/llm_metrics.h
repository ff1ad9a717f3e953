#pragma once

#include <array>
#include <string>

#include "absl/status/status.h"
#include "common/metrics/registry.h"

namespace streamgate::llm {

class CallTracker;

// The series one reply updates as its output passes through its ChunkChannel, chosen once
// when the reply begins (the model label is the request's, when it is a configured one).
// Points into LlmMetrics; null members are not counted.
struct ReplyMetrics {
  common::metrics::Histogram* first_delta = nullptr;  // call start -> first delta produced
  common::metrics::Counter* pauses = nullptr;         // the provider told to pause
  common::metrics::Counter* input_tokens = nullptr;
  common::metrics::Counter* output_tokens = nullptr;
};

// How an upstream (Anthropic) HTTP attempt ended, for upstream_requests_total{status}.
enum class UpstreamEnd { kHttp, kConnectError, kTimeout, kStalled };

// llm-service's series (docs/observability.md). Built once by main into the process's
// Registry with every label value registered up front: `provider` is the one running,
// `model` the configured default and "other" for any model a request names itself (a
// client's choice never becomes a label). Updates are lock-free adds from any thread.
class LlmMetrics {
 public:
  LlmMetrics(common::metrics::Registry& registry, const std::string& provider,
             const std::string& configured_model);
  // streamgate_llm_calls_in_flight reads `calls` at each scrape (ReplyEngine's, which is
  // made after this). Once.
  void WatchCalls(const CallTracker& calls);

  // The series for a reply asking for `model` ("" = the configured default).
  const ReplyMetrics& ForModel(const std::string& model) const;
  void CountCall(absl::StatusCode code) { calls_[static_cast<size_t>(code) % 17]->Increment(); }
  // One HTTP attempt to the upstream ended (`http_status` when kHttp).
  void CountUpstreamRequest(UpstreamEnd end, int http_status);
  // An attempt is retried; `http_status` 0 for a transport failure (`timed_out` or not).
  void CountUpstreamRetry(int http_status, bool timed_out);

 private:
  common::metrics::Registry& registry_;
  const std::string provider_;
  const std::string configured_model_;
  std::array<common::metrics::Counter*, 17> calls_{};
  ReplyMetrics configured_;
  ReplyMetrics other_;
  // upstream_requests_total: the HTTP statuses below, then other_http, connect_error,
  // timeout, stalled.
  std::array<common::metrics::Counter*, 18> upstream_requests_{};
  // upstream_retries_total: rate_limited, overloaded, server_error, request_timeout,
  // conflict, timeout, connection, other.
  std::array<common::metrics::Counter*, 8> upstream_retries_{};
};

}  // namespace streamgate::llm
