#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <future>
#include <memory>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gateway/store/queued_session_store.h"
#include "gtest/gtest.h"
#include "tests/gateway/store/store_test_support.h"
#include "tests/support/temp_dir.h"

namespace streamgate::gateway {
namespace {

using store_test::Describe;
using store_test::Frames;
using store_test::LoadNow;
using store_test::MakeConversation;
using store_test::MakeSession;
using store_test::QueryInt;
using store_test::SeqsOf;

constexpr absl::Duration kFlushTimeout = absl::Seconds(10);
// Long enough that only Flush, Load, the half-full queue or the destructor commit.
constexpr absl::Duration kNever = absl::Hours(1);

class QueuedSessionStoreTest : public ::testing::Test {
 protected:
  std::string path() const { return dir_.Path("sessions.db"); }

  std::unique_ptr<QueuedSessionStore> OpenStore(QueuedSessionStore::Options options) {
    auto store = QueuedSessionStore::OpenSqlite(std::move(options));
    EXPECT_TRUE(store.ok()) << store.status();
    return store.ok() ? *std::move(store) : nullptr;
  }
  std::unique_ptr<QueuedSessionStore> OpenStore() {
    return OpenStore({.path = path(), .flush_interval = kNever});
  }

  // Polls `condition` (stats, not time, decides) for at most 10 s.
  template <typename Condition>
  static bool WaitFor(Condition condition) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!condition()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return true;
  }

  streamgate::testing::TempDir dir_;
};

TEST_F(QueuedSessionStoreTest, DataSurvivesClosingAndReopeningTheFile) {
  StoredSession session = MakeSession("s1");
  StoredConversation conversation = MakeConversation("s1", "a", "history");
  {
    auto store = OpenStore();
    ASSERT_NE(store, nullptr);
    store->PutSession(session);
    store->PutConversation(conversation);
    store->AppendFrames("s1", Frames(1, 20));
    store->DropFramesBelow("s1", 11);
    ASSERT_TRUE(store->Flush(kFlushTimeout).ok());
  }
  auto reopened = OpenStore();
  ASSERT_NE(reopened, nullptr);
  auto loaded = LoadNow(*reopened, "s1");
  ASSERT_TRUE(loaded.has_value());
  EXPECT_EQ(Describe(loaded->session), Describe(session));
  EXPECT_EQ(Describe(loaded->conversations), Describe(std::vector{conversation}));
  EXPECT_EQ(loaded->replay.size(), 10u);
  EXPECT_EQ(loaded->replay.front().seq, 11u);
}

TEST_F(QueuedSessionStoreTest, CreatesTheParentDirectories) {
  std::string nested = dir_.Path("a/b/c/sessions.db");
  auto store = OpenStore({.path = nested});
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(access(nested.c_str(), F_OK), 0);
}

TEST_F(QueuedSessionStoreTest, WhatWasQueuedBeforeFlushIsOnDiskAfterIt) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  for (int i = 0; i < 10; ++i) {
    std::string id = absl::StrCat("s", i);
    store->PutSession(MakeSession(id));
    store->PutConversation(MakeConversation(id, "a", "history"));
    store->AppendFrames(id, Frames(1, 30));
  }
  ASSERT_TRUE(store->Flush(kFlushTimeout).ok());
  // Another connection, as after a crash: only what is committed is there.
  EXPECT_EQ(QueryInt(path(), "SELECT count(*) FROM sessions"), 10);
  EXPECT_EQ(QueryInt(path(), "SELECT count(*) FROM conversations"), 10);
  // One row per session's run of frames, not one per frame.
  EXPECT_EQ(QueryInt(path(), "SELECT count(*) FROM frame_runs"), 10);
  EXPECT_EQ(QueryInt(path(), "SELECT sum(last_seq - first_seq + 1) FROM frame_runs"), 300);
  EXPECT_EQ(store->stats().queued_bytes, 0u);
}

TEST_F(QueuedSessionStoreTest, EachCommittedGroupIsTimedInTheHistogram) {
  common::metrics::Histogram commits(common::metrics::LatencySecondsBuckets());
  auto store = OpenStore({.path = path(), .flush_interval = kNever, .commit_seconds = &commits});
  ASSERT_NE(store, nullptr);
  store->PutSession(MakeSession("a"));
  ASSERT_TRUE(store->Flush(kFlushTimeout).ok());
  store->PutSession(MakeSession("b"));
  ASSERT_TRUE(store->Flush(kFlushTimeout).ok());
  ASSERT_TRUE(store->Flush(kFlushTimeout).ok());  // nothing queued: nothing committed
  common::metrics::Histogram::Snapshot snapshot = commits.Read();
  EXPECT_EQ(snapshot.cumulative.back(), 2u);
  EXPECT_EQ(store->stats().commits, 2u);
  EXPECT_GT(snapshot.sum, 0);
}

