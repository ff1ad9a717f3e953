#include "gateway/store/store_write_queue.h"

#include <string>
#include <variant>
#include <vector>

#include "gtest/gtest.h"
#include "tests/gateway/store/store_test_support.h"

namespace streamgate::gateway {
namespace {

using store_test::Frames;
using store_test::MakeConversation;
using store_test::MakeSession;

constexpr uint64_t kLarge = uint64_t{64} << 20;

// The kinds of the queued ops of `id`, in order: "put", "conv", "delconv", "frames:N",
// "drop:N", "loss:F-T", "delete".
std::vector<std::string> Kinds(const StoreWriteBatch& batch, const std::string& id) {
  std::vector<std::string> kinds;
  auto it = batch.sessions.find(id);
  if (it == batch.sessions.end()) return kinds;
  for (const StoreOp& op : it->second.ops) {
    if (std::holds_alternative<PutSessionOp>(op)) kinds.push_back("put");
    if (std::holds_alternative<PutConversationOp>(op)) kinds.push_back("conv");
    if (std::holds_alternative<DeleteConversationOp>(op)) kinds.push_back("delconv");
    if (auto* frames = std::get_if<AppendFramesOp>(&op)) {
      kinds.push_back("frames:" + std::to_string(frames->frames.size()));
    }
    if (auto* drop = std::get_if<DropFramesBelowOp>(&op)) {
      kinds.push_back("drop:" + std::to_string(drop->seq));
    }
    if (auto* loss = std::get_if<NoteLossOp>(&op)) {
      kinds.push_back("loss:" + std::to_string(loss->loss.from) + "-" +
                      std::to_string(loss->loss.through));
    }
    if (std::holds_alternative<DeleteSessionOp>(op)) kinds.push_back("delete");
  }
  return kinds;
}

TEST(StoreWriteQueue, APutReplacesTheQueuedPutOfTheSameKeyInPlace) {
  StoreWriteQueue queue(kLarge);
  StoredSession session = MakeSession("s1");
  queue.PutSession(session);
  queue.AppendFrames("s1", Frames(1, 1));
  queue.PutConversation(MakeConversation("s1", "a", "v1"));
  uint64_t bytes = queue.queued_bytes();
  for (int i = 0; i < 1000; ++i) {
    session.seq_reserved = i;
    queue.PutSession(session);
    queue.PutConversation(MakeConversation("s1", "a", "v2"));
  }
  EXPECT_EQ(queue.queued_bytes(), bytes);
  StoreWriteBatch batch = queue.Take();
  EXPECT_EQ(Kinds(batch, "s1"), (std::vector<std::string>{"put", "frames:1", "conv"}));
  EXPECT_EQ(std::get<PutSessionOp>(batch.sessions.at("s1").ops.front()).session.seq_reserved, 999u);
}

TEST(StoreWriteQueue, AppendsExtendTheLastQueuedAppend) {
  StoreWriteQueue queue(kLarge);
  queue.AppendFrames("s1", Frames(1, 2));
  queue.AppendFrames("s1", Frames(3, 3));
  queue.PutSession(MakeSession("s1"));
  queue.AppendFrames("s1", Frames(4, 4));
  queue.PutSession(MakeSession("s1"));  // in place: the next append extends again
  queue.AppendFrames("s1", Frames(5, 6));
  EXPECT_EQ(Kinds(queue.Take(), "s1"), (std::vector<std::string>{"frames:3", "put", "frames:3"}));
}

TEST(StoreWriteQueue, DropFramesBelowMovesToTheEndWithTheLargerSeq) {
  StoreWriteQueue queue(kLarge);
  queue.AppendFrames("s1", Frames(1, 5));
  queue.DropFramesBelow("s1", 3);
  queue.AppendFrames("s1", Frames(6, 7));
  queue.DropFramesBelow("s1", 6);
  EXPECT_EQ(Kinds(queue.Take(), "s1"),
            (std::vector<std::string>{"frames:5", "frames:2", "drop:6"}));
}

TEST(StoreWriteQueue, DeleteConversationReplacesAQueuedPutOfIt) {
  StoreWriteQueue queue(kLarge);
  queue.PutConversation(MakeConversation("s1", "a", "v1"));
  queue.PutConversation(MakeConversation("s1", "b", "v1"));
  queue.DeleteConversation("s1", "a");
  queue.DeleteConversation("s1", "a");
  EXPECT_EQ(Kinds(queue.Take(), "s1"), (std::vector<std::string>{"delconv", "conv"}));
}

TEST(StoreWriteQueue, DeleteSessionDiscardsTheSessionsQueuedWritesAndTheirBytes) {
  StoreWriteQueue queue(kLarge);
  queue.PutSession(MakeSession("other"));
  uint64_t other_bytes = queue.queued_bytes();
  queue.PutSession(MakeSession("s1"));
  queue.AppendFrames("s1", Frames(1, 100, 1000));
  queue.DeleteSession("s1");
  EXPECT_LT(queue.queued_bytes(), other_bytes + 1000);
  queue.PutSession(MakeSession("s1"));
  StoreWriteBatch batch = queue.Take();
  EXPECT_EQ(Kinds(batch, "s1"), (std::vector<std::string>{"delete", "put"}));
  EXPECT_EQ(Kinds(batch, "other"), (std::vector<std::string>{"put"}));
}

TEST(StoreWriteQueue, FramesOverTheBoundAreDroppedAndNotedAsOneLossPerSession) {
  StoreWriteQueue queue(/*max_bytes=*/4096);
  EXPECT_EQ(queue.AppendFrames("s1", Frames(1, 10, 1000)), 7u);
  EXPECT_EQ(queue.AppendFrames("s1", Frames(11, 12, 1000)), 2u);
  EXPECT_EQ(queue.dropped_frames(), 9u);
  EXPECT_LE(queue.queued_bytes(), 4096u);
  EXPECT_EQ(Kinds(queue.Take(), "s1"), (std::vector<std::string>{"frames:3", "loss:4-12"}));
}

TEST(StoreWriteQueue, TakenBytesCountUntilTheBatchIsFinished) {
  StoreWriteQueue queue(/*max_bytes=*/4096);
  queue.AppendFrames("s1", Frames(1, 3, 1000));
  StoreWriteBatch batch = queue.Take();
  EXPECT_EQ(queue.pending_bytes(), 0u);
  EXPECT_GT(queue.queued_bytes(), 3000u);
  // Still in memory while being committed: no room yet.
  EXPECT_EQ(queue.AppendFrames("s1", Frames(4, 4, 1000)), 1u);
  queue.FinishBatch();
  EXPECT_EQ(queue.AppendFrames("s1", Frames(5, 5, 1000)), 0u);
}

TEST(StoreWriteQueue, KeepsTheLargestIdleCutoffAndEveryLoad) {
  StoreWriteQueue queue(kLarge);
  EXPECT_TRUE(queue.empty());
  queue.DeleteIdleBefore(200);
  queue.DeleteIdleBefore(100);
  queue.Load("s1", [](std::optional<SessionSnapshot>) {});
  queue.Load("s1", [](std::optional<SessionSnapshot>) {});
  EXPECT_FALSE(queue.empty());
  StoreWriteBatch batch = queue.Take();
  EXPECT_EQ(batch.delete_idle_before, 200);
  EXPECT_EQ(batch.loads.size(), 2u);
  EXPECT_TRUE(queue.empty());
}

}  // namespace
}  // namespace streamgate::gateway
