#include "common/token_bucket.h"

#include "common/log_throttle.h"
#include "gtest/gtest.h"

namespace streamgate::common {
namespace {

using Clock = TokenBucketRule::Clock;
using namespace std::chrono_literals;

const Clock::time_point kT0 = Clock::time_point(100s);

TEST(TokenBucket, StartsFullAndRefusesPastTheBurst) {
  TokenBucketRule rule(/*rate=*/10, /*burst=*/20);
  TokenBucket bucket;
  for (int i = 0; i < 20; ++i) EXPECT_TRUE(rule.TryTake(bucket, kT0)) << i;
  Clock::duration retry{};
  EXPECT_FALSE(rule.TryTake(bucket, kT0, 1, &retry));
  EXPECT_EQ(retry, 100ms);
}

TEST(TokenBucket, RefillsAtTheRateUpToTheBurst) {
  TokenBucketRule rule(10, 20);
  TokenBucket bucket;
  for (int i = 0; i < 20; ++i) rule.TryTake(bucket, kT0);
  EXPECT_FALSE(rule.TryTake(bucket, kT0 + 50ms));
  EXPECT_TRUE(rule.TryTake(bucket, kT0 + 100ms));
  EXPECT_FALSE(rule.TryTake(bucket, kT0 + 100ms));
  EXPECT_TRUE(rule.IsFull(bucket, kT0 + 1h));
  for (int i = 0; i < 20; ++i) EXPECT_TRUE(rule.TryTake(bucket, kT0 + 1h));
  EXPECT_FALSE(rule.TryTake(bucket, kT0 + 1h));
}

TEST(TokenBucket, ATimeGoingBackwardsAddsNothing) {
  TokenBucketRule rule(1, 1);
  TokenBucket bucket;
  EXPECT_TRUE(rule.TryTake(bucket, kT0));
  EXPECT_FALSE(rule.TryTake(bucket, kT0 - 10s));
  EXPECT_FALSE(rule.TryTake(bucket, kT0 + 500ms));
  EXPECT_TRUE(rule.TryTake(bucket, kT0 + 1s));
}

TEST(TokenBucket, ReserveGiveBackAndDebt) {
  TokenBucketRule rule(/*rate=*/1, /*burst=*/100);
  TokenBucket bucket;
  EXPECT_TRUE(rule.TryTake(bucket, kT0, 60));
  EXPECT_FALSE(rule.TryTake(bucket, kT0, 60));
  rule.Give(bucket, kT0, 50);  // the reply used 10 of its 60
  EXPECT_TRUE(rule.TryTake(bucket, kT0, 60));
  rule.ForceTake(bucket, kT0, 50);  // and this one 110: 20 in debt
  Clock::duration retry{};
  EXPECT_FALSE(rule.TryTake(bucket, kT0, 1, &retry));
  EXPECT_EQ(retry, 21s);
  rule.Give(bucket, kT0, 1000);
  EXPECT_TRUE(rule.IsFull(bucket, kT0));
}

TEST(TokenBucket, ARequestLargerThanTheBurstWaitsForAFullBucket) {
  TokenBucketRule rule(10, 20);
  TokenBucket bucket;
  Clock::duration retry{};
  EXPECT_FALSE(rule.TryTake(bucket, kT0, 50, &retry));
  EXPECT_EQ(retry, 0ms);
}

TEST(TokenBucket, RateZeroIsNoLimit) {
  TokenBucketRule rule(0, 0);
  TokenBucket bucket;
  EXPECT_FALSE(rule.enabled());
  for (int i = 0; i < 1000; ++i) EXPECT_TRUE(rule.TryTake(bucket, kT0));
}

TEST(LogThrottle, LogsTheFirstThenOncePerWindowWithTheCountLeftOut) {
  LogThrottle throttle;
  uint64_t suppressed = 99;
  EXPECT_TRUE(throttle.Admit(kT0, &suppressed, 10s));
  EXPECT_EQ(suppressed, 0u);
  for (int i = 0; i < 5; ++i) EXPECT_FALSE(throttle.Admit(kT0 + 1s, &suppressed, 10s));
  EXPECT_FALSE(throttle.Admit(kT0 + 9s, &suppressed, 10s));
  EXPECT_TRUE(throttle.Admit(kT0 + 10s, &suppressed, 10s));
  EXPECT_EQ(suppressed, 6u);
  EXPECT_TRUE(throttle.Admit(kT0 + 30s, &suppressed, 10s));
  EXPECT_EQ(suppressed, 0u);
}

}  // namespace
}  // namespace streamgate::common
