// Two gateways on one Redis (`--store redis://`): a session one gateway served resumes on
// the other after the first is killed, with its replay and its conversation; a bad URL is
// refused at start without echoing it.
#include <regex>
#include <thread>

#include "gtest/gtest.h"
#include "tests/e2e/resume_helpers.h"
#include "tests/support/redis_server.h"

namespace streamgate::testing {
namespace {

class RedisStoreE2e : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(redis_.ok());
    pair_ = std::make_unique<StreamgatePair>();
    ASSERT_TRUE(pair_->ok());
  }
  std::unique_ptr<GatewayProcess> StartGateway() {
    auto gateway = std::make_unique<GatewayProcess>(
        pair_->llm_port(),
        std::vector<std::string>{"--store=" + redis_.url(), "--store-flush-interval=20ms"});
    EXPECT_GT(gateway->port(), 0);
    return gateway;
  }
  // The highest seq of the session's frames in Redis (its replay log's last score), asked
  // with Debian's redis-cli; 0 when there is none.
  uint64_t StoredLastSeq(const std::string& session_id) {
    ChildProcess cli({"/usr/bin/redis-cli", "-p", std::to_string(redis_.port()), "ZRANGE",
                      "sg:{" + session_id + "}:f", "-1", "-1", "WITHSCORES"});
    cli.WaitForExit(5s);
    std::vector<std::string> lines = cli.Lines();
    return lines.size() == 2 ? std::stoull(lines[1]) : 0;
  }
  // The session hands its frames to the store on a timer of its own, and the store commits
  // them in groups: nothing to await from outside but the state in Redis itself.
  bool WaitStored(const std::string& session_id, uint64_t seq) {
    for (int i = 0; i < 500; ++i) {
      if (StoredLastSeq(session_id) >= seq) return true;
      std::this_thread::sleep_for(10ms);
    }
    return false;
  }

  RedisServer redis_;
  std::unique_ptr<StreamgatePair> pair_;  // its own gateway is not used
};

TEST_F(RedisStoreE2e, ASessionOfAKilledGatewayResumesOnAnotherWithItsReplayAndHistory) {
  auto a = StartGateway();
  auto b = StartGateway();
  ASSERT_GT(a->port(), 0);
  ASSERT_GT(b->port(), 0);
  WsTestClient client;
  auto session = OpenSession(client, a->port());
  ASSERT_TRUE(session.has_value());
  const uint64_t established = session->last_seq;
  ASSERT_TRUE(client.SendJson(UserMessage("kept in redis")));
  ASSERT_TRUE(ReadTrackedUntil(client, *session, "stream_end").has_value());
  const std::string text = session->text;
  ASSERT_FALSE(text.empty());
  ASSERT_TRUE(WaitStored(session->id, session->last_seq));
  a->Kill();

  // The client saw only connection_established: the reply comes back from Redis via B.
  WsTestClient again;
  ClientSession from_start = *session;
  from_start.text.clear();
  from_start.last_seq = established;
  ResumeOutcome outcome = Resume(again, b->port(), from_start, established);
  ASSERT_TRUE(outcome.resumed.has_value())
      << (outcome.failure ? outcome.failure->dump() : "") << b->process().OutputForDiagnostics();
  EXPECT_EQ(from_start.text, text);
  ASSERT_FALSE(outcome.replayed.empty());
  EXPECT_EQ(outcome.replayed.front()["type"], "stream_start");
  EXPECT_EQ(outcome.replayed.back()["type"], "stream_end");

  // The conversation came along: B sends it whole with the next message.
  ASSERT_TRUE(again.SendJson({{"type", "get_history"}, {"conversationId", "default"}}));
  auto history = again.ReadUntilType("history");
  ASSERT_TRUE(history.has_value());
  ASSERT_EQ((*history)["messages"].size(), 2u) << history->dump();
  EXPECT_EQ((*history)["messages"][0]["content"], "kept in redis");
  EXPECT_EQ((*history)["messages"][1]["content"], text);
}

TEST_F(RedisStoreE2e, ABadRedisUrlIsRefusedAtStartWithoutEchoingIt) {
  ChildProcess gateway({GatewayBinary(), "--port=0", "--store=redis://user:s3cr3t@host:1"});
  auto status = gateway.WaitForExit(10s);
  ASSERT_TRUE(status.has_value());
  EXPECT_NE(*status, 0);
  EXPECT_TRUE(gateway.WaitForLine(std::regex("--store: credentials in the Redis URL"), 1s))
      << gateway.OutputForDiagnostics();
  for (const std::string& line : gateway.Lines()) {
    EXPECT_EQ(line.find("s3cr3t"), std::string::npos) << line;
  }
}

}  // namespace
}  // namespace streamgate::testing
