// Sessions across a gateway restart on the same SQLite store: a deploy (SIGTERM: going_away,
// 1012, flush), a drain deadline, a crash (kill -9), a full store queue, the session TTL.
#include <regex>

#include "gtest/gtest.h"
#include "tests/e2e/resume_helpers.h"
#include "tests/support/temp_dir.h"

namespace streamgate::testing {
namespace {

// Reads every frame until the server closes; returns them.
std::vector<Json> ReadUntilClosed(WsTestClient& client) {
  std::vector<Json> frames;
  while (auto frame = client.ReadJson(15s)) frames.push_back(*frame);
  return frames;
}

// The frames with seq > `after` that a replay must give back: all but the ephemeral ones.
std::vector<Json> ReplayableAfter(const std::vector<Json>& frames, uint64_t after) {
  std::vector<Json> kept;
  for (const Json& frame : frames) {
    if (frame["seq"].get<uint64_t>() > after && frame["type"] != "going_away") {
      kept.push_back(frame);
    }
  }
  return kept;
}

class RestartE2e : public ::testing::Test {
 protected:
  void Start(std::vector<std::string> llm_args, std::vector<std::string> gateway_args) {
    pair_ = std::make_unique<StreamgatePair>(PairArgs(std::move(llm_args)));
    ASSERT_TRUE(pair_->ok());
    gateway_args.push_back("--store=sqlite:" + dir_.Path("gateway.db"));
    gateway_ = std::make_unique<GatewayProcess>(pair_->llm_port(), std::move(gateway_args));
    ASSERT_GT(gateway_->port(), 0);
  }