TEST_F(QueuedSessionStoreTest, OpsQueuedWithinOneIntervalCommitAsOneTransaction) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  for (int i = 0; i < 500; ++i) {
    std::string id = absl::StrCat("s", i);
    store->PutSession(MakeSession(id));
    store->AppendFrames(id, Frames(1, 2));
    store->DropFramesBelow(id, 2);
  }
  EXPECT_EQ(store->stats().commits, 0u);
  ASSERT_TRUE(store->Flush(kFlushTimeout).ok());
  EXPECT_EQ(store->stats().commits, 1u);
  // Nothing queued: a Flush does not commit an empty group.
  ASSERT_TRUE(store->Flush(kFlushTimeout).ok());
  EXPECT_EQ(store->stats().commits, 1u);
  // Frame 1 of each went with the drop; frame 2 is left, the run rewritten to start there.
  EXPECT_EQ(QueryInt(path(), "SELECT count(*) FROM frame_runs WHERE first_seq = 2"), 500);
  EXPECT_EQ(QueryInt(path(), "SELECT sum(last_seq - first_seq + 1) FROM frame_runs"), 500);
}

TEST_F(QueuedSessionStoreTest, CommitsEveryFlushIntervalWithoutBeingAsked) {
  auto store = OpenStore({.path = path(), .flush_interval = absl::Milliseconds(10)});
  ASSERT_NE(store, nullptr);
  store->PutSession(MakeSession("s1"));
  EXPECT_TRUE(WaitFor([&] { return store->stats().commits >= 1; }));
  EXPECT_EQ(QueryInt(path(), "SELECT count(*) FROM sessions"), 1);
}

TEST_F(QueuedSessionStoreTest, CommitsEarlyWhenTheQueuePassesHalfItsBound) {
  auto store = OpenStore({.path = path(), .flush_interval = kNever, .max_queued_bytes = 64 * 1024});
  ASSERT_NE(store, nullptr);
  store->PutSession(MakeSession("s1"));
  store->AppendFrames("s1", Frames(1, 40, 1000));  // about 40 KiB
  EXPECT_TRUE(WaitFor([&] { return store->stats().commits >= 1; }));
  EXPECT_EQ(store->stats().dropped_frames, 0u);
}

TEST_F(QueuedSessionStoreTest, UsesWriteAheadLogging) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store_test::QueryText(path(), "PRAGMA journal_mode"), "wal");
}

TEST_F(QueuedSessionStoreTest, RefusesANewerSchemaVersionNamingThePath) {
  { ASSERT_NE(OpenStore(), nullptr); }
  store_test::ExecSql(path(), "UPDATE store_schema SET version = 3");
  auto store = QueuedSessionStore::OpenSqlite({.path = path()});
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(store.status().message().find(path()), absl::string_view::npos) << store.status();
  EXPECT_NE(store.status().message().find("schema version 3 is newer"), absl::string_view::npos)
      << store.status();
}

TEST_F(QueuedSessionStoreTest, RefusesAFileThatIsNotADatabase) {
  std::string text(4096, 'x');
  dir_.Write("sessions.db", "this is not a database\n" + text);
  auto store = QueuedSessionStore::OpenSqlite({.path = path()});
  ASSERT_FALSE(store.ok());
  EXPECT_NE(store.status().message().find(path()), absl::string_view::npos) << store.status();
  EXPECT_NE(store.status().message().find("is not a SQLite database"), absl::string_view::npos)
      << store.status();
}

TEST_F(QueuedSessionStoreTest, RefusesADatabaseOfSomethingElse) {
  store_test::ExecSql(path(), "CREATE TABLE unrelated (x INTEGER)");
  auto store = QueuedSessionStore::OpenSqlite({.path = path()});
  ASSERT_FALSE(store.ok());
  EXPECT_NE(store.status().message().find("not a session store"), absl::string_view::npos)
      << store.status();
}

TEST_F(QueuedSessionStoreTest, RefusesADirectoryThatIsNotWritable) {
  std::string locked = dir_.Path("locked");
  ASSERT_EQ(mkdir(locked.c_str(), 0555), 0);
  // Root writes through permission bits; /proc/self takes no new files even for root.
  std::string directory = access(locked.c_str(), W_OK) != 0 ? locked : "/proc/self";
  std::string file = directory + "/sessions.db";
  auto store = QueuedSessionStore::OpenSqlite({.path = file});
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), absl::StatusCode::kPermissionDenied) << store.status();
  EXPECT_NE(store.status().message().find(file), absl::string_view::npos) << store.status();
  EXPECT_NE(store.status().message().find("is not writable"), absl::string_view::npos)
      << store.status();
  chmod(locked.c_str(), 0755);  // so that TempDir can remove it
}

