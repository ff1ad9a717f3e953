#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace streamgate::fake_claude {

// What happens to a request, chosen by the first outcome directive in the last user message.
enum class Outcome {
  kNormal,               // a normal streamed reply (no outcome directive)
  kRateLimit,            // 429 `times` attempts, then normal
  kRateLimitAlways,      // 429 every attempt
  kOverloaded,           // 529 `times` attempts, then normal
  kOverloadedAlways,     // 529 every attempt
  kServerError,          // 500 `times` attempts, then normal
  kUnauthorized,         // 401 authentication_error every attempt
  kBadRequest,           // 400 invalid_request_error every attempt
  kShouldRetryFalse,     // 503 with x-should-retry: false, every attempt
  kRetryAfterDate,       // 429 with an HTTP-date retry-after `times` attempts, then normal
  kMidstreamError,       // `deltas` text deltas, then an `error` event, then the body ends
  kDrop,                 // `deltas` text deltas, then the TCP connection closes (FIN or RST)
  kCleanEndWithoutStop,  // `deltas` text deltas, then the chunked body ends, no message_stop
  kStall,                // `deltas` text deltas, then silence with the connection open
};

// How the server suggests a retry delay on a 429.
struct RetryHint {
  enum class Kind { kSeconds, kMilliseconds, kNone };
  Kind kind = Kind::kSeconds;
  std::string value = "1";  // the header value as sent (seconds may be fractional)
};

// The test directives found in one message, e.g. "[fake:rate_limit:250ms] [fake:slow:20] hi".
//
// Syntax: `[fake:NAME]` or `[fake:NAME:ARG[:ARG2]]`; NAME is lower_snake_case, arguments are
// [A-Za-z0-9._-]+. Several directives may appear anywhere in the text: at most one outcome
// (see Outcome) plus any shape modifiers (slow, long, ping_heavy, tiny_writes, thinking,
// tool_use), which also apply to the eventual successful reply. Parsing is strict: an
// unknown name, a bad argument or two outcomes make the request fail with 400, so a typo in
// a test cannot silently turn into a normal reply. The full table is in README.md.
//
// A value type, built by MessagesEndpoint on the io thread.
class Scenario {
 public:
  // Parses every directive in `content`; a text without directives is kNormal.
  static absl::StatusOr<Scenario> FromContent(std::string_view content);

  Outcome outcome() const { return outcome_; }
  // kRateLimit / kOverloaded / kServerError / kRetryAfterDate: failing attempts before the
  // normal reply (default 1).
  int times() const { return times_; }
  // kRateLimit / kRateLimitAlways: the retry header (default `retry-after: 1`).
  const RetryHint& retry_hint() const { return retry_hint_; }
  // kRetryAfterDate: the date sent is now + this many seconds (default 2).
  int retry_after_date_seconds() const { return retry_after_date_seconds_; }
  // Mid-stream outcomes: how many text deltas are sent before the failure (default 2).
  int deltas_before_failure() const { return deltas_before_failure_; }
  // kDrop: close with RST instead of FIN (`[fake:drop:N:rst]`).
  bool reset() const { return reset_; }

  // Shape modifiers.
  std::optional<std::chrono::milliseconds> delta_delay() const { return delta_delay_; }
  int extra_words() const { return extra_words_; }
  bool ping_heavy() const { return ping_heavy_; }
  bool tiny_writes() const { return tiny_writes_; }
  bool thinking() const { return thinking_; }
  bool tool_use() const { return tool_use_; }

  // The directives as written, joined with '+' ("rate_limit:250ms+slow:20"), or "none".
  // Goes into log lines and request records.
  const std::string& label() const { return label_; }

  static std::string_view OutcomeName(Outcome outcome);

 private:
  absl::Status Apply(std::string_view name, std::string_view arg1, std::string_view arg2);
  absl::Status SetOutcome(Outcome outcome, std::string_view name);

  Outcome outcome_ = Outcome::kNormal;
  int times_ = 1;
  RetryHint retry_hint_;
  int retry_after_date_seconds_ = 2;
  int deltas_before_failure_ = 2;
  bool reset_ = false;
  std::optional<std::chrono::milliseconds> delta_delay_;
  int extra_words_ = 0;
  bool ping_heavy_ = false;
  bool tiny_writes_ = false;
  bool thinking_ = false;
  bool tool_use_ = false;
  std::string label_ = "none";
};

}  // namespace streamgate::fake_claude
