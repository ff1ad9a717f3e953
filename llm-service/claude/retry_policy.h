#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "llm-service/claude/anthropic_status.h"

namespace streamgate::llm {

struct RetryPolicyOptions {
  int max_retries = 2;  // retries after the first attempt
  absl::Duration initial_delay = absl::Milliseconds(500);
  absl::Duration max_backoff = absl::Seconds(8);
  // A server-suggested delay is honoured only within (0, max_server_delay].
  absl::Duration max_server_delay = absl::Seconds(60);
};

// Response header lines as (name, value); names match case-insensitively.
using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

// What the last attempt ended with.
struct UpstreamAttempt {
  // Set when the request failed before a response status arrived; http_status and headers
  // are then ignored.
  std::optional<TransportFailure> transport_failure;
  int http_status = 0;
  HttpHeaders headers;
  // Some text of this reply already went to the client. Retrying would repeat it.
  bool delta_sent = false;
};

struct RetryDecision {
  bool retry = false;
  absl::Duration delay = absl::ZeroDuration();  // wait this long first; zero when !retry

  friend bool operator==(const RetryDecision&, const RetryDecision&) = default;
};

// The retry rules of Anthropic's official SDKs (Python and TypeScript agree on these):
//
// Whether: never after a delta was sent downstream and never beyond max_retries. Otherwise
// connection errors and timeouts retry; for an HTTP status, `x-should-retry: true|false`
// decides when present, else 408, 409, 429 and every status >= 500 (529 included) retry and
// nothing else does.
//
// Delay: the server's suggestion when there is one and it lies in (0 s, 60 s]: first
// `retry-after-ms` (milliseconds, may be fractional), else `retry-after` as seconds (may be
// fractional) or as an HTTP-date measured from now(). As in the Python SDK, a parseable
// `retry-after-ms` is used alone, and a suggestion that is zero, negative or above 60 s is
// ignored in favour of the backoff, not clamped. The backoff is
// min(0.5 s * 2^k, 8 s) * (1 - 0.25 * jitter), k = retries done so far, jitter in [0, 1).
//
// Immutable after construction; thread-safe as long as the injected sources are (the
// defaults are).
class RetryPolicy {
 public:
  // Returns a value in [0, 1); values outside are clamped.
  using RandomSource = std::function<double()>;
  using Clock = std::function<absl::Time()>;

  // Defaults: a per-thread PRNG and absl::Now.
  explicit RetryPolicy(RetryPolicyOptions options = {}, RandomSource random = nullptr,
                       Clock now = nullptr);

  // `retries_done` counts the retries already made (0 after the first attempt).
  RetryDecision Decide(int retries_done, const UpstreamAttempt& attempt) const;

  // Whether the attempt's outcome is retryable at all, ignoring the budget and deltas.
  static bool IsRetryable(const UpstreamAttempt& attempt);

  // The computed backoff for the next retry, jitter included.
  absl::Duration Backoff(int retries_done) const;

  // The server's suggested delay, if any header holds a parseable one (not yet checked
  // against the accepted range).
  std::optional<absl::Duration> ServerSuggestedDelay(const HttpHeaders& headers) const;

  const RetryPolicyOptions& options() const { return options_; }

 private:
  RetryPolicyOptions options_;
  RandomSource random_;
  Clock now_;
};

}  // namespace streamgate::llm
