#include "gateway/store/frame_runs.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace streamgate::gateway {
namespace {

using namespace std::string_literals;

std::vector<StoredFrame> Frames(std::vector<std::pair<uint64_t, std::string>> items) {
  std::vector<StoredFrame> frames;
  for (auto& [seq, text] : items) frames.push_back(StoredFrame{.seq = seq, .frame = text});
  return frames;
}

TEST(FrameRuns, ConsecutiveFramesAreOneRunOfLengthPrefixedBytes) {
  auto runs = EncodeFrameRuns(Frames({{4, "ab"}, {5, ""}, {6, "xyz"}}));
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].first_seq, 4u);
  EXPECT_EQ(runs[0].last_seq, 6u);
  EXPECT_EQ(runs[0].blob,
            "\x02"
            "ab"
            "\x00"s
            "\x03"
            "xyz");
}

TEST(FrameRuns, AGapInTheSeqsStartsANewRun) {
  auto runs = EncodeFrameRuns(Frames({{1, "a"}, {2, "b"}, {5, "c"}, {7, "d"}, {8, "e"}}));
  ASSERT_EQ(runs.size(), 3u);
  EXPECT_EQ(runs[0].first_seq, 1u);
  EXPECT_EQ(runs[0].last_seq, 2u);
  EXPECT_EQ(runs[1].first_seq, 5u);
  EXPECT_EQ(runs[1].last_seq, 5u);
  EXPECT_EQ(runs[2].first_seq, 7u);
  EXPECT_EQ(runs[2].last_seq, 8u);
  EXPECT_TRUE(EncodeFrameRuns({}).empty());
}

TEST(FrameRuns, LengthsOver127TakeMoreVarintBytes) {
  std::string big(300, 'x');
  auto runs = EncodeFrameRuns(Frames({{9, big}}));
  ASSERT_EQ(runs.size(), 1u);
  // 300 = 0b10'0101100: low seven bits with the continuation bit, then the rest.
  EXPECT_EQ(runs[0].blob.substr(0, 2), "\xac\x02");
  EXPECT_EQ(runs[0].blob.size(), 302u);
  std::vector<StoredFrame> out;
  ASSERT_TRUE(DecodeFrameRun(9, 9, runs[0].blob, &out));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].frame, big);
}

TEST(FrameRuns, DecodingGivesBackEveryFrameWithItsSeq) {
  auto frames = Frames({{10, R"({"type":"stream_chunk","seq":10})"}, {11, ""}, {12, "{}"}});
  auto runs = EncodeFrameRuns(frames);
  ASSERT_EQ(runs.size(), 1u);
  std::vector<StoredFrame> out = Frames({{3, "already there"}});
  ASSERT_TRUE(DecodeFrameRun(runs[0].first_seq, runs[0].last_seq, runs[0].blob, &out));
  ASSERT_EQ(out.size(), 4u);
  EXPECT_EQ(out[0].frame, "already there");
  for (size_t i = 0; i < frames.size(); ++i) {
    EXPECT_EQ(out[i + 1].seq, frames[i].seq);
    EXPECT_EQ(out[i + 1].frame, frames[i].frame);
  }
}

TEST(FrameRuns, ADamagedRowDecodesToNothing) {
  const std::string good =
      "\x02"
      "ab"
      "\x01"
      "c";  // seqs 5 and 6
  std::vector<StoredFrame> out = Frames({{1, "kept"}});
  std::vector<std::tuple<uint64_t, uint64_t, std::string>> damaged = {
      {5, 7, good},  // a frame short
      {5, 5, good},  // a frame too many
      {5, 6,
       "\x02"
       "ab"
       "\x05"
       "c"},  // a length past the end
      {5, 6,
       "\x02"
       "ab"
       "\x81"},                                            // the blob ends inside a varint
      {0, 1, good},                                        // seq 0 is never used
      {6, 5, good},                                        // last before first
      {5, 5, "\xff\xff\xff\xff\xff\xff\xff\xff\xff\x7f"},  // a length beyond 64 bits
      {5, 5, ""},                                          // no frame at all
  };
  for (const auto& [first, last, blob] : damaged) {
    EXPECT_FALSE(DecodeFrameRun(first, last, blob, &out)) << first << ".." << last;
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].frame, "kept");
  }
  EXPECT_TRUE(DecodeFrameRun(5, 6, good, &out));
  EXPECT_EQ(out.size(), 3u);
}

}  // namespace
}  // namespace streamgate::gateway