TEST_F(QueuedSessionStoreTest, ReportsADirectoryThatCannotBeCreated) {
  dir_.Write("plain-file", "not a directory");
  std::string file = dir_.Path("plain-file/sub/sessions.db");
  auto store = QueuedSessionStore::OpenSqlite({.path = file});
  ASSERT_FALSE(store.ok());
  EXPECT_NE(store.status().message().find(file), absl::string_view::npos) << store.status();
  EXPECT_NE(store.status().message().find("cannot create directory"), absl::string_view::npos)
      << store.status();
}

TEST_F(QueuedSessionStoreTest, RejectsOptionsThatCannotWork) {
  EXPECT_FALSE(
      QueuedSessionStore::OpenSqlite({.path = path(), .flush_interval = absl::ZeroDuration()})
          .ok());
  EXPECT_FALSE(QueuedSessionStore::OpenSqlite({.path = path(), .max_queued_bytes = 0}).ok());
  EXPECT_FALSE(QueuedSessionStore::OpenSqlite({.path = ""}).ok());
}

TEST_F(QueuedSessionStoreTest, DeleteIdleBeforeRemovesTheRowsOfEveryTable) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  const int64_t now = store_test::NowMs();
  for (const char* id : {"old1", "old2", "recent"}) {
    store->PutSession(MakeSession(id, std::string(id) == "recent" ? now : now - 7'200'000));
    store->PutConversation(MakeConversation(id, "a", "history"));
    store->PutConversation(MakeConversation(id, "b", "history"));
    store->AppendFrames(id, Frames(1, 4));
  }
  ASSERT_TRUE(store->Flush(kFlushTimeout).ok());
  store->DeleteIdleBefore(now - 3'600'000);
  ASSERT_TRUE(store->Flush(kFlushTimeout).ok());
  EXPECT_EQ(QueryInt(path(), "SELECT count(*) FROM sessions"), 1);
  EXPECT_EQ(QueryInt(path(), "SELECT count(*) FROM conversations WHERE session_id != 'recent'"), 0);
  EXPECT_EQ(QueryInt(path(), "SELECT count(*) FROM frame_runs WHERE session_id != 'recent'"), 0);
  EXPECT_EQ(QueryInt(path(), "SELECT sum(last_seq - first_seq + 1) FROM frame_runs"), 4);
}

TEST_F(QueuedSessionStoreTest, DeletesIdleSessionsByItself) {
  auto store = OpenStore({.path = path(),
                          .flush_interval = kNever,
                          .session_ttl = absl::Hours(1),
                          .expiry_interval = absl::Milliseconds(20)});
  ASSERT_NE(store, nullptr);
  store->PutSession(MakeSession("idle", store_test::NowMs() - 7'200'000));
  store->PutSession(MakeSession("active"));
  ASSERT_TRUE(store->Flush(kFlushTimeout).ok());
  EXPECT_TRUE(WaitFor([&] { return QueryInt(path(), "SELECT count(*) FROM sessions") == 1; }));
  EXPECT_TRUE(LoadNow(*store, "active").has_value());
  EXPECT_FALSE(LoadNow(*store, "idle").has_value());
}

TEST_F(QueuedSessionStoreTest, TheDestructorCommitsWhatIsQueued) {
  {
    auto store = OpenStore();
    ASSERT_NE(store, nullptr);
    store->PutSession(MakeSession("s1"));
    store->AppendFrames("s1", Frames(1, 100));
    EXPECT_EQ(store->stats().commits, 0u);
  }
  EXPECT_EQ(QueryInt(path(),
                     "SELECT sum(last_seq - first_seq + 1) FROM frame_runs "
                     "WHERE session_id = 's1'"),
            100);
}

TEST_F(QueuedSessionStoreTest, LoadSeesWritesQueuedBeforeItThoughNotYetCommitted) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  store->PutSession(MakeSession("s1"));
  store->AppendFrames("s1", Frames(1, 5));
  store->DropFramesBelow("s1", 3);
  ASSERT_EQ(store->stats().commits, 0u);  // the interval is an hour: nothing committed yet
  auto loaded = LoadNow(*store, "s1");
  ASSERT_TRUE(loaded.has_value());
  EXPECT_EQ(SeqsOf(loaded->replay), (std::vector<uint64_t>{3, 4, 5}));
}

