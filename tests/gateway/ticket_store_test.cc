#include "gateway/auth/ticket_store.h"

#include "gtest/gtest.h"

namespace streamgate::gateway {
namespace {

const absl::Time kT0 = absl::FromUnixSeconds(1'800'000'000);

Principal Alice() { return Principal{.identity = "alice", .credential = "key:k1#00"}; }

TEST(TicketStore, ATicketWorksOnceForItsPrincipal) {
  TicketStore store({.lifetime = absl::Seconds(30)});
  auto ticket = store.Issue(Alice(), kT0);
  ASSERT_TRUE(ticket.has_value());
  EXPECT_EQ(ticket->rfind("sgt_", 0), 0u);
  EXPECT_GE(ticket->size(), 4u + 43u);
  auto principal = store.Redeem(*ticket, kT0 + absl::Seconds(1));
  ASSERT_TRUE(principal.has_value());
  EXPECT_EQ(principal->identity, "alice");
  EXPECT_EQ(principal->credential, "key:k1#00");
  EXPECT_FALSE(store.Redeem(*ticket, kT0 + absl::Seconds(2)).has_value());
  EXPECT_EQ(store.outstanding(), 0u);
}

TEST(TicketStore, AnExpiredTicketIsRefusedAndSpent) {
  TicketStore store({.lifetime = absl::Seconds(30)});
  auto ticket = store.Issue(Alice(), kT0);
  ASSERT_TRUE(ticket.has_value());
  EXPECT_FALSE(store.Redeem(*ticket, kT0 + absl::Seconds(30)).has_value());
  EXPECT_EQ(store.outstanding(), 0u);
}

TEST(TicketStore, UnknownAndMalformedTicketsAreRefused) {
  TicketStore store({});
  store.Issue(Alice(), kT0);
  EXPECT_FALSE(store.Redeem("sgt_nope", kT0).has_value());
  EXPECT_FALSE(store.Redeem("", kT0).has_value());
  EXPECT_FALSE(store.Redeem(std::string(1000, 's'), kT0).has_value());
  EXPECT_EQ(store.outstanding(), 1u);
}

TEST(TicketStore, BoundsPerIdentityAndInAll) {
  TicketStore store({.lifetime = absl::Seconds(30), .max_outstanding = 5, .max_per_identity = 3});
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(store.Issue(Alice(), kT0).has_value());
  EXPECT_FALSE(store.Issue(Alice(), kT0).has_value());
  Principal bob{.identity = "bob"};
  EXPECT_TRUE(store.Issue(bob, kT0).has_value());
  EXPECT_TRUE(store.Issue(bob, kT0).has_value());
  EXPECT_FALSE(store.Issue(Principal{.identity = "carol"}, kT0).has_value());
  // Expiry frees the places.
  EXPECT_TRUE(store.Issue(Principal{.identity = "carol"}, kT0 + absl::Seconds(31)).has_value());
  EXPECT_EQ(store.outstanding(), 1u);
}

TEST(TicketStore, RedeemingGivesThePlaceBack) {
  TicketStore store({.lifetime = absl::Seconds(30), .max_outstanding = 10, .max_per_identity = 1});
  auto first = store.Issue(Alice(), kT0);
  EXPECT_FALSE(store.Issue(Alice(), kT0).has_value());
  ASSERT_TRUE(store.Redeem(*first, kT0).has_value());
  EXPECT_TRUE(store.Issue(Alice(), kT0).has_value());
}

}  // namespace
}  // namespace streamgate::gateway
