#include "common/ids.h"

#include <set>

#include "gtest/gtest.h"

namespace streamgate::common {
namespace {

TEST(Ids, NewUuidV4IsCanonicalVersion4) {
  for (int i = 0; i < 1000; ++i) {
    std::string id = NewUuidV4();
    ASSERT_TRUE(IsUuidV4(id)) << id;
  }
}

TEST(Ids, NewUuidV4DoesNotRepeat) {
  std::set<std::string> seen;
  for (int i = 0; i < 10000; ++i) ASSERT_TRUE(seen.insert(NewUuidV4()).second);
}

TEST(Ids, IsUuidV4RejectsOtherShapes) {
  EXPECT_TRUE(IsUuidV4("3f2b6c1e-8d4a-4e0b-9c7d-2a1b3c4d5e6f"));
  EXPECT_FALSE(IsUuidV4("3f2b6c1e-8d4a-1e0b-9c7d-2a1b3c4d5e6f"));   // version 1
  EXPECT_FALSE(IsUuidV4("3f2b6c1e-8d4a-4e0b-7c7d-2a1b3c4d5e6f"));   // NCS variant
  EXPECT_FALSE(IsUuidV4("3F2B6C1E-8D4A-4E0B-9C7D-2A1B3C4D5E6F"));   // uppercase
  EXPECT_FALSE(IsUuidV4("3f2b6c1e8d4a-4e0b-9c7d-2a1b3c4d5e6f0"));   // dash misplaced
  EXPECT_FALSE(IsUuidV4("3f2b6c1e-8d4a-4e0b-9c7d-2a1b3c4d5e6"));    // short
  EXPECT_FALSE(IsUuidV4("3f2b6c1e-8d4a-4e0b-9c7d-2a1b3c4d5e6g"));   // not hex
  EXPECT_FALSE(IsUuidV4(""));
}

}  // namespace
}  // namespace streamgate::common