TEST_F(QueuedSessionStoreTest, FlushFromALoadCallbackIsRefusedRatherThanDeadlocking) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  std::promise<absl::Status> flushed;
  store->Load("s1", [&](std::optional<SessionSnapshot>) {
    flushed.set_value(store->Flush(absl::Seconds(1)));
  });
  std::future<absl::Status> result = flushed.get_future();
  ASSERT_EQ(result.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  EXPECT_EQ(result.get().code(), absl::StatusCode::kFailedPrecondition);
}

TEST_F(QueuedSessionStoreTest, AFailedCommitIsReportedByFlush) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  store->PutSession(MakeSession("s1"));
  ASSERT_TRUE(store->Flush(kFlushTimeout).ok());
  // Sabotage from outside: the next group cannot insert frames.
  store_test::ExecSql(path(), "DROP TABLE frame_runs");
  store->PutSession(MakeSession("s2"));
  store->AppendFrames("s2", Frames(1, 2));
  absl::Status status = store->Flush(kFlushTimeout);
  EXPECT_FALSE(status.ok());
  EXPECT_NE(status.message().find(path()), absl::string_view::npos) << status;
  // The whole group rolled back, not half of it.
  EXPECT_EQ(QueryInt(path(), "SELECT count(*) FROM sessions"), 1);
}

TEST_F(QueuedSessionStoreTest, AVersion1FileHasItsFramesMovedIntoRuns) {
  // A store as the first version wrote it: one row per frame.
  store_test::ExecSql(path(), R"sql(
    CREATE TABLE store_schema (version INTEGER NOT NULL);
    CREATE TABLE sessions (id TEXT NOT NULL PRIMARY KEY, identity TEXT NOT NULL,
      token_hash BLOB NOT NULL, previous_token_hash BLOB NOT NULL,
      created_at_ms INTEGER NOT NULL, last_seen_ms INTEGER NOT NULL,
      seq_reserved INTEGER NOT NULL, replay_lost_from INTEGER NOT NULL,
      replay_lost_through INTEGER NOT NULL) WITHOUT ROWID;
    CREATE INDEX sessions_by_last_seen ON sessions (last_seen_ms);
    CREATE TABLE conversations (session_id TEXT NOT NULL, conversation_id TEXT NOT NULL,
      history BLOB NOT NULL, last_activity_ms INTEGER NOT NULL,
      PRIMARY KEY (session_id, conversation_id));
    CREATE TABLE frames (session_id TEXT NOT NULL, seq INTEGER NOT NULL, frame TEXT NOT NULL,
      PRIMARY KEY (session_id, seq)) WITHOUT ROWID;
    INSERT INTO store_schema (version) VALUES (1);
    INSERT INTO sessions VALUES ('s1', 'user-a', x'00', x'', 1, 4102444800000, 10, 0, 0);
    INSERT INTO frames VALUES ('s1', 3, 'three'), ('s1', 4, ''), ('s1', 5, 'five'),
                              ('s1', 8, 'eight'), ('s2', 1, 'other');
  )sql");
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(QueryInt(path(), "SELECT version FROM store_schema"), 2);
  EXPECT_EQ(QueryInt(path(),
                     "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'frames'"),
            0);
  // s1's frames 3..5 and 8: two runs (a gap starts a new one); s2's one frame: one.
  EXPECT_EQ(QueryInt(path(), "SELECT count(*) FROM frame_runs"), 3);
  auto s1 = LoadNow(*store, "s1");
  ASSERT_TRUE(s1.has_value());
  ASSERT_EQ(s1->replay.size(), 4u);
  EXPECT_EQ(s1->replay[0].seq, 3u);
  EXPECT_EQ(s1->replay[0].frame, "three");
  EXPECT_EQ(s1->replay[1].frame, "");
  EXPECT_EQ(s1->replay[2].frame, "five");
  EXPECT_EQ(s1->replay[3].seq, 8u);
  EXPECT_EQ(s1->replay[3].frame, "eight");
}

TEST_F(QueuedSessionStoreTest, ADamagedRunFailsTheLoadInsteadOfReplayingHalf) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  store->PutSession(MakeSession("s1"));
  store->AppendFrames("s1", Frames(1, 3));
  ASSERT_TRUE(store->Flush(kFlushTimeout).ok());
  store_test::ExecSql(path(), "UPDATE frame_runs SET last_seq = 4 WHERE session_id = 's1'");
  // The session is not offered with a hole in its replay: Load reports nothing.
  EXPECT_FALSE(LoadNow(*store, "s1").has_value());
}

}  // namespace
}  // namespace streamgate::gateway
