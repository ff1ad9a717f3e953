#include "gateway/store/frame_bound.h"

#include <vector>

#include "gtest/gtest.h"

namespace streamgate::gateway {
namespace {

std::vector<StoredFrame> FramesOfSizes(std::vector<size_t> sizes) {
  std::vector<StoredFrame> frames;
  uint64_t seq = 1;
  for (size_t size : sizes)
    frames.push_back(StoredFrame{.seq = seq++, .frame = std::string(size, 'f')});
  return frames;
}

TEST(FramesThatFit, TakesTheLongestPrefixWithinTheLimit) {
  auto frames = FramesOfSizes({100, 100, 100});
  uint64_t each = FrameBytes(frames[0]);
  uint64_t bytes = 0;
  EXPECT_EQ(FramesThatFit(frames, 0, 3 * each, &bytes), 3u);
  EXPECT_EQ(bytes, 3 * each);
  EXPECT_EQ(FramesThatFit(frames, each, 3 * each, &bytes), 2u);
  EXPECT_EQ(FramesThatFit(frames, 3 * each, 3 * each, &bytes), 0u);
  EXPECT_EQ(bytes, 0u);
}

TEST(FramesThatFit, StopsAtTheFirstFrameThatDoesNotFitEvenIfALaterOneWould) {
  auto frames = FramesOfSizes({10, 5000, 10});
  uint64_t bytes = 0;
  EXPECT_EQ(FramesThatFit(frames, 0, 1000, &bytes), 1u);
}

TEST(ReplayLoss, StartsEmptyAndKeepsTheLowestFirstAndHighestLast) {
  ReplayLoss loss;
  EXPECT_FALSE(loss.any());
  loss.Add(10, 12);
  loss.Add(5, 6);
  loss.Add(20, 30);
  EXPECT_EQ(loss, (ReplayLoss{.from = 5, .through = 30}));
  loss.Add(0, 0);  // nothing
  EXPECT_EQ(loss, (ReplayLoss{.from = 5, .through = 30}));
}

TEST(ReplayLoss, DropBelowRaisesTheStartAndClearsOncePastTheEnd) {
  ReplayLoss loss{.from = 5, .through = 30};
  loss.DropBelow(3);
  EXPECT_EQ(loss, (ReplayLoss{.from = 5, .through = 30}));
  loss.DropBelow(12);
  EXPECT_EQ(loss, (ReplayLoss{.from = 12, .through = 30}));
  loss.DropBelow(30);  // frame 30 is still needed
  EXPECT_TRUE(loss.any());
  loss.DropBelow(31);
  EXPECT_FALSE(loss.any());
  EXPECT_EQ(loss, ReplayLoss{});
}

TEST(ReplayLoss, APutCarriesItsLossButCannotClearOne) {
  StoredSession session;
  EXPECT_FALSE(LossOfPut(session).any());
  session.replay_lost_from = 7;
  EXPECT_EQ(LossOfPut(session), (ReplayLoss{.from = 7, .through = 7}));
  ReplayLoss stored{.from = 9, .through = 12};
  stored.Add(LossOfPut(StoredSession{}));
  EXPECT_EQ(stored, (ReplayLoss{.from = 9, .through = 12}));
}

}  // namespace
}  // namespace streamgate::gateway
