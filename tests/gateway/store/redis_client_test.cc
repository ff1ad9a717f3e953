// RedisClient against a real redis-server on loopback: replies of every type, pipelining in
// order, and each bound the class defines (down, too many unanswered, a Redis that stops
// answering), with reconnection after Redis is killed and restarted. The io_context runs on
// the test thread, so every wait is for an event of the client's, never a sleep.
#include "gateway/store/redis/redis_client.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "tests/support/redis_server.h"

namespace streamgate::gateway {
namespace {

using streamgate::testing::RedisServer;
using namespace std::chrono_literals;

class RedisClientTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(redis_.ok()); }
  void TearDown() override {
    if (client_ != nullptr) client_->Stop();
    io_.run_for(50ms);  // lets the stopped client's last callbacks run
  }

  void StartClient(RedisClient::Options options = {}) {
    options.address = RedisAddress{.host = "127.0.0.1", .port = redis_.port(), .db = db_};
    options.reconnect_min = absl::Milliseconds(10);
    options.reconnect_max = absl::Milliseconds(100);
    client_ =
        RedisClient::Create(io_, std::move(options), [this](bool up) { (up ? ups_ : downs_)++; });
    client_->Start();
  }

  template <typename Predicate>
  bool RunUntil(Predicate done, std::chrono::milliseconds timeout = 10s) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!done()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      io_.run_one_for(20ms);
    }
    return true;
  }

  bool WaitUp() {
    return RunUntil([&] { return client_->up(); });
  }

  absl::StatusOr<RedisReply> Exec(std::vector<std::string> argv) {
    std::optional<absl::StatusOr<RedisReply>> result;
    client_->Command(std::move(argv),
                     [&](absl::StatusOr<RedisReply> reply) { result = std::move(reply); });
    if (!RunUntil([&] { return result.has_value(); })) {
      return absl::DeadlineExceededError("no callback");
    }
    return *std::move(result);
  }

  RedisServer redis_;
  boost::asio::io_context io_;
  std::shared_ptr<RedisClient> client_;
  int db_ = 0;
  int ups_ = 0;
  int downs_ = 0;
};

TEST_F(RedisClientTest, RepliesOfEveryTypeComeBackWhole) {
  StartClient();
  ASSERT_TRUE(WaitUp());
  EXPECT_EQ(ups_, 1);
  const std::string binary("a\0b\r\nc", 6);
  auto set = Exec({"SET", "key", binary});
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_EQ(set->type, RedisReply::Type::kStatus);
  EXPECT_EQ(set->str, "OK");
  auto get = Exec({"GET", "key"});
  ASSERT_TRUE(get.ok());
  EXPECT_EQ(get->type, RedisReply::Type::kString);
  EXPECT_EQ(get->str, binary);
  auto missing = Exec({"GET", "nothing here"});
  ASSERT_TRUE(missing.ok());
  EXPECT_EQ(missing->type, RedisReply::Type::kNil);
  auto pushed = Exec({"RPUSH", "list", "x", "", "z"});
  ASSERT_TRUE(pushed.ok());
  EXPECT_EQ(pushed->type, RedisReply::Type::kInteger);
  EXPECT_EQ(pushed->integer, 3);
  auto range = Exec({"LRANGE", "list", "0", "-1"});
  ASSERT_TRUE(range.ok());
  ASSERT_EQ(range->type, RedisReply::Type::kArray);
  ASSERT_EQ(range->elements.size(), 3u);
  EXPECT_EQ(range->elements[1].str, "");
  EXPECT_EQ(range->elements[2].str, "z");
  // A Redis error is a reply, not a failed call.
  auto wrong = Exec({"INCR", "list"});
  ASSERT_TRUE(wrong.ok());
  EXPECT_TRUE(wrong->is_error());
  EXPECT_EQ(wrong->str.rfind("WRONGTYPE", 0), 0u) << wrong->str;
}

TEST_F(RedisClientTest, PipelinedCommandsAnswerInTheOrderTheyWereSent) {
  StartClient();
  ASSERT_TRUE(WaitUp());
  constexpr int kCommands = 2000;
  std::vector<int64_t> seen;
  for (int i = 0; i < kCommands; ++i) {
    client_->Command({"INCR", "counter"}, [&](absl::StatusOr<RedisReply> reply) {
      seen.push_back(reply.ok() ? reply->integer : -1);
    });
  }
  EXPECT_EQ(client_->pending(), size_t{kCommands});  // all sent before any reply was read
  ASSERT_TRUE(RunUntil([&] { return seen.size() == kCommands; }));
  for (int i = 0; i < kCommands; ++i) ASSERT_EQ(seen[i], i + 1);
  EXPECT_EQ(client_->pending(), 0u);
}

