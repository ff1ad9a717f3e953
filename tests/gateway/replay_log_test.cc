#include "gateway/replay_log.h"

#include <string>
#include <vector>

#include "gateway/server_frames.h"
#include "gtest/gtest.h"

namespace streamgate::gateway {
namespace {

// The log is fed its frames by a session; these tests feed it directly and look at what it
// hands out, seq by seq and byte by byte.
class ReplayLogTest : public ::testing::Test {
 protected:
  // A non-chunk frame whose text names its seq, so a frame handed twice is recognisable.
  static auto Text(std::string_view name) {
    return [name](uint64_t seq) { return std::string(name) + "#" + std::to_string(seq); };
  }
  static std::string Chunk(uint64_t seq, std::string_view conversation, std::string_view text) {
    return EncodeStreamChunk(kSessionId, seq, conversation, text);
  }
  // A growing chunk's share of bytes(): text, conversation and session ids, the overhead.
  static size_t Growing(std::string_view conversation, std::string_view text) {
    return text.size() + conversation.size() + std::string_view(kSessionId).size() +
           ReplayLog::kChunkOverheadBytes;
  }
  // Hands out everything pending, as the session's Pump does.
  std::vector<ReplayLog::Frame> TakeAll() {
    std::vector<ReplayLog::Frame> out;
    while (log_.has_pending()) out.push_back(log_.TakeNext());
    return out;
  }
  static std::vector<uint64_t> Seqs(const std::vector<ReplayLog::Frame>& frames) {
    std::vector<uint64_t> seqs;
    for (const auto& frame : frames) seqs.push_back(frame.seq);
    return seqs;
  }