  TempDir dir_;
  std::unique_ptr<StreamgatePair> pair_;  // its own gateway is not used
  std::unique_ptr<GatewayProcess> gateway_;
};

TEST_F(RestartE2e, SigtermSaysGoingAwayAnd1012AndANewProcessReplaysExactlyOnce) {
  Start({"--mock-chunk-delay-ms=20", "--mock-extra-words=40"}, {"--drain-timeout=20s"});
  WsTestClient client;
  auto session = OpenSession(client, gateway_->port());
  ASSERT_TRUE(session.has_value());
  ASSERT_TRUE(client.SendJson(UserMessage("across a deploy")));
  ASSERT_TRUE(ReadTrackedUntil(client, *session, "stream_start").has_value());
  ASSERT_TRUE(ReadTracked(client, *session).has_value());
  // The client processes nothing more: whatever else arrives is "in flight" when it dies.
  const uint64_t processed = session->last_seq;
  const std::string processed_text = session->text;
  gateway_->process().Signal(SIGTERM);
  std::vector<Json> rest = ReadUntilClosed(client);
  ASSERT_FALSE(rest.empty());
  EXPECT_EQ(rest.back()["type"], "going_away");
  EXPECT_GE(rest.back()["retryAfterMs"].get<int64_t>(), 1000);
  EXPECT_EQ(client.server_close_reason().code, 1012);
  ASSERT_TRUE(gateway_->Stop());

  gateway_->Start();
  WsTestClient again;
  ResumeOutcome outcome = Resume(again, gateway_->port(), *session, processed);
  ASSERT_TRUE(outcome.resumed.has_value()) << (outcome.failure ? outcome.failure->dump() : "")
                                           << gateway_->process().OutputForDiagnostics();
  // Exactly what the first process sent after `processed`, seq for seq, byte for byte.
  std::vector<Json> expected = ReplayableAfter(rest, processed);
  ASSERT_EQ(outcome.replayed.size(), expected.size());
  for (size_t i = 0; i < expected.size(); ++i) EXPECT_EQ(outcome.replayed[i], expected[i]) << i;
  EXPECT_EQ(outcome.replayed.back()["type"], "stream_end");
  EXPECT_EQ(session->text.substr(0, processed_text.size()), processed_text);
  EXPECT_EQ(session->text, ReferenceReply(gateway_->port(), "across a deploy"));
  ExpectNotInLog(gateway_->process(), session->token);
}

TEST_F(RestartE2e, AReplyPastTheDrainDeadlineResumesWithItsTextThenInterrupted) {
  Start({"--mock-chunk-delay-ms=50", "--mock-extra-words=400"}, {"--drain-timeout=300ms"});
  WsTestClient client;
  auto session = OpenSession(client, gateway_->port());
  ASSERT_TRUE(session.has_value());
  ASSERT_TRUE(client.SendJson(UserMessage("too long for the deploy")));
  ASSERT_TRUE(ReadTrackedUntil(client, *session, "stream_start").has_value());
  ASSERT_TRUE(ReadTracked(client, *session).has_value());
  const uint64_t processed = session->last_seq;
  gateway_->process().Signal(SIGTERM);
  std::vector<Json> rest = ReadUntilClosed(client);
  ASSERT_GE(rest.size(), 2u);
  EXPECT_EQ(rest[rest.size() - 2]["code"], "interrupted");
  EXPECT_EQ(client.server_close_reason().code, 1012);
  ASSERT_TRUE(gateway_->Stop());

  gateway_->Start();
  WsTestClient again;
  ResumeOutcome outcome = Resume(again, gateway_->port(), *session, processed);
  ASSERT_TRUE(outcome.resumed.has_value());
  std::vector<Json> expected = ReplayableAfter(rest, processed);
  ASSERT_EQ(outcome.replayed.size(), expected.size());
  for (size_t i = 0; i < expected.size(); ++i) EXPECT_EQ(outcome.replayed[i], expected[i]) << i;
  EXPECT_EQ(outcome.replayed.back()["code"], "interrupted");  // never a silent end
  // The interrupted reply is in the history with the text it had.
  ASSERT_TRUE(again.SendJson({{"type", "get_history"}}));
  auto history = again.ReadUntilType("history");
  ASSERT_TRUE(history.has_value());
  ASSERT_EQ((*history)["messages"].size(), 2u);
  EXPECT_EQ((*history)["messages"][0]["content"], "too long for the deploy");
  EXPECT_EQ((*history)["messages"][1]["content"], session->text);
}

TEST_F(RestartE2e, AfterKill9TheHistoryIsKeptAndTheRunningReplyEndsInterrupted) {
  Start({"--mock-chunk-delay-ms=50", "--mock-extra-words=30"}, {"--store-flush-interval=20ms"});
  const std::string first_reply = ReferenceReply(gateway_->port(), "first question");
  const std::string second_reply = ReferenceReply(gateway_->port(), "second question");
  WsTestClient client;
  auto session = OpenSession(client, gateway_->port());
  ASSERT_TRUE(session.has_value());
  ASSERT_TRUE(client.SendJson(UserMessage("first question")));
  ASSERT_TRUE(ReadTrackedUntil(client, *session, "stream_end").has_value());
  ASSERT_TRUE(client.SendJson(UserMessage("second question")));
  ASSERT_TRUE(ReadTrackedUntil(client, *session, "stream_start").has_value());
  // Five chunks 50 ms apart: at the kill the first stream_end is many flush intervals old,
  // and the first chunk ~200 ms, past the five intervals (100 ms) an attached reply's
  // frames may wait for the store.
  ASSERT_TRUE(ReadTracked(client, *session).has_value());
  const std::string committed = session->text.substr(first_reply.size());
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(ReadTracked(client, *session).has_value());
  const std::string seen = session->text.substr(first_reply.size());
  gateway_->Kill();

  gateway_->Start();
  WsTestClient again;
  session->text = seen;  // from here on: the second reply's text
  ResumeOutcome outcome = Resume(again, gateway_->port(), *session);
  ASSERT_TRUE(outcome.resumed.has_value()) << (outcome.failure ? outcome.failure->dump() : "")
                                           << gateway_->process().OutputForDiagnostics();
  ASSERT_FALSE(outcome.replayed.empty());
  EXPECT_EQ(outcome.replayed.back()["code"], "interrupted");
  EXPECT_EQ(outcome.replayed.back()["conversationId"], "default");
  // No text twice: what the client has is a prefix of the reply.
  EXPECT_EQ(second_reply.rfind(session->text, 0), 0u) << session->text;
  ASSERT_TRUE(again.SendJson({{"type", "get_history"}}));
  auto history = again.ReadUntilType("history");
  ASSERT_TRUE(history.has_value());
  ASSERT_EQ((*history)["messages"].size(), 4u) << history->dump();
  EXPECT_EQ((*history)["messages"][0]["content"], "first question");
  EXPECT_EQ((*history)["messages"][1]["content"], first_reply);
  // The running reply is kept as a drain deadline keeps it: what was asked and the text
  // the store had, which is what the client has (or, for the last flush interval, less).
  EXPECT_EQ((*history)["messages"][2]["content"], "second question");
  const std::string kept = (*history)["messages"][3]["content"];
  EXPECT_EQ(session->text.rfind(kept, 0), 0u) << kept;
  EXPECT_EQ(kept.rfind(committed, 0), 0u) << kept;
}

TEST_F(RestartE2e, AFullStoreQueueDropsFramesNotTheReplyAndAResumeNeedingThemIsAGap) {
  Start({"--mock-chunk-delay-ms=0", "--mock-extra-words=3000"},
        {"--store-queue-bytes=4096", "--store-flush-interval=1s"});
  WsTestClient client;
  auto session = OpenSession(client, gateway_->port());
  ASSERT_TRUE(session.has_value());
  ASSERT_TRUE(client.SendJson(UserMessage("flood the store")));
  auto start = ReadTrackedUntil(client, *session, "stream_start");
  ASSERT_TRUE(start.has_value());
  ASSERT_TRUE(ReadTrackedUntil(client, *session, "stream_end", 30s).has_value());
  // Live, nothing was lost or held back.
  EXPECT_EQ(session->text, ReferenceReply(gateway_->port(), "flood the store"));
  EXPECT_TRUE(gateway_->process()
                  .WaitForLine(std::regex("session store queue full: frames dropped"), 10s)
                  .has_value());
  client.Abort();
  ASSERT_TRUE(gateway_->Stop());
  gateway_->Start();
  WsTestClient again;
  ResumeOutcome outcome = Resume(again, gateway_->port(), *session, (*start)["seq"]);
  ASSERT_TRUE(outcome.failure.has_value());
  EXPECT_EQ((*outcome.failure)["reason"], "gap");
}

TEST_F(RestartE2e, SessionsIdleLongerThanTheTtlLeaveTheStore) {
  Start({"--mock-chunk-delay-ms=0"}, {"--session-ttl=1s", "--resume-window=1s"});
  WsTestClient client;
  auto session = OpenSession(client, gateway_->port());
  ASSERT_TRUE(session.has_value());
  ASSERT_TRUE(client.SendJson(UserMessage("forget me")));
  ASSERT_TRUE(ReadTrackedUntil(client, *session, "stream_end").has_value());
  client.Abort();
  ASSERT_TRUE(gateway_->Stop());
  gateway_->Start();
  EXPECT_TRUE(gateway_->process()
                  .WaitForLine(std::regex("session store expired sessions=1"), 10s)
                  .has_value());
  WsTestClient again;
  ResumeOutcome outcome = Resume(again, gateway_->port(), *session);
  ASSERT_TRUE(outcome.failure.has_value());
  EXPECT_EQ((*outcome.failure)["reason"], "unknown_session");
}

}  // namespace
}  // namespace streamgate::testing
