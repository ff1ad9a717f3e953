// The session store on a real redis-server, beyond the contract every store keeps: what one
// gateway's store commits another's reads, one group is one MULTI/EXEC, a Redis that is
// down fails flushes within the timeout without blocking writers, and writes commit again
// once it is back.
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <memory>
#include <optional>
#include <string>

#include "gateway/store/queued_session_store.h"
#include "gateway/store/redis/redis_client.h"
#include "gateway/store/redis/redis_session_database.h"
#include "tests/gateway/store/store_test_support.h"
#include "tests/support/redis_server.h"

namespace streamgate::gateway {
namespace {

using store_test::Describe;
using store_test::Frames;
using store_test::LoadNow;
using store_test::MakeConversation;
using store_test::MakeSession;
using store_test::SeqsOf;
using streamgate::testing::RedisServer;

class RedisSessionStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(redis_.ok()); }

  std::unique_ptr<QueuedSessionStore> OpenStore(
      absl::Duration timeout = absl::Seconds(2),
      absl::Duration flush_interval = absl::Milliseconds(20)) {
    RedisSessionDatabase::Options redis{.address = {.host = "127.0.0.1", .port = redis_.port()},
                                        .url = redis_.url(),
                                        .timeout = timeout};
    auto store = QueuedSessionStore::Open({.flush_interval = flush_interval},
                                          std::make_unique<RedisSessionDatabase>(redis));
    EXPECT_TRUE(store.ok()) << store.status();
    return store.ok() ? *std::move(store) : nullptr;
  }

  // Redis's own answer to `argv`, on a client of the test's.
  RedisReply Ask(std::vector<std::string> argv) {
    boost::asio::io_context io;
    auto client =
        RedisClient::Create(io, {.address = {.host = "127.0.0.1", .port = redis_.port()}});
    client->Start();
    std::optional<absl::StatusOr<RedisReply>> reply;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (!client->up() && std::chrono::steady_clock::now() < deadline) io.run_one_until(deadline);
    client->Command(std::move(argv), [&](absl::StatusOr<RedisReply> r) { reply = std::move(r); });
    while (!reply && std::chrono::steady_clock::now() < deadline) io.run_one_until(deadline);
    client->Stop();
    EXPECT_TRUE(reply.has_value() && reply->ok());
    return reply && reply->ok() ? **reply : RedisReply{};
  }

  RedisServer redis_;
};

TEST_F(RedisSessionStoreTest, WhatOneGatewaysStoreCommitsAnothersReads) {
  auto a = OpenStore();
  auto b = OpenStore();
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  StoredSession session = MakeSession("shared");
  a->PutSession(session);
  a->PutConversation(MakeConversation("shared", "trip", "history of the trip"));
  a->AppendFrames("shared", Frames(1, 5));
  ASSERT_TRUE(a->Flush(absl::Seconds(5)).ok());
  auto seen = LoadNow(*b, "shared");
  ASSERT_TRUE(seen.has_value());
  EXPECT_EQ(Describe(seen->session), Describe(session));
  ASSERT_EQ(seen->conversations.size(), 1u);
  EXPECT_EQ(seen->conversations[0].history, "history of the trip");
  EXPECT_EQ(SeqsOf(seen->replay), (std::vector<uint64_t>{1, 2, 3, 4, 5}));
  // The keys of a session share its hash tag; the idle index names it.
  EXPECT_EQ(Ask({"EXISTS", "sg:{shared}:s", "sg:{shared}:c", "sg:{shared}:f"}).integer, 3);
  EXPECT_EQ(Ask({"ZSCORE", "sg:idle", "shared"}).str, std::to_string(session.last_seen_ms));
}

TEST_F(RedisSessionStoreTest, AHashWithoutItsCreationTimeIsNoSession) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  Ask({"HSET", "sg:{half}:s", "lost_from", "7", "lost_through", "9"});
  EXPECT_FALSE(LoadNow(*store, "half").has_value());
}

TEST_F(RedisSessionStoreTest, AGroupIsOneTransaction) {
  auto store = OpenStore(absl::Seconds(2), /*flush_interval=*/absl::Hours(1));  // only Flush
  ASSERT_NE(store, nullptr);
  const int64_t before = [&] {
    RedisReply info = Ask({"INFO", "commandstats"});
    size_t at = info.str.find("cmdstat_exec:calls=");
    return at == std::string::npos ? 0 : std::stoll(info.str.substr(at + 19));
  }();
  for (int i = 0; i < 20; ++i) {
    store->PutSession(MakeSession("s" + std::to_string(i)));
    store->AppendFrames("s" + std::to_string(i), Frames(1, 3));
  }
  ASSERT_TRUE(store->Flush(absl::Seconds(5)).ok());
  RedisReply info = Ask({"INFO", "commandstats"});
  size_t at = info.str.find("cmdstat_exec:calls=");
  ASSERT_NE(at, std::string::npos) << info.str;
  // 40 writes queued together, one Flush: one EXEC.
  EXPECT_EQ(std::stoll(info.str.substr(at + 19)) - before, 1);
  EXPECT_EQ(store->stats().commits, 1u);
}

TEST_F(RedisSessionStoreTest, ARedisThatIsDownFailsFlushesInTimeAndWritesCommitOnceItIsBack) {
  auto store = OpenStore(absl::Milliseconds(300));
  ASSERT_NE(store, nullptr);
  redis_.Kill();
  store->PutSession(MakeSession("while-down"));
  const auto started = absl::Now();
  absl::Status flushed = store->Flush(absl::Seconds(10));
  EXPECT_FALSE(flushed.ok());
  EXPECT_EQ(flushed.code(), absl::StatusCode::kUnavailable) << flushed;
  EXPECT_LT(absl::Now() - started, absl::Seconds(5));  // bounded by the store's timeout
  // The failed group is lost (as a failed disk commit is); writes after it are not.
  ASSERT_TRUE(redis_.Restart());
  StoredSession again = MakeSession("after");
  store->PutSession(again);
  ASSERT_TRUE(store->Flush(absl::Seconds(10)).ok());
  auto loaded = LoadNow(*store, "after");
  ASSERT_TRUE(loaded.has_value());
  EXPECT_EQ(Describe(loaded->session), Describe(again));
}

}  // namespace
}  // namespace streamgate::gateway