  static constexpr const char* kSessionId = "s1";
  std::string id_ = kSessionId;
  ReplayLog log_{&id_};
};

TEST_F(ReplayLogTest, SeqsAreContiguousFromOneAcrossKindsOfFrames) {
  EXPECT_EQ(log_.last_seq(), 0u);
  EXPECT_EQ(log_.oldest_seq(), 1u);
  EXPECT_FALSE(log_.has_pending());
  EXPECT_EQ(log_.Push(Text("a")), 1u);
  log_.PushChunk("c", "x");
  EXPECT_EQ(log_.Push(Text("e"), /*ephemeral=*/true), 3u);
  log_.PushChunk("c", "y");
  EXPECT_EQ(log_.last_seq(), 4u);
  auto frames = TakeAll();
  EXPECT_EQ(Seqs(frames), (std::vector<uint64_t>{1, 2, 3, 4}));
  EXPECT_EQ(*frames[0].text, "a#1");
  EXPECT_EQ(*frames[1].text, Chunk(2, "c", "x"));
  EXPECT_EQ(*frames[2].text, "e#3");
  EXPECT_EQ(*frames[3].text, Chunk(4, "c", "y"));
  EXPECT_EQ(log_.handed_seq(), 4u);
}

TEST_F(ReplayLogTest, ChunksOfOneConversationMergeWhilePending) {
  log_.PushChunk("c", "Hel");
  log_.PushChunk("c", "lo");
  log_.PushChunk("c", " world");
  EXPECT_EQ(log_.last_seq(), 1u);
  EXPECT_EQ(log_.frames(), 1u);
  auto frames = TakeAll();
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(*frames[0].text, Chunk(1, "c", "Hello world"));
}

TEST_F(ReplayLogTest, ChunksNeverMergeAcrossConversationsPushesOrHandedFrames) {
  log_.PushChunk("a", "1");
  log_.PushChunk("b", "2");  // another conversation: a frame of its own
  log_.PushChunk("b", "3");  // merges into "2"
  log_.Push(Text("p"));      // seals "23"
  log_.PushChunk("b", "4");  // after another push: new frame
  auto first = TakeAll();
  log_.PushChunk("b", "5");  // "4" was handed: final
  log_.Push(Text("e"), /*ephemeral=*/true);
  log_.PushChunk("b", "6");  // never into an ephemeral frame
  auto second = TakeAll();
  ASSERT_EQ(Seqs(first), (std::vector<uint64_t>{1, 2, 3, 4}));
  EXPECT_EQ(*first[0].text, Chunk(1, "a", "1"));
  EXPECT_EQ(*first[1].text, Chunk(2, "b", "23"));
  EXPECT_EQ(*first[2].text, "p#3");
  EXPECT_EQ(*first[3].text, Chunk(4, "b", "4"));
  ASSERT_EQ(Seqs(second), (std::vector<uint64_t>{5, 6, 7}));
  EXPECT_EQ(*second[0].text, Chunk(5, "b", "5"));
  EXPECT_EQ(*second[1].text, "e#6");
  EXPECT_EQ(*second[2].text, Chunk(7, "b", "6"));
}

TEST_F(ReplayLogTest, MergingStopsAtTheMergedChunkBound) {
  const std::string almost(ReplayLog::kMaxMergedChunkBytes - 1, 'x');
  log_.PushChunk("c", almost);
  log_.PushChunk("c", "y");  // exactly at the bound: still merged
  log_.PushChunk("c", "z");  // one past it: a new frame
  auto frames = TakeAll();
  ASSERT_EQ(Seqs(frames), (std::vector<uint64_t>{1, 2}));
  EXPECT_EQ(*frames[0].text, Chunk(1, "c", almost + "y"));
  EXPECT_EQ(*frames[1].text, Chunk(2, "c", "z"));
}

TEST_F(ReplayLogTest, ASealedTailIsFinalAndTheNextChunkIsAFrameOfItsOwn) {
  log_.PushChunk("c", "a");
  log_.SealTail();
  log_.PushChunk("c", "b");
  auto frames = TakeAll();
  ASSERT_EQ(frames.size(), 2u);
  EXPECT_EQ(*frames[0].text, Chunk(1, "c", "a"));
  EXPECT_EQ(*frames[1].text, Chunk(2, "c", "b"));
}

TEST_F(ReplayLogTest, TheSessionIdIsReadWhenAChunkIsEncodedNotWhenTheLogIsMade) {
  std::string id;  // a restored session assigns its id after the log exists
  ReplayLog log(&id);
  id = "restored-id";
  log.PushChunk("c", "t");
  ReplayLog::Frame frame = log.TakeNext();
  EXPECT_EQ(*frame.text, EncodeStreamChunk("restored-id", 1, "c", "t"));
}

TEST_F(ReplayLogTest, EphemeralFramesAreHandedOnceAndNeverReplayed) {
  log_.Push(Text("token"), /*ephemeral=*/true);
  log_.Push(Text("reply"));
  // Not yet handed: the store still gets only the seq of an ephemeral frame.
  auto before = log_.FinalFramesAfter(0);
  ASSERT_EQ(Seqs(before), (std::vector<uint64_t>{1, 2}));
  EXPECT_EQ(before[0].text, nullptr);
  EXPECT_EQ(*before[1].text, "reply#2");
  EXPECT_EQ(log_.ReplayableAfter(0), 1u);

  auto first = TakeAll();
  ASSERT_EQ(first.size(), 2u);
  EXPECT_EQ(*first[0].text, "token#1");
  // Once handed it is gone (at the front nothing needs even its seq); a replay from before
  // it is still no gap.
  EXPECT_EQ(log_.bytes(), std::string("reply#2").size());
  EXPECT_EQ(log_.frames(), 1u);
  EXPECT_EQ(log_.oldest_seq(), 1u);
  ASSERT_TRUE(log_.RewindTo(0));
  auto again = TakeAll();
  ASSERT_EQ(Seqs(again), (std::vector<uint64_t>{2}));
  EXPECT_EQ(again[0].text, first[1].text);  // the same shared text, not a copy
  auto stored = log_.FinalFramesAfter(0);
  ASSERT_EQ(Seqs(stored), (std::vector<uint64_t>{2}));
  EXPECT_EQ(log_.ReplayableAfter(0), 1u);
  EXPECT_EQ(log_.ReplayableAfter(1), 1u);
  EXPECT_EQ(log_.ReplayableAfter(2), 0u);
}

TEST_F(ReplayLogTest, ASentEphemeralFrameBehindAReplayableOneKeepsItsSeq) {
  log_.Push(Text("reply"));
  log_.Push(Text("error"), /*ephemeral=*/true);
  log_.Push(Text("more"));
  auto first = TakeAll();
  ASSERT_EQ(first.size(), 3u);
  EXPECT_EQ(log_.frames(), 3u);  // seq 2 stays as a seq: frames are contiguous
  ASSERT_TRUE(log_.RewindTo(1));
  ASSERT_EQ(Seqs(TakeAll()), (std::vector<uint64_t>{2, 3}));
  // Dropping the reply raises the floor past it, not past the ephemeral frame's seq.
  log_.Acknowledge(1);
  EXPECT_EQ(log_.oldest_seq(), 2u);
  EXPECT_TRUE(log_.RewindTo(1));
  EXPECT_FALSE(log_.RewindTo(0));
}

TEST_F(ReplayLogTest, AnIdleSessionsLogHoldsNothingOnceItsFirstFrameIsSent) {
  log_.Push(Text("connection_established"), /*ephemeral=*/true);
  TakeAll();
  EXPECT_EQ(log_.frames(), 0u);
  EXPECT_EQ(log_.bytes(), 0u);
  EXPECT_EQ(log_.last_seq(), 1u);
  EXPECT_TRUE(log_.RewindTo(1));
  EXPECT_TRUE(log_.RewindTo(0));  // nothing replayable was ever lost
  EXPECT_FALSE(log_.has_pending());
}

TEST_F(ReplayLogTest, FinalFramesAfterLeavesTheGrowingChunkForLater) {
  log_.Push(Text("a"));
  log_.PushChunk("c", "grow");
  auto frames = log_.FinalFramesAfter(0);
  ASSERT_EQ(Seqs(frames), (std::vector<uint64_t>{1}));
  EXPECT_EQ(log_.ReplayableAfter(0), 2u);  // a replay would send the chunk, though
  log_.SealTail();
  frames = log_.FinalFramesAfter(1);
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(*frames[0].text, Chunk(2, "c", "grow"));
  EXPECT_TRUE(log_.FinalFramesAfter(2).empty());
}

TEST_F(ReplayLogTest, RewindHandsTheSameFramesAgainWithTheirSeqs) {
  for (int i = 0; i < 4; ++i) log_.Push(Text("f"));
  auto first = TakeAll();
  ASSERT_TRUE(log_.RewindTo(2));
  EXPECT_EQ(log_.handed_seq(), 2u);
  EXPECT_EQ(log_.pending_bytes(), first[2].text->size() + first[3].text->size());
  auto again = TakeAll();
  ASSERT_EQ(Seqs(again), (std::vector<uint64_t>{3, 4}));
  EXPECT_EQ(again[0].text, first[2].text);
  EXPECT_EQ(again[1].text, first[3].text);
  EXPECT_EQ(log_.pending_bytes(), 0u);
}

TEST_F(ReplayLogTest, RewindToTheLastSeqSucceedsWithNothingToHand) {
  log_.Push(Text("a"));
  log_.Push(Text("b"));
  TakeAll();
  log_.Acknowledge(2);
  EXPECT_EQ(log_.frames(), 0u);
  EXPECT_TRUE(log_.RewindTo(2));
  EXPECT_FALSE(log_.has_pending());
  EXPECT_EQ(log_.pending_bytes(), 0u);
}

TEST_F(ReplayLogTest, RewindBeforeTheOldestHeldSeqIsAGap) {
  for (int i = 0; i < 5; ++i) log_.Push(Text("f"));
  TakeAll();
  log_.Acknowledge(3);
  EXPECT_EQ(log_.oldest_seq(), 4u);
  EXPECT_FALSE(log_.RewindTo(2));    // seq 3 is gone
  EXPECT_EQ(log_.handed_seq(), 5u);  // a failed rewind moves nothing
  EXPECT_TRUE(log_.RewindTo(3));
  EXPECT_EQ(Seqs(TakeAll()), (std::vector<uint64_t>{4, 5}));
}

TEST_F(ReplayLogTest, AcknowledgeDropsOnlyWhatWasHanded) {
  for (int i = 0; i < 4; ++i) log_.Push(Text("f"));
  log_.TakeNext();
  log_.TakeNext();
  log_.Acknowledge(4);  // 3 and 4 were never handed: they stay
  EXPECT_EQ(log_.oldest_seq(), 3u);
  EXPECT_EQ(log_.frames(), 2u);
  EXPECT_EQ(log_.bytes(), 2 * std::string("f#3").size());
  EXPECT_EQ(log_.pending_bytes(), log_.bytes());
  log_.Acknowledge(1);  // already dropped: no change
  EXPECT_EQ(log_.oldest_seq(), 3u);
  EXPECT_EQ(Seqs(TakeAll()), (std::vector<uint64_t>{3, 4}));
}

TEST_F(ReplayLogTest, ByteAccountingIsExactAndReturnsToZero) {
  log_.PushChunk("conv", "abc");
  EXPECT_EQ(log_.bytes(), Growing("conv", "abc"));
  EXPECT_EQ(log_.pending_bytes(), log_.bytes());
  log_.PushChunk("conv", "de");
  EXPECT_EQ(log_.bytes(), Growing("conv", "abcde"));
  log_.Push(Text("p"));  // seals the chunk: now its encoded size
  const size_t chunk = Chunk(1, "conv", "abcde").size();
  const size_t p = std::string("p#2").size();
  EXPECT_EQ(log_.bytes(), chunk + p);
  EXPECT_EQ(log_.pending_bytes(), chunk + p);
  log_.TakeNext();
  EXPECT_EQ(log_.bytes(), chunk + p);
  EXPECT_EQ(log_.pending_bytes(), p);
  log_.PushChunk("conv", "f");  // growing, pending
  EXPECT_EQ(log_.pending_bytes(), p + Growing("conv", "f"));
  TakeAll();
  const size_t f = Chunk(3, "conv", "f").size();
  EXPECT_EQ(log_.bytes(), chunk + p + f);
  EXPECT_EQ(log_.pending_bytes(), 0u);
  log_.Acknowledge(1);
  EXPECT_EQ(log_.bytes(), p + f);
  log_.Acknowledge(3);
  EXPECT_EQ(log_.bytes(), 0u);
  EXPECT_EQ(log_.pending_bytes(), 0u);
  EXPECT_EQ(log_.frames(), 0u);
  EXPECT_EQ(log_.oldest_seq(), 4u);
  // Seqs go on after an empty log.
  EXPECT_EQ(log_.Push(Text("q")), 4u);
}

TEST_F(ReplayLogTest, AReplyEndingDropsWhatCameBeforeTheReplyThatEndedBeforeIt) {
  log_.Push(Text("established"));                 // 1
  const uint64_t a = log_.Push(Text("a-start"));  // 2
  log_.Push(Text("a-end"));                       // 3
  TakeAll();
  log_.OnReplyEnded(a, 0);
  EXPECT_EQ(log_.oldest_seq(), 1u);               // the first reply to end drops nothing
  const uint64_t b = log_.Push(Text("b-start"));  // 4
  log_.Push(Text("b-end"));                       // 5
  TakeAll();
  log_.OnReplyEnded(b, 0);
  EXPECT_EQ(log_.oldest_seq(), a);                // kept from the first frame of the reply before
  const uint64_t c = log_.Push(Text("c-start"));  // 6
  TakeAll();
  log_.OnReplyEnded(c, 0);
  EXPECT_EQ(log_.oldest_seq(), b);
  EXPECT_EQ(Seqs(log_.FinalFramesAfter(0)), (std::vector<uint64_t>{4, 5, 6}));
}

TEST_F(ReplayLogTest, AnOlderRunningReplyKeepsItsFrames) {
  const uint64_t running = log_.Push(Text("r-start"));  // 1, still streaming
  const uint64_t a = log_.Push(Text("a-start"));        // 2
  log_.Push(Text("a-end"));                             // 3
  log_.OnReplyEnded(a, running);
  const uint64_t b = log_.Push(Text("b-start"));  // 4
  log_.Push(Text("b-end"));                       // 5
  TakeAll();
  log_.OnReplyEnded(b, running);
  EXPECT_EQ(log_.oldest_seq(), running);
}

TEST_F(ReplayLogTest, RetentionNeverDropsPendingFrames) {
  const uint64_t a = log_.Push(Text("a"));  // 1
  log_.OnReplyEnded(a, 0);
  const uint64_t b = log_.Push(Text("b"));  // 2
  log_.OnReplyEnded(b, 0);
  log_.Push(Text("c"));
  log_.OnReplyEnded(3, 0);  // would keep from 2, but nothing was handed
  EXPECT_EQ(log_.oldest_seq(), 1u);
  EXPECT_EQ(Seqs(TakeAll()), (std::vector<uint64_t>{1, 2, 3}));
}

TEST_F(ReplayLogTest, EnforceBoundDropsTheOldestHandedFramesOnly) {
  log_.Push(Text("aaaa"));  // 6 bytes each
  log_.Push(Text("bbbb"));
  log_.Push(Text("cccc"));
  log_.Push(Text("dddd"));
  log_.TakeNext();
  log_.TakeNext();
  log_.TakeNext();
  log_.EnforceBound(13);  // 24 bytes: drops 1 and 2, 12 bytes left
  EXPECT_EQ(log_.oldest_seq(), 3u);
  EXPECT_EQ(log_.bytes(), 12u);
  log_.EnforceBound(0);  // 4 is pending: it stays whatever the bound
  EXPECT_EQ(log_.oldest_seq(), 4u);
  EXPECT_EQ(log_.bytes(), 6u);
  EXPECT_EQ(log_.pending_bytes(), 6u);
  auto rest = TakeAll();
  ASSERT_EQ(rest.size(), 1u);
  EXPECT_EQ(*rest[0].text, "dddd#4");
  EXPECT_FALSE(log_.RewindTo(2));
}

TEST_F(ReplayLogTest, SeqsStayFindableAfterTheStorageIsCompacted) {
  for (int i = 0; i < 40; ++i) log_.Push(Text("f"));
  TakeAll();
  log_.Acknowledge(30);  // enough dropped for the vector to be compacted
  EXPECT_EQ(log_.oldest_seq(), 31u);
  EXPECT_EQ(log_.frames(), 10u);
  ASSERT_TRUE(log_.RewindTo(35));
  auto again = TakeAll();
  ASSERT_EQ(Seqs(again), (std::vector<uint64_t>{36, 37, 38, 39, 40}));
  EXPECT_EQ(*again[0].text, "f#36");
  EXPECT_EQ(log_.Push(Text("g")), 41u);
  EXPECT_EQ(*log_.TakeNext().text, "g#41");
}

TEST_F(ReplayLogTest, RestoreContinuesAfterTheStoredSeq) {
  auto text = [](std::string s) { return std::make_shared<const std::string>(std::move(s)); };
  log_.Restore(5, {{3, text("three")}, {4, nullptr}, {5, text("five")}});
  EXPECT_EQ(log_.last_seq(), 5u);
  EXPECT_EQ(log_.handed_seq(), 5u);
  EXPECT_EQ(log_.oldest_seq(), 3u);
  EXPECT_FALSE(log_.has_pending());
  EXPECT_EQ(log_.bytes(), 9u);
  EXPECT_EQ(log_.pending_bytes(), 0u);
  EXPECT_EQ(log_.ReplayableAfter(2), 2u);  // 4 was ephemeral
  EXPECT_FALSE(log_.RewindTo(1));
  ASSERT_TRUE(log_.RewindTo(2));
  EXPECT_EQ(log_.pending_bytes(), 9u);
  auto frames = TakeAll();
  ASSERT_EQ(Seqs(frames), (std::vector<uint64_t>{3, 4, 5}));
  EXPECT_EQ(*frames[0].text, "three");
  EXPECT_EQ(frames[1].text, nullptr);
  EXPECT_EQ(*frames[2].text, "five");
  EXPECT_EQ(log_.Push(Text("next")), 6u);
}

TEST_F(ReplayLogTest, RestoreKeepsOnlyWhatFollowsTheLastHole) {
  auto text = [](std::string s) { return std::make_shared<const std::string>(std::move(s)); };
  log_.Restore(5, {{1, text("1")}, {2, text("2")}, {4, text("4")}, {5, text("5")}});
  EXPECT_EQ(log_.oldest_seq(), 4u);
  EXPECT_EQ(log_.bytes(), 2u);
  EXPECT_FALSE(log_.RewindTo(2));
  EXPECT_TRUE(log_.RewindTo(3));

  // Frames missing between the last one stored and the last seq: nothing is replayable.
  ReplayLog other(&id_);
  other.Restore(7, {{4, text("4")}, {5, text("5")}});
  EXPECT_EQ(other.frames(), 0u);
  EXPECT_EQ(other.bytes(), 0u);
  EXPECT_EQ(other.oldest_seq(), 8u);
  EXPECT_FALSE(other.RewindTo(5));
  EXPECT_TRUE(other.RewindTo(7));
  EXPECT_EQ(other.Push(Text("x")), 8u);
}

TEST_F(ReplayLogTest, SkipToDropsEverythingAndContinuesAfterTheSeq) {
  log_.Push(Text("a"));
  log_.PushChunk("c", "b");
  log_.TakeNext();
  log_.SkipTo(10);
  EXPECT_EQ(log_.last_seq(), 10u);
  EXPECT_EQ(log_.handed_seq(), 10u);
  EXPECT_EQ(log_.frames(), 0u);
  EXPECT_EQ(log_.bytes(), 0u);
  EXPECT_EQ(log_.pending_bytes(), 0u);
  EXPECT_FALSE(log_.has_pending());
  EXPECT_EQ(log_.oldest_seq(), 11u);
  log_.SkipTo(4);  // never backwards
  EXPECT_EQ(log_.last_seq(), 10u);
  EXPECT_EQ(log_.Push(Text("n")), 11u);
  EXPECT_EQ(*log_.TakeNext().text, "n#11");
}

}  // namespace
}  // namespace streamgate::gateway
