#include "gateway/limits/address_admission.h"

#include "gtest/gtest.h"

namespace streamgate::gateway {
namespace {

using namespace std::chrono_literals;
using boost::asio::ip::make_address;
const AddressAdmission::Clock::time_point kT0 = AddressAdmission::Clock::time_point(1000s);

TEST(AddressAdmission, PendingPerAddressAndInAll) {
  AddressAdmission admission({.max_pending = 3, .max_pending_per_address = 2});
  auto a1 = admission.TryAdmit(make_address("10.0.0.1"));
  auto a2 = admission.TryAdmit(make_address("10.0.0.1"));
  bool per_address = false;
  auto a3 = admission.TryAdmit(make_address("10.0.0.1"), &per_address);
  EXPECT_TRUE(a1.valid());
  EXPECT_TRUE(a2.valid());
  EXPECT_FALSE(a3.valid());
  EXPECT_TRUE(per_address);
  auto b1 = admission.TryAdmit(make_address("10.0.0.2"));
  EXPECT_TRUE(b1.valid());
  auto c1 = admission.TryAdmit(make_address("10.0.0.3"), &per_address);
  EXPECT_FALSE(c1.valid());
  EXPECT_FALSE(per_address);
  EXPECT_EQ(admission.pending(), 3u);
  a1.Release();
  EXPECT_TRUE(admission.TryAdmit(make_address("10.0.0.3")).valid());
  EXPECT_EQ(admission.pending(), 2u);  // the temporary slot above was given back at once
}

TEST(AddressAdmission, Ipv6CountsBySlash64AndMappedV4AsV4) {
  AddressAdmission admission({.max_pending = 100, .max_pending_per_address = 1});
  auto a = admission.TryAdmit(make_address("2001:db8:1:2::1"));
  EXPECT_TRUE(a.valid());
  EXPECT_FALSE(admission.TryAdmit(make_address("2001:db8:1:2:ffff::9")).valid());
  EXPECT_TRUE(admission.TryAdmit(make_address("2001:db8:1:3::1")).valid());
  auto v4 = admission.TryAdmit(make_address("192.0.2.7"));
  EXPECT_TRUE(v4.valid());
  EXPECT_FALSE(admission.TryAdmit(make_address("::ffff:192.0.2.7")).valid());
}

TEST(AddressAdmission, UpgradesPerAddressFollowTheirBucket) {
  AddressAdmission admission({.max_pending = 10,
                              .max_pending_per_address = 10,
                              .upgrades_per_second = 10,
                              .upgrades_burst = 20});
  auto address = make_address("10.0.0.1");
  AddressAdmission::Clock::duration retry{};
  for (int i = 0; i < 20; ++i) EXPECT_TRUE(admission.TryUpgrade(address, &retry, kT0)) << i;
  EXPECT_FALSE(admission.TryUpgrade(address, &retry, kT0));
  EXPECT_EQ(retry, 100ms);
  EXPECT_TRUE(admission.TryUpgrade(make_address("10.0.0.2"), &retry, kT0));
  EXPECT_TRUE(admission.TryUpgrade(address, &retry, kT0 + 100ms));
}

TEST(AddressAdmission, NoRateMeansNoLimitAndNothingTracked) {
  AddressAdmission admission({.max_pending = 10, .max_pending_per_address = 10});
  AddressAdmission::Clock::duration retry{};
  for (int i = 0; i < 1000; ++i)
    EXPECT_TRUE(admission.TryUpgrade(make_address("10.0.0.1"), &retry));
  EXPECT_EQ(admission.tracked(), 0u);
}

TEST(AddressAdmission, TheTableIsBoundedAndOverflowSharesOneEntry) {
  AddressAdmission admission({.max_pending = 1 << 20, .max_pending_per_address = 1});
  std::vector<AddressAdmission::PendingSlot> slots;
  for (size_t i = 0; i < AddressAdmission::kMaxTracked; ++i) {
    auto address = boost::asio::ip::address_v4(static_cast<uint32_t>(0x0a000000 + i));
    slots.push_back(admission.TryAdmit(address));
    ASSERT_TRUE(slots.back().valid());
  }
  EXPECT_EQ(admission.tracked(), AddressAdmission::kMaxTracked);
  // Past the bound, new addresses share the overflow entry (and its one pending place).
  auto first = admission.TryAdmit(make_address("172.16.0.1"));
  EXPECT_TRUE(first.valid());
  EXPECT_FALSE(admission.TryAdmit(make_address("172.16.0.2")).valid());
  EXPECT_EQ(admission.tracked(), AddressAdmission::kMaxTracked);
  first.Release();
  slots.clear();
  EXPECT_EQ(admission.tracked(), 0u);
  EXPECT_EQ(admission.pending(), 0u);
}

}  // namespace
}  // namespace streamgate::gateway
