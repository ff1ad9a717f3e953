// The SessionStore contract (gateway/store/session_store.h), run against every store.

#include <algorithm>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/time/time.h"
#include "gateway/store/memory_session_store.h"
#include "gateway/store/queued_session_store.h"
#include "gateway/store/redis/redis_session_database.h"
#include "gateway/store/session_store.h"
#include "gtest/gtest.h"
#include "tests/gateway/store/store_test_support.h"
#include "tests/support/redis_server.h"
#include "tests/support/temp_dir.h"

namespace streamgate::gateway {
namespace {

using store_test::Describe;
using store_test::Frames;
using store_test::LoadNow;
using store_test::MakeConversation;
using store_test::MakeSession;
using store_test::SeqsOf;

constexpr size_t kDefaultBound = size_t{64} << 20;
constexpr absl::Duration kFlushTimeout = absl::Seconds(10);

// What a store of a test lives on: a directory, and a Redis when the store needs one.
struct StoreHome {
  streamgate::testing::TempDir dir;
  std::unique_ptr<streamgate::testing::RedisServer> redis;
};

struct MemoryStore {
  static std::unique_ptr<SessionStore> Make(StoreHome& /*home*/, size_t max_bytes) {
    return std::make_unique<MemorySessionStore>(
        MemorySessionStore::Options{.max_queued_bytes = max_bytes});
  }
};

struct SqliteStore {
  static std::unique_ptr<SessionStore> Make(StoreHome& home, size_t max_bytes) {
    auto store = QueuedSessionStore::OpenSqlite(
        {.path = home.dir.path() + "/state/sessions.db", .max_queued_bytes = max_bytes});
    EXPECT_TRUE(store.ok()) << store.status();
    if (!store.ok()) return nullptr;
    return *std::move(store);
  }
};

// A real redis-server per test, shared by the stores the test opens (a reopened store sees
// what the one before committed, as with the SQLite file).
struct RedisStore {
  static std::unique_ptr<SessionStore> Make(StoreHome& home, size_t max_bytes) {
    if (home.redis == nullptr) home.redis = std::make_unique<streamgate::testing::RedisServer>();
    if (!home.redis->ok()) return nullptr;
    RedisSessionDatabase::Options redis{
        .address = {.host = "127.0.0.1", .port = home.redis->port()}, .url = home.redis->url()};
    auto store = QueuedSessionStore::Open({.max_queued_bytes = max_bytes},
                                          std::make_unique<RedisSessionDatabase>(redis));
    EXPECT_TRUE(store.ok()) << store.status();
    if (!store.ok()) return nullptr;
    return *std::move(store);
  }
};

struct StoreNames {
  template <typename T>
  static std::string GetName(int) {
    if (std::is_same_v<T, MemoryStore>) return "Memory";
    return std::is_same_v<T, SqliteStore> ? "Sqlite" : "Redis";
  }
};

template <typename Store>
class SessionStoreContract : public ::testing::Test {
 protected:
  std::unique_ptr<SessionStore> MakeStore(size_t max_bytes = kDefaultBound) {
    return Store::Make(home_, max_bytes);
  }
  StoreHome home_;
};

using Stores = ::testing::Types<MemoryStore, SqliteStore, RedisStore>;
TYPED_TEST_SUITE(SessionStoreContract, Stores, StoreNames);

TYPED_TEST(SessionStoreContract, RoundTripsASessionWithItsConversationsAndFrames) {
  auto store = this->MakeStore();
  ASSERT_NE(store, nullptr);
  StoredSession session = MakeSession("s1");
  store->PutSession(session);
  std::vector<StoredConversation> conversations = {
      MakeConversation("s1", "a", std::string("history\0with a NUL", 18)),
      MakeConversation("s1", "b", "")};
  for (const StoredConversation& conversation : conversations) {
    store->PutConversation(conversation);
  }
  store->AppendFrames("s1", Frames(1, 3));

  auto loaded = LoadNow(*store, "s1");
  ASSERT_TRUE(loaded.has_value());
  EXPECT_EQ(Describe(loaded->session), Describe(session));
  EXPECT_EQ(Describe(loaded->conversations), Describe(conversations));
  ASSERT_EQ(SeqsOf(loaded->replay), (std::vector<uint64_t>{1, 2, 3}));
  EXPECT_EQ(loaded->replay[1].frame, Frames(2, 2)[0].frame);
}

TYPED_TEST(SessionStoreContract, LoadOfAnUnknownSessionIsNullopt) {
  auto store = this->MakeStore();
  ASSERT_NE(store, nullptr);
  EXPECT_FALSE(LoadNow(*store, "nobody").has_value());
  // Frames alone do not make a session.
  store->AppendFrames("frames-only", Frames(1, 2));
  EXPECT_FALSE(LoadNow(*store, "frames-only").has_value());
}

TYPED_TEST(SessionStoreContract, LatestPutWins) {
  auto store = this->MakeStore();
  ASSERT_NE(store, nullptr);
  StoredSession session = MakeSession("s1");
  store->PutSession(session);
  store->PutConversation(MakeConversation("s1", "a", "first"));
  ASSERT_TRUE(store->Flush(kFlushTimeout).ok());  // one version committed, one queued
  session.seq_reserved = 2048;
  session.identity = "someone else";
  store->PutSession(session);
  StoredConversation latest = MakeConversation("s1", "a", "second");
  store->PutConversation(latest);

  auto loaded = LoadNow(*store, "s1");
  ASSERT_TRUE(loaded.has_value());
  EXPECT_EQ(Describe(loaded->session), Describe(session));
  EXPECT_EQ(Describe(loaded->conversations), Describe(std::vector{latest}));
}

TYPED_TEST(SessionStoreContract, FramesComeBackAscendingAndContiguous) {
  auto store = this->MakeStore();
  ASSERT_NE(store, nullptr);
  store->PutSession(MakeSession("s1"));
  store->PutSession(MakeSession("s2"));
  // Interleaved with another session's frames and split over calls and groups.
  for (uint64_t seq = 1; seq <= 50; seq += 5) {
    store->AppendFrames("s1", Frames(seq, seq + 4));
    store->AppendFrames("s2", Frames(seq, seq));
    if (seq == 21) {
      ASSERT_TRUE(store->Flush(kFlushTimeout).ok());
    }
  }
  auto loaded = LoadNow(*store, "s1");
  ASSERT_TRUE(loaded.has_value());
  std::vector<uint64_t> expected;
  for (uint64_t seq = 1; seq <= 50; ++seq) expected.push_back(seq);
  EXPECT_EQ(SeqsOf(loaded->replay), expected);
  for (const StoredFrame& frame : loaded->replay) {
    EXPECT_EQ(frame.frame, Frames(frame.seq, frame.seq)[0].frame);
  }
}

TYPED_TEST(SessionStoreContract, DropFramesBelowRemovesOnlyOlderFrames) {
  auto store = this->MakeStore();
  ASSERT_NE(store, nullptr);
  store->PutSession(MakeSession("s1"));
  store->PutSession(MakeSession("s2"));
  store->AppendFrames("s1", Frames(1, 10));
  store->AppendFrames("s2", Frames(1, 3));
  ASSERT_TRUE(store->Flush(kFlushTimeout).ok());
  store->DropFramesBelow("s1", 7);

  auto s1 = LoadNow(*store, "s1");
  ASSERT_TRUE(s1.has_value());
  EXPECT_EQ(SeqsOf(s1->replay), (std::vector<uint64_t>{7, 8, 9, 10}));
  auto s2 = LoadNow(*store, "s2");
  ASSERT_TRUE(s2.has_value());
  EXPECT_EQ(s2->replay.size(), 3u);
}

TYPED_TEST(SessionStoreContract, DeleteConversationRemovesOnlyThatConversation) {
  auto store = this->MakeStore();
  ASSERT_NE(store, nullptr);
  store->PutSession(MakeSession("s1"));
  StoredConversation kept = MakeConversation("s1", "keep", "k");
  store->PutConversation(kept);
  store->PutConversation(MakeConversation("s1", "gone", "g"));
  ASSERT_TRUE(store->Flush(kFlushTimeout).ok());
  store->DeleteConversation("s1", "gone");
  // Queued and deleted within one group.
  store->PutConversation(MakeConversation("s1", "never", "n"));
  store->DeleteConversation("s1", "never");

  auto loaded = LoadNow(*store, "s1");
  ASSERT_TRUE(loaded.has_value());
  EXPECT_EQ(Describe(loaded->conversations), Describe(std::vector{kept}));
}

TYPED_TEST(SessionStoreContract, DeleteSessionRemovesEverythingOfIt) {
  auto store = this->MakeStore();
  ASSERT_NE(store, nullptr);
  store->PutSession(MakeSession("s1"));
  store->PutConversation(MakeConversation("s1", "a", "committed"));
  store->AppendFrames("s1", Frames(1, 5));
  ASSERT_TRUE(store->Flush(kFlushTimeout).ok());
  store->PutConversation(MakeConversation("s1", "b", "queued"));
  store->AppendFrames("s1", Frames(6, 8));
  store->DeleteSession("s1");
  EXPECT_FALSE(LoadNow(*store, "s1").has_value());

  // Put again, it starts empty: nothing of the old one comes back.
  store->PutSession(MakeSession("s1"));
  auto loaded = LoadNow(*store, "s1");
  ASSERT_TRUE(loaded.has_value());
  EXPECT_TRUE(loaded->conversations.empty());
  EXPECT_TRUE(loaded->replay.empty());
}

TYPED_TEST(SessionStoreContract, OpsOfOneSessionApplyInTheOrderMade) {
  auto store = this->MakeStore();
  ASSERT_NE(store, nullptr);
  store->PutSession(MakeSession("s1"));
  store->AppendFrames("s1", Frames(1, 5));
  store->DropFramesBelow("s1", 4);
  store->AppendFrames("s1", Frames(6, 8));
  store->DropFramesBelow("s1", 5);
  store->PutConversation(MakeConversation("s1", "a", "v1"));
  store->DeleteConversation("s1", "a");
  StoredConversation again = MakeConversation("s1", "a", "v2");
  store->PutConversation(again);

  auto loaded = LoadNow(*store, "s1");
  ASSERT_TRUE(loaded.has_value());
  EXPECT_EQ(SeqsOf(loaded->replay), (std::vector<uint64_t>{5, 6, 7, 8}));
  EXPECT_EQ(Describe(loaded->conversations), Describe(std::vector{again}));
}

TYPED_TEST(SessionStoreContract, DeleteIdleBeforeRemovesOldSessionsAndKeepsRecentOnes) {
  auto store = this->MakeStore();
  ASSERT_NE(store, nullptr);
  const int64_t now = store_test::NowMs();
  store->PutSession(MakeSession("old", now - 3'600'000));
  store->PutConversation(MakeConversation("old", "a", "old history"));
  store->AppendFrames("old", Frames(1, 3));
  store->PutSession(MakeSession("recent", now));
  store->PutConversation(MakeConversation("recent", "a", "recent history"));
  store->AppendFrames("recent", Frames(1, 3));
  ASSERT_TRUE(store->Flush(kFlushTimeout).ok());
  store->DeleteIdleBefore(now - 60'000);

  EXPECT_FALSE(LoadNow(*store, "old").has_value());
  auto recent = LoadNow(*store, "recent");
  ASSERT_TRUE(recent.has_value());
  EXPECT_EQ(recent->conversations.size(), 1u);
  EXPECT_EQ(recent->replay.size(), 3u);
  // Its conversations and frames went with it.
  store->PutSession(MakeSession("old", now));
  auto old = LoadNow(*store, "old");
  ASSERT_TRUE(old.has_value());
  EXPECT_TRUE(old->conversations.empty());
  EXPECT_TRUE(old->replay.empty());
}

TYPED_TEST(SessionStoreContract, FramesPastTheBoundAreDroppedAndRecordedAsLost) {
  auto store = this->MakeStore(/*max_bytes=*/4096);
  ASSERT_NE(store, nullptr);
  store->PutSession(MakeSession("s1"));
  // One call, so that no commit can make room halfway: 10 x 1000 bytes into 4 KiB.
  store->AppendFrames("s1", Frames(1, 10, 1000));

  SessionStore::Stats stats = store->stats();
  auto loaded = LoadNow(*store, "s1");
  ASSERT_TRUE(loaded.has_value());
  const uint64_t kept = loaded->replay.size();
  EXPECT_GE(kept, 1u);
  EXPECT_LT(kept, 10u);
  std::vector<uint64_t> expected;
  for (uint64_t seq = 1; seq <= kept; ++seq) expected.push_back(seq);
  EXPECT_EQ(SeqsOf(loaded->replay), expected);  // what was kept is the contiguous start
  EXPECT_EQ(stats.dropped_frames, 10 - kept);
  EXPECT_EQ(loaded->session.replay_lost_from, kept + 1);
}

TYPED_TEST(SessionStoreContract, LaterDropsKeepTheFirstLostSeq) {
  auto store = this->MakeStore(/*max_bytes=*/4096);
  ASSERT_NE(store, nullptr);
  store->PutSession(MakeSession("s1"));
  store->AppendFrames("s1", Frames(1, 10, 1000));
  const uint64_t first_lost = LoadNow(*store, "s1")->session.replay_lost_from;
  ASSERT_GT(first_lost, 1u);
  store->AppendFrames("s1", Frames(11, 20, 1000));
  // A put carrying no loss (the gateway does not learn of drops) must not erase it.
  store->PutSession(MakeSession("s1"));

  auto loaded = LoadNow(*store, "s1");
  ASSERT_TRUE(loaded.has_value());
  EXPECT_EQ(loaded->session.replay_lost_from, first_lost);
}

TYPED_TEST(SessionStoreContract, LossIsKeptForASessionPutAfterTheDrop) {
  auto store = this->MakeStore(/*max_bytes=*/4096);
  ASSERT_NE(store, nullptr);
  store->AppendFrames("s1", Frames(1, 10, 1000));
  ASSERT_TRUE(store->Flush(kFlushTimeout).ok());
  store->PutSession(MakeSession("s1"));

  auto loaded = LoadNow(*store, "s1");
  ASSERT_TRUE(loaded.has_value());
  EXPECT_GT(loaded->session.replay_lost_from, 1u);
  EXPECT_LE(loaded->session.replay_lost_from, 10u);
}

TYPED_TEST(SessionStoreContract, LossClearsOnceTheClientNeedsNoneOfTheLostFrames) {
  auto store = this->MakeStore(/*max_bytes=*/4096);
  ASSERT_NE(store, nullptr);
  store->PutSession(MakeSession("s1"));
  store->AppendFrames("s1", Frames(1, 10, 1000));
  const uint64_t first_lost = LoadNow(*store, "s1")->session.replay_lost_from;
  ASSERT_GT(first_lost, 1u);

  // Acknowledged into the lost range: still lost, but not below the acknowledgement.
  store->DropFramesBelow("s1", 8);
  EXPECT_EQ(LoadNow(*store, "s1")->session.replay_lost_from, std::max<uint64_t>(first_lost, 8));
  // Acknowledged past every lost frame: nothing a resume can need is missing.
  store->DropFramesBelow("s1", 11);
  ASSERT_TRUE(store->Flush(kFlushTimeout).ok());
  store->AppendFrames("s1", Frames(11, 12, 100));  // there is room again
  auto loaded = LoadNow(*store, "s1");
  ASSERT_TRUE(loaded.has_value());
  EXPECT_EQ(loaded->session.replay_lost_from, 0u);
  EXPECT_EQ(SeqsOf(loaded->replay), (std::vector<uint64_t>{11, 12}));
}

TYPED_TEST(SessionStoreContract, PutsAreNeverDroppedAndCoalesce) {
  auto store = this->MakeStore(/*max_bytes=*/4096);
  ASSERT_NE(store, nullptr);
  // A conversation alone larger than the bound is still stored.
  StoredConversation big = MakeConversation("s1", "big", std::string(10'000, 'h'));
  store->PutConversation(big);
  ASSERT_TRUE(store->Flush(kFlushTimeout).ok());
  StoredSession session = MakeSession("s1");
  uint64_t one_of_each = 0;
  uint64_t most = 0;
  for (int i = 0; i < 10'000; ++i) {
    session.last_seen_ms += 1;
    session.seq_reserved = i;
    store->PutSession(session);
    store->PutConversation(MakeConversation("s1", "a", "history " + std::to_string(i % 10)));
    uint64_t bytes = store->stats().queued_bytes;
    if (i == 0) one_of_each = bytes;
    most = std::max(most, bytes);
  }
  // Bounded by the live state, not by the number of puts: at most one group being
  // committed and one queued, each holding one put per key.
  EXPECT_LE(most, 2 * one_of_each);

  auto loaded = LoadNow(*store, "s1");
  ASSERT_TRUE(loaded.has_value());
  EXPECT_EQ(Describe(loaded->session), Describe(session));
  ASSERT_EQ(loaded->conversations.size(), 2u);
  EXPECT_EQ(loaded->conversations[0].history, "history 9");
  EXPECT_EQ(loaded->conversations[1].history, big.history);
  EXPECT_EQ(store->stats().dropped_frames, 0u);
}

TYPED_TEST(SessionStoreContract, ConcurrentProducersLoseNothingAndKeepPerSessionOrder) {
  auto store = this->MakeStore();
  ASSERT_NE(store, nullptr);
  constexpr int kThreads = 8;
  constexpr uint64_t kFrames = 1000;
  std::vector<std::thread> producers;
  for (int t = 0; t < kThreads; ++t) {
    producers.emplace_back([&store, t] {
      std::string id = "session-" + std::to_string(t);
      store->PutSession(MakeSession(id));
      for (uint64_t seq = 1; seq <= kFrames; ++seq) {
        store->AppendFrames(id, Frames(seq, seq));
        // The client acknowledges as it goes; order against the appends matters.
        if (seq % 100 == 0) store->DropFramesBelow(id, seq - 49);
      }
    });
  }
  for (std::thread& producer : producers) producer.join();
  ASSERT_TRUE(store->Flush(kFlushTimeout).ok());

  std::vector<uint64_t> expected;
  for (uint64_t seq = kFrames - 49; seq <= kFrames; ++seq) expected.push_back(seq);
  for (int t = 0; t < kThreads; ++t) {
    auto loaded = LoadNow(*store, "session-" + std::to_string(t));
    ASSERT_TRUE(loaded.has_value());
    EXPECT_EQ(SeqsOf(loaded->replay), expected) << "session-" << t;
  }
  EXPECT_EQ(store->stats().dropped_frames, 0u);
}

}  // namespace
}  // namespace streamgate::gateway
