#include "gateway/limits/identity_limits.h"

#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace streamgate::gateway {
namespace {

using namespace std::chrono_literals;
using Clock = IdentityLimits::Clock;
const Clock::time_point kT0 = Clock::time_point(1000s);

TEST(IdentityLimits, ConnectionsPerIdentityAreCountedAndGivenBack) {
  IdentityLimits limits({.connections = 2});
  auto a = limits.TryOpen("alice");
  auto b = limits.TryOpen("alice");
  EXPECT_TRUE(a.valid());
  EXPECT_TRUE(b.valid());
  EXPECT_FALSE(limits.TryOpen("alice").valid());
  EXPECT_TRUE(limits.TryOpen("bob").valid());  // another identity is unaffected
  { auto gone = std::move(a); }
  EXPECT_TRUE(limits.TryOpen("alice").valid());
}

TEST(IdentityLimits, ZeroMeansNoLimit) {
  IdentityLimits limits({});
  std::vector<IdentityLimits::Lease> leases;
  for (int i = 0; i < 100; ++i) leases.push_back(limits.TryOpen("x"));
  for (auto& lease : leases) ASSERT_TRUE(lease.valid());
  auto account = limits.Join("x");
  std::vector<IdentityLimits::ReplyPermit> permits(100);
  for (auto& permit : permits) EXPECT_FALSE(account.TryStartReply(1000, &permit, kT0));
}

TEST(IdentityLimits, ConcurrentRepliesAcrossSessionsOfOneIdentity) {
  IdentityLimits limits({.concurrent_replies = 2});
  auto a = limits.Join("alice");
  auto b = limits.Join("alice");
  IdentityLimits::ReplyPermit p1, p2, p3;
  EXPECT_FALSE(a.TryStartReply(0, &p1, kT0));
  EXPECT_FALSE(b.TryStartReply(0, &p2, kT0));
  auto refused = a.TryStartReply(0, &p3, kT0);
  ASSERT_TRUE(refused.has_value());
  EXPECT_EQ(refused->limit, "concurrent_replies");
  EXPECT_GT(refused->retry_after.count(), 0);
  p1.End(0, kT0);
  EXPECT_FALSE(a.TryStartReply(0, &p3, kT0));
}

TEST(IdentityLimits, MessagesPerMinuteRefillAtTheRate) {
  IdentityLimits limits({.messages_per_minute = 3});
  auto lease = limits.Join("alice");
  for (int i = 0; i < 3; ++i) {
    IdentityLimits::ReplyPermit permit;
    EXPECT_FALSE(lease.TryStartReply(0, &permit, kT0)) << i;
    permit.End(0, kT0);
  }
  IdentityLimits::ReplyPermit permit;
  auto refused = lease.TryStartReply(0, &permit, kT0);
  ASSERT_TRUE(refused.has_value());
  EXPECT_EQ(refused->limit, "messages_per_minute");
  EXPECT_EQ(refused->retry_after, 20s);  // one message per 20 s
  EXPECT_FALSE(lease.TryStartReply(0, &permit, kT0 + 20s));
}

TEST(IdentityLimits, ReconnectingDoesNotResetALimit) {
  // Real time: whether an entry may be dropped is judged by the clock.
  IdentityLimits limits({.messages_per_minute = 1});
  {
    auto lease = limits.Join("alice");
    IdentityLimits::ReplyPermit permit;
    EXPECT_FALSE(lease.TryStartReply(0, &permit));
    permit.End(0);
  }
  auto again = limits.Join("alice");
  IdentityLimits::ReplyPermit permit;
  EXPECT_TRUE(again.TryStartReply(0, &permit).has_value());
}

TEST(IdentityLimits, TokensAreReservedThenReconciled) {
  IdentityLimits limits({.tokens_per_minute = 1000});
  auto lease = limits.Join("alice");
  IdentityLimits::ReplyPermit first, second, third;
  EXPECT_FALSE(lease.TryStartReply(600, &first, kT0));
  // 400 left: a second reservation of 600 must wait, whatever the first will use.
  auto refused = lease.TryStartReply(600, &second, kT0);
  ASSERT_TRUE(refused.has_value());
  EXPECT_EQ(refused->limit, "tokens_per_minute");
  // The first used 100 of its 600: 500 come back, 900 are free.
  first.End(100, kT0);
  EXPECT_FALSE(lease.TryStartReply(600, &second, kT0));
  // It used 800, 200 more than reserved: 100 left.
  second.End(800, kT0);
  EXPECT_TRUE(lease.TryStartReply(200, &third, kT0).has_value());
  EXPECT_FALSE(lease.TryStartReply(100, &third, kT0));
}

TEST(IdentityLimits, ATokenRefusalTakesNoMessage) {
  IdentityLimits limits({.messages_per_minute = 1, .tokens_per_minute = 10});
  auto lease = limits.Join("alice");
  IdentityLimits::ReplyPermit permit;
  EXPECT_EQ(lease.TryStartReply(50, &permit, kT0)->limit, "tokens_per_minute");
  EXPECT_FALSE(lease.TryStartReply(5, &permit, kT0));
}

TEST(IdentityLimits, APermitDroppedWithoutEndKeepsItsReservation) {
  IdentityLimits limits({.concurrent_replies = 1, .tokens_per_minute = 100});
  auto lease = limits.Join("alice");
  {
    IdentityLimits::ReplyPermit permit;
    EXPECT_FALSE(lease.TryStartReply(80, &permit, kT0));
  }
  IdentityLimits::ReplyPermit next;
  // The concurrency slot is free again; the 80 tokens stay charged.
  EXPECT_EQ(lease.TryStartReply(30, &next, kT0)->limit, "tokens_per_minute");
  EXPECT_FALSE(lease.TryStartReply(20, &next, kT0));
}

TEST(IdentityLimits, ConcurrentReservationsNeverOvershoot) {
  IdentityLimits limits({.tokens_per_minute = 1000});
  auto lease = limits.Join("alice");
  std::atomic<int> granted{0};
  std::vector<std::thread> threads;
  std::vector<IdentityLimits::ReplyPermit> permits(20);
  for (int i = 0; i < 20; ++i) {
    threads.emplace_back([&, i] {
      if (!lease.TryStartReply(150, &permits[i], kT0)) granted.fetch_add(1);
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(granted.load(), 6);  // 6 x 150 = 900 <= 1000 < 7 x 150
}

TEST(IdentityLimits, IdleEntriesGoOnceTheirBucketsAreFull) {
  IdentityLimits limits({.connections = 5});
  { auto lease = limits.TryOpen("alice"); }
  { auto account = limits.Join("alice"); }
  EXPECT_EQ(limits.tracked(), 0u);
  IdentityLimits with_rate({.messages_per_minute = 1});
  {
    auto lease = with_rate.Join("alice");
    IdentityLimits::ReplyPermit permit;
    lease.TryStartReply(0, &permit);
    permit.End(0);
  }
  EXPECT_EQ(with_rate.tracked(), 1u);  // kept: its bucket is not full
}

}  // namespace
}  // namespace streamgate::gateway
