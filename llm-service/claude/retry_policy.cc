#include "llm-service/claude/retry_policy.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <random>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"

namespace streamgate::llm {
namespace {

double DefaultRandom() {
  thread_local std::mt19937_64 engine{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.0, 1.0)(engine);
}

absl::string_view AbslView(std::string_view text) { return {text.data(), text.size()}; }

// The first header called `name`, without surrounding whitespace.
std::optional<std::string_view> FindHeader(const HttpHeaders& headers, std::string_view name) {
  for (const auto& [header_name, value] : headers) {
    if (absl::EqualsIgnoreCase(header_name, AbslView(name))) {
      absl::string_view stripped = absl::StripAsciiWhitespace(value);
      return std::string_view(stripped.data(), stripped.size());
    }
  }
  return std::nullopt;
}

// A plain decimal number such as "2" or "1.5". Unlike absl::SimpleAtod this rejects hex,
// and like the SDKs it refuses "inf" and "nan" (they fail the finite check).
std::optional<double> ParseDecimal(std::string_view text) {
  double value = 0;
  auto [end, ec] =
      std::from_chars(text.data(), text.data() + text.size(), value, std::chars_format::general);
  if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(value)) {
    return std::nullopt;
  }
  return value;
}

// RFC 9110 HTTP-date: the IMF-fixdate form and the two obsolete forms recipients must accept.
std::optional<absl::Time> ParseHttpDate(std::string_view text) {
  static constexpr std::array<const char*, 3> kFormats = {
      "%a, %d %b %Y %H:%M:%S GMT",  // Sun, 06 Nov 1994 08:49:37 GMT
      "%A, %d-%b-%y %H:%M:%S GMT",  // Sunday, 06-Nov-94 08:49:37 GMT
      "%a %b %e %H:%M:%S %Y",       // Sun Nov  6 08:49:37 1994
  };
  for (const char* format : kFormats) {
    absl::Time time;
    std::string error;
    if (absl::ParseTime(format, AbslView(text), absl::UTCTimeZone(), &time, &error)) return time;
  }
  return std::nullopt;
}

}  // namespace

RetryPolicy::RetryPolicy(RetryPolicyOptions options, RandomSource random, Clock now)
    : options_(options),
      random_(random ? std::move(random) : RandomSource(DefaultRandom)),
      now_(now ? std::move(now) : Clock([] { return absl::Now(); })) {}

RetryDecision RetryPolicy::Decide(int retries_done, const UpstreamAttempt& attempt) const {
  if (retries_done >= options_.max_retries || attempt.delta_sent || !IsRetryable(attempt)) {
    return RetryDecision{};
  }
  if (!attempt.transport_failure.has_value()) {
    std::optional<absl::Duration> suggested = ServerSuggestedDelay(attempt.headers);
    if (suggested.has_value() && *suggested > absl::ZeroDuration() &&
        *suggested <= options_.max_server_delay) {
      return RetryDecision{true, *suggested};
    }
  }
  return RetryDecision{true, Backoff(retries_done)};
}

bool RetryPolicy::IsRetryable(const UpstreamAttempt& attempt) {
  if (attempt.transport_failure.has_value()) return true;
  // Not a standard header: the API's explicit word beats the status rule either way.
  if (std::optional<std::string_view> should_retry =
          FindHeader(attempt.headers, "x-should-retry")) {
    if (absl::EqualsIgnoreCase(AbslView(*should_retry), "true")) return true;
    if (absl::EqualsIgnoreCase(AbslView(*should_retry), "false")) return false;
  }
  const int status = attempt.http_status;
  return status == 408 || status == 409 || status == 429 || status >= 500;
}

absl::Duration RetryPolicy::Backoff(int retries_done) const {
  absl::Duration delay = options_.initial_delay;
  // Doubling in a loop (not 2^k) cannot overflow, whatever retries_done is.
  for (int i = 0; i < retries_done && delay < options_.max_backoff; ++i) delay *= 2;
  delay = std::min(delay, options_.max_backoff);
  double jitter = random_();
  if (!(jitter >= 0.0)) jitter = 0.0;  // NaN too
  jitter = std::min(jitter, std::nextafter(1.0, 0.0));
  return delay * (1.0 - 0.25 * jitter);
}

std::optional<absl::Duration> RetryPolicy::ServerSuggestedDelay(const HttpHeaders& headers) const {
  if (std::optional<std::string_view> ms = FindHeader(headers, "retry-after-ms")) {
    if (std::optional<double> value = ParseDecimal(*ms)) return absl::Milliseconds(*value);
  }
  std::optional<std::string_view> retry_after = FindHeader(headers, "retry-after");
  if (!retry_after.has_value()) return std::nullopt;
  if (std::optional<double> seconds = ParseDecimal(*retry_after)) return absl::Seconds(*seconds);
  if (std::optional<absl::Time> date = ParseHttpDate(*retry_after)) return *date - now_();
  return std::nullopt;
}

}  // namespace streamgate::llm
