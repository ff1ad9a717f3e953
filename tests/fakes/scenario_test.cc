#include "tests/fakes/scenario.h"

#include <gtest/gtest.h>

#include <string>

namespace streamgate::fake_claude {
namespace {

using std::chrono::milliseconds;

TEST(Scenario, TextWithoutDirectiveIsNormal) {
  auto scenario = Scenario::FromContent("hello [not a directive] [fake] fake:drop");
  ASSERT_TRUE(scenario.ok()) << scenario.status();
  EXPECT_EQ(scenario->outcome(), Outcome::kNormal);
  EXPECT_EQ(scenario->label(), "none");
  EXPECT_FALSE(scenario->delta_delay().has_value());
}

TEST(Scenario, DirectiveAnywhereWithArgument) {
  auto scenario = Scenario::FromContent("tell me [fake:slow:50] slowly");
  ASSERT_TRUE(scenario.ok()) << scenario.status();
  EXPECT_EQ(scenario->outcome(), Outcome::kNormal);
  EXPECT_EQ(scenario->delta_delay(), milliseconds(50));
  EXPECT_EQ(scenario->label(), "slow:50");
}

TEST(Scenario, RateLimitDefaultsToRetryAfterOneSecondOnce) {
  auto scenario = Scenario::FromContent("[fake:rate_limit] hi");
  ASSERT_TRUE(scenario.ok()) << scenario.status();
  EXPECT_EQ(scenario->outcome(), Outcome::kRateLimit);
  EXPECT_EQ(scenario->retry_hint().kind, RetryHint::Kind::kSeconds);
  EXPECT_EQ(scenario->retry_hint().value, "1");
  EXPECT_EQ(scenario->times(), 1);
}

TEST(Scenario, RateLimitHintsAndTimes) {
  auto ms = Scenario::FromContent("[fake:rate_limit:250ms:3]");
  ASSERT_TRUE(ms.ok()) << ms.status();
  EXPECT_EQ(ms->retry_hint().kind, RetryHint::Kind::kMilliseconds);
  EXPECT_EQ(ms->retry_hint().value, "250");
  EXPECT_EQ(ms->times(), 3);

  auto fractional = Scenario::FromContent("[fake:rate_limit_always:0.5]");
  ASSERT_TRUE(fractional.ok()) << fractional.status();
  EXPECT_EQ(fractional->outcome(), Outcome::kRateLimitAlways);
  EXPECT_EQ(fractional->retry_hint().value, "0.5");

  auto none = Scenario::FromContent("[fake:rate_limit:none]");
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_EQ(none->retry_hint().kind, RetryHint::Kind::kNone);
}

TEST(Scenario, OneOutcomeCombinesWithModifiers) {
  auto scenario = Scenario::FromContent(
      "[fake:drop:3:rst] text [fake:long:10][fake:tiny_writes] [fake:thinking]");
  ASSERT_TRUE(scenario.ok()) << scenario.status();
  EXPECT_EQ(scenario->outcome(), Outcome::kDrop);
  EXPECT_EQ(scenario->deltas_before_failure(), 3);
  EXPECT_TRUE(scenario->reset());
  EXPECT_EQ(scenario->extra_words(), 10);
  EXPECT_TRUE(scenario->tiny_writes());
  EXPECT_TRUE(scenario->thinking());
  EXPECT_FALSE(scenario->tool_use());
  EXPECT_EQ(scenario->label(), "drop:3:rst+long:10+tiny_writes+thinking");
}

TEST(Scenario, MidStreamOutcomesDefaultToTwoDeltas) {
  for (const char* text :
       {"[fake:stall]", "[fake:drop]", "[fake:midstream_error]", "[fake:clean_end_without_stop]"}) {
    auto scenario = Scenario::FromContent(text);
    ASSERT_TRUE(scenario.ok()) << text << ": " << scenario.status();
    EXPECT_EQ(scenario->deltas_before_failure(), 2) << text;
    EXPECT_FALSE(scenario->reset()) << text;
  }
}

TEST(Scenario, EveryDocumentedNameParses) {
  for (const char* name :
       {"rate_limit", "rate_limit_always", "overloaded", "overloaded_always", "server_error",
        "unauthorized", "bad_request", "should_retry_false", "retry_after_date", "midstream_error",
        "drop", "clean_end_without_stop", "stall", "tiny_writes", "thinking", "tool_use",
        "ping_heavy", "slow", "long"}) {
    auto scenario = Scenario::FromContent(std::string("[fake:") + name + "]");
    EXPECT_TRUE(scenario.ok()) << name << ": " << scenario.status();
  }
}

TEST(Scenario, RejectsMistakesInsteadOfIgnoringThem) {
  for (const char* text : {
           "[fake:nope]",                         // unknown name
           "[fake:slow:abc]",                     // not a number
           "[fake:slow:-1]",                      // out of range
           "[fake:slow:1:2]",                     // one argument only
           "[fake:drop:1:fin]",                   // rst or nothing
           "[fake:unauthorized:1]",               // takes no argument
           "[fake:rate_limit][fake:overloaded]",  // two outcomes
           "[fake:stall",                         // unterminated
           "[fake:]",                             // no name
           "[fake:a:b:c:d]",                      // too many parts
           "[fake:slow:5 0]",                     // bad character
           "[fake:Slow]",                         // names are lower case
       }) {
    auto scenario = Scenario::FromContent(text);
    EXPECT_FALSE(scenario.ok()) << text;
    if (!scenario.ok()) {
      EXPECT_EQ(scenario.status().code(), absl::StatusCode::kInvalidArgument) << text;
    }
  }
}

}  // namespace
}  // namespace streamgate::fake_claude