TEST_F(RedisClientTest, TheDatabaseInTheUrlIsSelectedBeforeAnyCommand) {
  db_ = 3;
  StartClient();
  ASSERT_TRUE(WaitUp());
  ASSERT_TRUE(Exec({"SET", "where", "db3"}).ok());
  auto db = Exec({"CLIENT", "INFO"});
  ASSERT_TRUE(db.ok());
  EXPECT_NE(db->str.find(" db=3 "), std::string::npos) << db->str;
}

TEST_F(RedisClientTest, WhileDownCommandsFailAtOnceAndItConnectsWhenRedisComesBack) {
  redis_.Kill();
  StartClient();
  auto down = Exec({"PING"});
  ASSERT_FALSE(down.ok());
  EXPECT_EQ(down.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_FALSE(client_->up());
  ASSERT_TRUE(redis_.Restart());
  ASSERT_TRUE(WaitUp());
  auto pong = Exec({"PING"});
  ASSERT_TRUE(pong.ok()) << pong.status();
  EXPECT_EQ(pong->str, "PONG");
}

TEST_F(RedisClientTest, RedisKilledMidTrafficFailsWhatWasPendingAndTheClientReconnects) {
  StartClient();
  ASSERT_TRUE(WaitUp());
  // A command Redis holds (BLPOP waits for a push that never comes) is pending for sure.
  std::optional<absl::StatusOr<RedisReply>> held;
  client_->Command({"BLPOP", "never", "0"},
                   [&](absl::StatusOr<RedisReply> reply) { held = std::move(reply); });
  ASSERT_TRUE(RunUntil([&] { return client_->pending() == 1; }));
  redis_.Kill();
  ASSERT_TRUE(RunUntil([&] { return held.has_value(); }));
  EXPECT_EQ(held->status().code(), absl::StatusCode::kUnavailable);
  ASSERT_TRUE(RunUntil([&] { return !client_->up(); }));
  EXPECT_EQ(downs_, 1);
  ASSERT_TRUE(redis_.Restart());
  ASSERT_TRUE(WaitUp());
  EXPECT_EQ(ups_, 2);
  EXPECT_TRUE(Exec({"PING"}).ok());
}

TEST_F(RedisClientTest, ARedisThatStopsAnsweringIsDroppedAfterTheReplyTimeout) {
  RedisClient::Options options;
  options.reply_timeout = absl::Milliseconds(300);
  options.connect_timeout = absl::Milliseconds(300);
  StartClient(options);
  ASSERT_TRUE(WaitUp());
  redis_.Pause();
  auto stalled = Exec({"PING"});
  ASSERT_FALSE(stalled.ok());
  EXPECT_EQ(stalled.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_FALSE(client_->up());
  // Still paused: the kernel completes each reconnect's TCP handshake but Redis never
  // answers its PING, so the client stays down and commands fail at once.
  EXPECT_EQ(Exec({"PING"}).status().code(), absl::StatusCode::kUnavailable);
  redis_.Resume();
  ASSERT_TRUE(WaitUp());
  EXPECT_TRUE(Exec({"PING"}).ok());
}

TEST_F(RedisClientTest, BeyondMaxPendingTheNextCommandIsRefusedAndTheOthersGoOn) {
  RedisClient::Options options;
  options.max_pending = 8;
  StartClient(options);
  ASSERT_TRUE(WaitUp());
  std::vector<absl::StatusCode> codes;
  for (int i = 0; i < 10; ++i) {
    client_->Command({"PING"}, [&](absl::StatusOr<RedisReply> reply) {
      codes.push_back(reply.status().code());
    });
  }
  EXPECT_EQ(client_->pending(), 8u);
  ASSERT_TRUE(RunUntil([&] { return codes.size() == 10; }));
  EXPECT_EQ(std::count(codes.begin(), codes.end(), absl::StatusCode::kOk), 8);
  EXPECT_EQ(std::count(codes.begin(), codes.end(), absl::StatusCode::kResourceExhausted), 2);
}

TEST_F(RedisClientTest, StopFailsWhatIsPendingWithCancelledAndConnectsNoMore) {
  StartClient();
  ASSERT_TRUE(WaitUp());
  std::optional<absl::StatusOr<RedisReply>> held;
  client_->Command({"BLPOP", "never", "0"},
                   [&](absl::StatusOr<RedisReply> reply) { held = std::move(reply); });
  client_->Stop();
  ASSERT_TRUE(held.has_value());  // failed within Stop: hiredis frees the context there
  EXPECT_EQ(held->status().code(), absl::StatusCode::kCancelled);
  EXPECT_FALSE(client_->up());
  // An absence can only be watched for a while: longer than the reconnect backoff.
  io_.run_for(200ms);
  EXPECT_FALSE(client_->up());
  EXPECT_EQ(ups_, 1);
}

}  // namespace
}  // namespace streamgate::gateway
