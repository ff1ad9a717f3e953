// SIGTERM draining of the gateway and llm-service, and readiness.
#include <signal.h>
#include <sys/wait.h>

#include <regex>
#include <thread>

#include "gtest/gtest.h"
#include "tests/e2e/e2e_helpers.h"

namespace streamgate::testing {
namespace {

bool ExitedCleanly(std::optional<int> status) {
  return status.has_value() && WIFEXITED(*status) && WEXITSTATUS(*status) == 0;
}

// Polls /readyz until it answers `status`; false after `timeout`. Readiness follows the
// gRPC channel's state, which offers no event a test could wait on, so this polls, paced
// so that it does not run the machine out of ephemeral ports.
bool WaitForReadiness(int port, int status, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (HttpGet(port, "/readyz").status == status) return true;
    std::this_thread::sleep_for(20ms);
  }
  return false;
}

TEST(ShutdownE2e, ReadinessFollowsLlmService) {
  StreamgatePair pair;
  ASSERT_TRUE(pair.ok());
  EXPECT_TRUE(WaitForReadiness(pair.gateway_port(), 200, 5s));
  pair.KillLlm();
  EXPECT_TRUE(WaitForReadiness(pair.gateway_port(), 503, 5s));
  auto body = HttpGet(pair.gateway_port(), "/readyz").body;
  EXPECT_NE(body.find("llm_service_unreachable"), std::string::npos) << body;
  EXPECT_EQ(HttpGet(pair.gateway_port(), "/healthz").status, 200);  // alive all the same
  pair.RestartLlm();
  EXPECT_TRUE(WaitForReadiness(pair.gateway_port(), 200, 5s));
}

TEST(ShutdownE2e, SigtermLetsActiveRepliesFinishThenSaysGoingAwayAndClosesWith1012) {
  // A ~1 s reply (20 words x 50 ms) and a generous drain timeout.
  StreamgatePair pair(PairArgs({"--mock-chunk-delay-ms=50", "--mock-extra-words=20"},
                               {"--drain-timeout=20s"}));
  ASSERT_TRUE(pair.ok());
  WsTestClient busy, idle;
  ASSERT_FALSE(Open(busy, pair.gateway_port()).empty());
  ASSERT_FALSE(Open(idle, pair.gateway_port()).empty());
  ASSERT_TRUE(busy.SendJson(UserMessage("finish me")));
  ASSERT_TRUE(busy.ReadUntilType("stream_chunk").has_value());

  pair.gateway().Signal(SIGTERM);
  ASSERT_TRUE(pair.gateway().WaitForLine(std::regex("draining signal=15"), 5s));
  // The idle session is told when to come back, then closed at once with 1012.
  auto going_away = idle.ReadJson(5s);
  ASSERT_TRUE(going_away.has_value());
  EXPECT_EQ((*going_away)["type"], "going_away");
  EXPECT_GE((*going_away)["retryAfterMs"].get<int64_t>(), 1000);  // --drain-retry-after 1s
  EXPECT_LT((*going_away)["retryAfterMs"].get<int64_t>(), 2000);  // spread over [1s, 2s)
  EXPECT_FALSE(idle.ReadJson(5s).has_value());
  EXPECT_EQ(idle.server_close_reason().code, 1012);
  // HTTP still answers: not ready, and no new WebSocket sessions.
  auto ready = HttpGet(pair.gateway_port(), "/readyz");
  EXPECT_EQ(ready.status, 503);
  EXPECT_NE(ready.body.find("draining"), std::string::npos);
  EXPECT_EQ(HttpGet(pair.gateway_port(), "/healthz").status, 200);
  WsTestClient late;
  EXPECT_FALSE(late.Connect(pair.gateway_port()));
  EXPECT_EQ(late.handshake_status(), 503);

  // The busy session's reply completes, then going_away, then the close with 1012.
  Reply rest = ReadReply(busy);
  ASSERT_TRUE(rest.end.has_value()) << (rest.error ? rest.error->dump() : "no end");
  auto busy_going_away = busy.ReadJson(5s);
  ASSERT_TRUE(busy_going_away.has_value());
  EXPECT_EQ((*busy_going_away)["type"], "going_away");
  EXPECT_FALSE(busy.ReadJson(5s).has_value());
  EXPECT_EQ(busy.server_close_reason().code, 1012);
  EXPECT_TRUE(ExitedCleanly(pair.gateway().WaitForExit(10s)));
}

class DrainDeadline : public ::testing::TestWithParam<std::string> {};

// With and without resume, a reply still running at the drain deadline ends with a terminal
// `interrupted` error before the close (never a bare close).
TEST_P(DrainDeadline, EndsRepliesThatRunLongerWithInterrupted) {
  StreamgatePair pair(PairArgs({"--mock-chunk-delay-ms=50", "--mock-extra-words=400"},
                               {"--drain-timeout=300ms", "--resume-window=" + GetParam()}));
  ASSERT_TRUE(pair.ok());
  WsTestClient busy;
  ASSERT_FALSE(Open(busy, pair.gateway_port()).empty());
  ASSERT_TRUE(busy.SendJson(UserMessage("too long")));
  auto start = busy.ReadUntilType("stream_start");
  ASSERT_TRUE(start.has_value());
  pair.gateway().Signal(SIGTERM);
  Reply rest = ReadReply(busy, 10s);
  EXPECT_FALSE(rest.end.has_value());
  ASSERT_TRUE(rest.error.has_value());
  EXPECT_EQ((*rest.error)["code"], "interrupted");
  EXPECT_EQ((*rest.error)["conversationId"], "default");
  EXPECT_EQ((*rest.error)["requestId"], (*start)["requestId"]);
  auto going_away = busy.ReadJson(5s);
  ASSERT_TRUE(going_away.has_value());
  EXPECT_EQ((*going_away)["type"], "going_away");
  EXPECT_FALSE(busy.ReadJson(5s).has_value());
  EXPECT_EQ(busy.server_close_reason().code, 1012);
  EXPECT_TRUE(ExitedCleanly(pair.gateway().WaitForExit(10s)));
  // The unfinished reply's call was cancelled, not left running in llm-service.
  std::regex cancelled("call end .*request=" + (*start)["requestId"].get<std::string>() +
                       " status=CANCELLED");
  EXPECT_TRUE(pair.llm().WaitForLine(cancelled, 5s).has_value());
}

INSTANTIATE_TEST_SUITE_P(ResumeWindow, DrainDeadline, ::testing::Values("0", "2m"));

TEST(ShutdownE2e, LlmServiceFinishesRunningCallsOnSigterm) {
  StreamgatePair pair(LlmArgs({"--mock-chunk-delay-ms=50", "--mock-extra-words=20",
                               "--drain-timeout=20s"}));
  ASSERT_TRUE(pair.ok());
  WsTestClient client;
  ASSERT_FALSE(Open(client, pair.gateway_port()).empty());
  ASSERT_TRUE(client.SendJson(UserMessage("in flight")));
  ASSERT_TRUE(client.ReadUntilType("stream_chunk").has_value());
  pair.llm().Signal(SIGTERM);
  Reply rest = ReadReply(client);
  ASSERT_TRUE(rest.end.has_value()) << (rest.error ? rest.error->dump() : "no end");
  EXPECT_TRUE(ExitedCleanly(pair.llm().WaitForExit(10s)));
}

}  // namespace
}  // namespace streamgate::testing
