#include "gateway/outbox.h"

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "gateway/client_protocol.h"
#include "gtest/gtest.h"

namespace streamgate::gateway {
namespace {

using Json = nlohmann::json;
constexpr std::string_view kSession = "3f2b6c1e-8d4a-4e0b-9c7d-2a1b3c4d5e6f";

void PushStart(Outbox& outbox) {
  outbox.Push([](uint64_t seq) { return EncodeStreamStart(kSession, seq, "req-1"); });
}
void PushEnd(Outbox& outbox) {
  outbox.Push([](uint64_t seq) {
    return EncodeStreamEnd(kSession, seq, "req-1", "end_turn", {3, 4});
  });
}

// Writes one frame the way the session does: take it, "send" it, finish.
std::string WriteOne(Outbox& outbox) {
  std::string frame = outbox.StartWrite();
  outbox.FinishWrite();
  return frame;
}

std::vector<std::string> WriteAll(Outbox& outbox) {
  std::vector<std::string> frames;
  while (outbox.has_queued()) frames.push_back(WriteOne(outbox));
  return frames;
}

TEST(Outbox, StartsEmptyWithoutStorage) {
  Outbox outbox(kSession);
  EXPECT_FALSE(outbox.has_queued());
  EXPECT_FALSE(outbox.writing());
  EXPECT_EQ(outbox.bytes(), 0u);
  EXPECT_EQ(outbox.last_seq(), 0u);
  EXPECT_EQ(outbox.capacity(), 0u);
}

TEST(Outbox, FramesTakeConsecutiveSeqsFromOne) {
  Outbox outbox(kSession);
  outbox.Push([](uint64_t seq) { return EncodeConnectionEstablished(kSession, seq); });
  EXPECT_EQ(outbox.last_seq(), 1u);
  EXPECT_EQ(WriteOne(outbox), EncodeConnectionEstablished(kSession, 1));
  PushStart(outbox);
  EXPECT_EQ(WriteOne(outbox), EncodeStreamStart(kSession, 2, "req-1"));
  outbox.PushChunk("Hel");
  EXPECT_EQ(WriteOne(outbox), EncodeStreamChunk(kSession, 3, "Hel"));
  outbox.PushChunk("lo");
  EXPECT_EQ(WriteOne(outbox), EncodeStreamChunk(kSession, 4, "lo"));
  PushEnd(outbox);
  EXPECT_EQ(outbox.last_seq(), 5u);
  EXPECT_EQ(WriteOne(outbox), EncodeStreamEnd(kSession, 5, "req-1", "end_turn", {3, 4}));
  EXPECT_FALSE(outbox.has_queued());
  EXPECT_FALSE(outbox.writing());
}

TEST(Outbox, ChunksWaitingBehindAWriteAreMergedIntoOneFrame) {
  Outbox outbox(kSession);
  outbox.PushChunk("x");
  EXPECT_EQ(outbox.StartWrite(), EncodeStreamChunk(kSession, 1, "x"));
  outbox.PushChunk("a");
  outbox.PushChunk("b");
  EXPECT_EQ(outbox.last_seq(), 2u);  // the merged "b" took no seq
  outbox.FinishWrite();

  std::string merged = WriteOne(outbox);
  EXPECT_EQ(merged, EncodeStreamChunk(kSession, 2, "ab"));
  Json json = Json::parse(merged);
  EXPECT_EQ(json["type"], "stream_chunk");
  EXPECT_EQ(json["sessionId"], kSession);
  EXPECT_EQ(json["seq"], 2);
  EXPECT_EQ(json["content"], "ab");
  EXPECT_FALSE(outbox.has_queued());

  outbox.PushChunk("c");
  EXPECT_EQ(outbox.last_seq(), 3u);
  EXPECT_EQ(WriteOne(outbox), EncodeStreamChunk(kSession, 3, "c"));
}

TEST(Outbox, QueuedChunksMergeBeforeAnyWriteToo) {
  Outbox outbox(kSession);
  outbox.PushChunk("a");
  outbox.PushChunk("b");
  EXPECT_EQ(WriteAll(outbox), std::vector<std::string>{EncodeStreamChunk(kSession, 1, "ab")});
}

TEST(Outbox, ChunkIsNotMergedIntoTheFrameBeingWritten) {
  Outbox outbox(kSession);
  outbox.PushChunk("a");
  const std::string& in_flight = outbox.StartWrite();
  outbox.PushChunk("b");
  for (int i = 0; i < 100; ++i) PushEnd(outbox);  // grows the queue: in_flight must not move
  EXPECT_EQ(in_flight, EncodeStreamChunk(kSession, 1, "a"));
  EXPECT_EQ(outbox.last_seq(), 102u);
  outbox.FinishWrite();
  EXPECT_EQ(WriteOne(outbox), EncodeStreamChunk(kSession, 2, "b"));
}

TEST(Outbox, ChunkIsNotMergedAcrossAnotherFrame) {
  Outbox outbox(kSession);
  PushStart(outbox);
  outbox.StartWrite();
  outbox.PushChunk("a");
  PushEnd(outbox);
  outbox.PushChunk("b");
  outbox.Push([](uint64_t seq) { return EncodeError(kSession, seq, ClientError::kBusy); });
  outbox.PushChunk("c");
  EXPECT_EQ(outbox.last_seq(), 6u);
  outbox.FinishWrite();
  EXPECT_EQ(WriteAll(outbox), (std::vector<std::string>{
                                  EncodeStreamChunk(kSession, 2, "a"),
                                  EncodeStreamEnd(kSession, 3, "req-1", "end_turn", {3, 4}),
                                  EncodeStreamChunk(kSession, 4, "b"),
                                  EncodeError(kSession, 5, ClientError::kBusy),
                                  EncodeStreamChunk(kSession, 6, "c"),
                              }));
}

TEST(Outbox, MergingStopsAtTheCap) {
  Outbox outbox(kSession);
  PushStart(outbox);
  outbox.StartWrite();
  std::string almost(Outbox::kMaxMergedChunkBytes - 1, 'a');
  outbox.PushChunk(almost);
  outbox.PushChunk("b");  // exactly at the cap: merged
  outbox.PushChunk("c");  // over it: a new frame
  std::string huge(Outbox::kMaxMergedChunkBytes + 1, 'd');
  outbox.PushChunk(huge);  // too big to merge, but sent whole
  outbox.FinishWrite();
  EXPECT_EQ(WriteAll(outbox), (std::vector<std::string>{
                                  EncodeStreamChunk(kSession, 2, almost + "b"),
                                  EncodeStreamChunk(kSession, 3, "c"),
                                  EncodeStreamChunk(kSession, 4, huge),
                              }));
}

TEST(Outbox, MergedTextIsEscapedAsOneString) {
  Outbox outbox(kSession);
  PushStart(outbox);
  outbox.StartWrite();
  outbox.PushChunk("say \"hi");
  outbox.PushChunk("\"\n\xC3");  // a UTF-8 sequence split across deltas...
  outbox.PushChunk("\xA9");      // ...is whole once merged
  outbox.FinishWrite();
  std::string frame = WriteOne(outbox);
  EXPECT_EQ(frame, EncodeStreamChunk(kSession, 2, "say \"hi\"\n\xC3\xA9"));
  EXPECT_EQ(Json::parse(frame)["content"], "say \"hi\"\n\xC3\xA9");
}

TEST(Outbox, BytesCountQueuedAndInFlightFramesAndReturnToZero) {
  Outbox outbox(kSession);
  PushStart(outbox);
  const size_t start_size = EncodeStreamStart(kSession, 1, "req-1").size();
  EXPECT_EQ(outbox.bytes(), start_size);

  const size_t chunk_estimate = 2 + kSession.size() + Outbox::kChunkOverheadBytes;
  outbox.PushChunk("ab");
  EXPECT_EQ(outbox.bytes(), start_size + chunk_estimate);
  outbox.StartWrite();  // the start frame, already encoded: unchanged
  EXPECT_EQ(outbox.bytes(), start_size + chunk_estimate);
  outbox.PushChunk("cd");  // merged: only the text is added
  EXPECT_EQ(outbox.bytes(), start_size + chunk_estimate + 2);
  outbox.FinishWrite();
  EXPECT_EQ(outbox.bytes(), chunk_estimate + 2);

  // Once encoded, the chunk counts its exact size.
  const std::string& frame = outbox.StartWrite();
  EXPECT_EQ(frame, EncodeStreamChunk(kSession, 2, "abcd"));
  EXPECT_EQ(outbox.bytes(), frame.size());
  PushEnd(outbox);
  EXPECT_EQ(outbox.bytes(),
            frame.size() + EncodeStreamEnd(kSession, 3, "req-1", "end_turn", {3, 4}).size());
  outbox.FinishWrite();
  WriteAll(outbox);
  EXPECT_EQ(outbox.bytes(), 0u);
}

TEST(Outbox, StorageIsFreedWhenDrainedAfterAFrameThatIsNotAChunk) {
  Outbox outbox(kSession);
  PushStart(outbox);
  EXPECT_GT(outbox.capacity(), 0u);
  outbox.StartWrite();
  EXPECT_GT(outbox.capacity(), 0u);  // freed when the write finishes, not before
  outbox.FinishWrite();
  EXPECT_EQ(outbox.capacity(), 0u);
  EXPECT_EQ(outbox.bytes(), 0u);
}

TEST(Outbox, StorageIsReusedBetweenDeltasAndFreedAtTheEndOfTheReply) {
  Outbox outbox(kSession);
  PushStart(outbox);
  WriteOne(outbox);
  outbox.PushChunk("a");
  WriteOne(outbox);
  const size_t capacity = outbox.capacity();
  EXPECT_GT(capacity, 0u);  // mid-reply: kept for the next delta
  outbox.PushChunk("b");
  EXPECT_EQ(outbox.capacity(), capacity);
  WriteOne(outbox);
  PushEnd(outbox);
  WriteOne(outbox);
  EXPECT_EQ(outbox.capacity(), 0u);  // the reply ended: the idle outbox holds no heap
}

TEST(Outbox, QueueThatNeverEmptiesStaysSmall) {
  // A client that only just keeps up: one frame always waits behind the one being written,
  // so the queue never drains, yet it must not grow with the number of frames sent.
  Outbox outbox(kSession);
  PushStart(outbox);
  outbox.StartWrite();
  PushEnd(outbox);
  for (uint64_t seq = 2; seq < 10000; ++seq) {
    PushEnd(outbox);
    outbox.FinishWrite();
    ASSERT_EQ(outbox.StartWrite(), EncodeStreamEnd(kSession, seq, "req-1", "end_turn", {3, 4}));
    ASSERT_TRUE(outbox.has_queued());
  }
  EXPECT_LE(outbox.capacity(), 64u);
}

TEST(Outbox, ClearDropsQueuedFramesButNotTheOneBeingWritten) {
  Outbox outbox(kSession);
  PushStart(outbox);
  const std::string& in_flight = outbox.StartWrite();
  outbox.PushChunk("x");
  PushEnd(outbox);
  outbox.Clear();
  EXPECT_FALSE(outbox.has_queued());
  EXPECT_TRUE(outbox.writing());
  EXPECT_EQ(in_flight, EncodeStreamStart(kSession, 1, "req-1"));
  EXPECT_EQ(outbox.bytes(), in_flight.size());
  EXPECT_EQ(outbox.capacity(), 0u);
  outbox.FinishWrite();
  EXPECT_EQ(outbox.bytes(), 0u);
  EXPECT_EQ(outbox.last_seq(), 3u);  // dropped seqs are not reused
  outbox.PushChunk("y");
  EXPECT_EQ(WriteOne(outbox), EncodeStreamChunk(kSession, 4, "y"));
}

TEST(Outbox, ClearWhenNothingIsWrittenEmptiesEverything) {
  Outbox outbox(kSession);
  outbox.PushChunk("x");
  PushEnd(outbox);
  outbox.Clear();
  EXPECT_FALSE(outbox.has_queued());
  EXPECT_FALSE(outbox.writing());
  EXPECT_EQ(outbox.bytes(), 0u);
  EXPECT_EQ(outbox.capacity(), 0u);
}

TEST(OutboxDeathTest, MisuseAborts) {
  Outbox outbox(kSession);
  EXPECT_DEATH(outbox.StartWrite(), "nothing queued");
  EXPECT_DEATH(outbox.FinishWrite(), "without a write");
  PushStart(outbox);
  PushEnd(outbox);
  outbox.StartWrite();
  EXPECT_DEATH(outbox.StartWrite(), "write in flight");
}

}  // namespace
}  // namespace streamgate::gateway
