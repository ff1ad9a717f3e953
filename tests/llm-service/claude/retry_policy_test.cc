#include "llm-service/claude/retry_policy.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace streamgate::llm {
namespace {

// 2015-10-21T07:28:00Z, the fixed "now" for HTTP-date tests.
const absl::Time kNow = absl::FromUnixSeconds(1445412480);

RetryPolicy FixedPolicy(double jitter = 0.0, RetryPolicyOptions options = {}) {
  return RetryPolicy(
      options, [jitter] { return jitter; }, [] { return kNow; });
}

UpstreamAttempt Http(int status, HttpHeaders headers = {}) {
  UpstreamAttempt attempt;
  attempt.http_status = status;
  attempt.headers = std::move(headers);
  return attempt;
}

UpstreamAttempt Transport(TransportFailure failure) {
  UpstreamAttempt attempt;
  attempt.transport_failure = failure;
  return attempt;
}

TEST(RetryPolicy, RetryableStatuses) {
  const RetryPolicy policy = FixedPolicy();
  for (int status : {408, 409, 429, 500, 502, 503, 504, 529, 599}) {
    EXPECT_TRUE(policy.Decide(0, Http(status)).retry) << status;
  }
}

TEST(RetryPolicy, OtherStatusesNeverRetry) {
  const RetryPolicy policy = FixedPolicy();
  for (int status : {400, 401, 402, 403, 404, 405, 413, 422, 451, 499, 200, 301}) {
    EXPECT_EQ(policy.Decide(0, Http(status)), RetryDecision{}) << status;
  }
}

TEST(RetryPolicy, ConnectionErrorsAndTimeoutsRetry) {
  const RetryPolicy policy = FixedPolicy();
  EXPECT_TRUE(policy.Decide(0, Transport(TransportFailure::kConnection)).retry);
  EXPECT_TRUE(policy.Decide(0, Transport(TransportFailure::kTimeout)).retry);
}

TEST(RetryPolicy, ShouldRetryHeaderOverridesTheStatusRule) {
  const RetryPolicy policy = FixedPolicy();
  EXPECT_TRUE(policy.Decide(0, Http(400, {{"x-should-retry", "true"}})).retry);
  EXPECT_FALSE(policy.Decide(0, Http(529, {{"x-should-retry", "false"}})).retry);
  EXPECT_FALSE(policy.Decide(0, Http(429, {{"X-Should-Retry", " FALSE "}})).retry);
  // Any other value leaves the status rule in charge.
  EXPECT_TRUE(policy.Decide(0, Http(503, {{"x-should-retry", "maybe"}})).retry);
  EXPECT_FALSE(policy.Decide(0, Http(400, {{"x-should-retry", "1"}})).retry);
}

TEST(RetryPolicy, NeverAfterADeltaWasSent) {
  const RetryPolicy policy = FixedPolicy();
  UpstreamAttempt attempt = Http(529, {{"x-should-retry", "true"}});
  attempt.delta_sent = true;
  EXPECT_EQ(policy.Decide(0, attempt), RetryDecision{});
  UpstreamAttempt dropped = Transport(TransportFailure::kConnection);
  dropped.delta_sent = true;
  EXPECT_FALSE(policy.Decide(0, dropped).retry);
}

TEST(RetryPolicy, NeverBeyondMaxRetries) {
  const RetryPolicy policy = FixedPolicy();  // default max_retries = 2
  EXPECT_EQ(policy.options().max_retries, 2);
  EXPECT_TRUE(policy.Decide(0, Http(529)).retry);
  EXPECT_TRUE(policy.Decide(1, Http(529)).retry);
  EXPECT_FALSE(policy.Decide(2, Http(529)).retry);
  EXPECT_FALSE(policy.Decide(3, Http(529, {{"x-should-retry", "true"}})).retry);
  const RetryPolicy no_retries = FixedPolicy(0.0, {.max_retries = 0});
  EXPECT_FALSE(no_retries.Decide(0, Transport(TransportFailure::kTimeout)).retry);
}

TEST(RetryPolicy, BackoffDoublesFromHalfASecondUpToEight) {
  RetryPolicy policy = FixedPolicy(0.0, {.max_retries = 10});
  const std::vector<absl::Duration> expected = {
      absl::Milliseconds(500), absl::Seconds(1), absl::Seconds(2), absl::Seconds(4),
      absl::Seconds(8),        absl::Seconds(8), absl::Seconds(8)};
  for (int k = 0; k < static_cast<int>(expected.size()); ++k) {
    EXPECT_EQ(policy.Backoff(k), expected[k]) << k;
    EXPECT_EQ(policy.Decide(k, Http(500)), (RetryDecision{true, expected[k]})) << k;
  }
}

TEST(RetryPolicy, BackoffNeverOverflows) {
  const RetryPolicy policy = FixedPolicy();
  EXPECT_EQ(policy.Backoff(1'000'000), absl::Seconds(8));
  EXPECT_EQ(policy.Backoff(-5), absl::Milliseconds(500));
}

TEST(RetryPolicy, JitterShortensTheDelayByUpToAQuarter) {
  EXPECT_EQ(FixedPolicy(0.5).Backoff(1), absl::Milliseconds(875));
  EXPECT_EQ(FixedPolicy(0.5).Backoff(4), absl::Seconds(7));
  const absl::Duration near_one = FixedPolicy(0.999999).Backoff(0);
  EXPECT_GT(near_one, absl::Milliseconds(375));
  EXPECT_LE(near_one, absl::Milliseconds(376));
}

TEST(RetryPolicy, OutOfRangeRandomValuesAreClamped) {
  EXPECT_EQ(FixedPolicy(-3.0).Backoff(0), absl::Milliseconds(500));
  // Clamped to just below 1: a hair over 375 ms, which nanosecond resolution rounds to it.
  for (double too_big : {1.0, 42.0}) {
    const absl::Duration delay = FixedPolicy(too_big).Backoff(0);
    EXPECT_GE(delay, absl::Milliseconds(375)) << too_big;
    EXPECT_LT(delay, absl::Milliseconds(376)) << too_big;
  }
  EXPECT_EQ(FixedPolicy(std::nan("")).Backoff(0), absl::Milliseconds(500));
}

TEST(RetryPolicy, DefaultRandomStaysWithinTheJitterBand) {
  const RetryPolicy policy;
  for (int i = 0; i < 1000; ++i) {
    const absl::Duration delay = policy.Backoff(2);
    EXPECT_GT(delay, absl::Milliseconds(1500));
    EXPECT_LE(delay, absl::Seconds(2));
  }
}

TEST(RetryPolicy, HonoursRetryAfterMs) {
  const RetryPolicy policy = FixedPolicy();
  EXPECT_EQ(policy.Decide(0, Http(429, {{"retry-after-ms", "1500"}})).delay,
            absl::Milliseconds(1500));
  EXPECT_EQ(policy.Decide(0, Http(429, {{"Retry-After-Ms", "250.5"}})).delay,
            absl::Microseconds(250500));
}

TEST(RetryPolicy, RetryAfterMsWinsOverRetryAfter) {
  const RetryPolicy policy = FixedPolicy();
  EXPECT_EQ(policy.Decide(0, Http(429, {{"retry-after", "5"}, {"retry-after-ms", "100"}})).delay,
            absl::Milliseconds(100));
}

TEST(RetryPolicy, UnparseableRetryAfterMsFallsBackToRetryAfter) {
  const RetryPolicy policy = FixedPolicy();
  EXPECT_EQ(policy.Decide(0, Http(429, {{"retry-after-ms", "soon"}, {"retry-after", "3"}})).delay,
            absl::Seconds(3));
}

TEST(RetryPolicy, HonoursRetryAfterSeconds) {
  const RetryPolicy policy = FixedPolicy();
  EXPECT_EQ(policy.Decide(0, Http(503, {{"retry-after", "3"}})).delay, absl::Seconds(3));
  EXPECT_EQ(policy.Decide(0, Http(503, {{"Retry-After", " 1.5 "}})).delay,
            absl::Milliseconds(1500));
  EXPECT_EQ(policy.Decide(0, Http(503, {{"retry-after", "60"}})).delay, absl::Seconds(60));
}

TEST(RetryPolicy, HonoursRetryAfterHttpDate) {
  const RetryPolicy policy = FixedPolicy();
  EXPECT_EQ(policy.Decide(0, Http(503, {{"retry-after", "Wed, 21 Oct 2015 07:28:10 GMT"}})).delay,
            absl::Seconds(10));
  // The obsolete forms RFC 9110 still asks recipients to accept.
  EXPECT_EQ(
      policy.Decide(0, Http(503, {{"retry-after", "Wednesday, 21-Oct-15 07:28:20 GMT"}})).delay,
      absl::Seconds(20));
  EXPECT_EQ(policy.Decide(0, Http(503, {{"retry-after", "Wed Oct 21 07:28:30 2015"}})).delay,
            absl::Seconds(30));
}

TEST(RetryPolicy, SuggestionsOutsideZeroToSixtySecondsFallBackToBackoff) {
  const RetryPolicy policy = FixedPolicy();
  const RetryDecision backoff{true, absl::Milliseconds(500)};
  for (const HttpHeaders& headers : std::vector<HttpHeaders>{
           {{"retry-after", "61"}},
           {{"retry-after", "0"}},
           {{"retry-after", "-2"}},
           {{"retry-after-ms", "60001"}},
           {{"retry-after-ms", "0"}},
           {{"retry-after-ms", "-100"}},
           // A parseable but unusable retry-after-ms is not rescued by retry-after (as in the
           // Python SDK).
           {{"retry-after-ms", "70000"}, {"retry-after", "5"}},
           {{"retry-after", "Wed, 21 Oct 2015 07:27:00 GMT"}},  // in the past
           {{"retry-after", "Wed, 21 Oct 2015 07:30:00 GMT"}},  // 120 s away
           {{"retry-after", "tomorrow"}},
           {{"retry-after", "0x10"}},
           {{"retry-after", "inf"}},
           {{"retry-after", "nan"}},
           {{"retry-after", ""}},
       }) {
    EXPECT_EQ(policy.Decide(0, Http(429, headers)), backoff) << headers.front().second;
  }
}

TEST(RetryPolicy, ServerSuggestedDelayReportsRawValue) {
  const RetryPolicy policy = FixedPolicy();
  EXPECT_EQ(policy.ServerSuggestedDelay({}), std::nullopt);
  EXPECT_EQ(policy.ServerSuggestedDelay({{"retry-after", "120"}}), absl::Seconds(120));
  EXPECT_EQ(policy.ServerSuggestedDelay({{"retry-after", "Wed, 21 Oct 2015 07:27:00 GMT"}}),
            absl::Seconds(-60));
}

TEST(RetryPolicy, TransportFailuresUseBackoff) {
  const RetryPolicy policy = FixedPolicy();
  UpstreamAttempt attempt = Transport(TransportFailure::kTimeout);
  attempt.headers = {{"retry-after", "3"}};  // stale headers from nowhere are ignored
  EXPECT_EQ(policy.Decide(1, attempt), (RetryDecision{true, absl::Seconds(1)}));
}

TEST(RetryPolicy, IsRetryableIgnoresBudgetAndDeltas) {
  UpstreamAttempt attempt = Http(529);
  attempt.delta_sent = true;
  EXPECT_TRUE(RetryPolicy::IsRetryable(attempt));
  EXPECT_FALSE(RetryPolicy::IsRetryable(Http(401)));
}

}  // namespace
}  // namespace streamgate::llm
