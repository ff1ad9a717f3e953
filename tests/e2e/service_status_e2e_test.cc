// What a client is told about the service behind the gateway, with the real binaries: the
// limits and who answers in connection_established, a `status` frame when llm-service goes
// and comes back and when the gateway drains, and the log lines an operator reads for each
// transition, once each.
#include <csignal>
#include <optional>
#include <regex>
#include <string>

#include "gtest/gtest.h"
#include "tests/e2e/e2e_helpers.h"

namespace streamgate::testing {
namespace {

const Json kMockReady = {{"state", "ready"}, {"provider", "mock"}, {"model", "mock"}};
const Json kMockDown = {{"state", "unavailable"}, {"provider", "mock"}, {"model", "mock"}};
const Json kMockDraining = {{"state", "draining"}, {"provider", "mock"}, {"model", "mock"}};

size_t CountLines(ChildProcess& process, const std::regex& pattern) {
  size_t count = 0;
  for (const std::string& line : process.Lines()) count += std::regex_search(line, pattern);
  return count;
}

// Connects and returns connection_established (nullopt on failure).
std::optional<Json> Established(WsTestClient& client, int port) {
  if (!client.Connect(port)) return std::nullopt;
  auto hello = client.ReadJson();
  if (!hello.has_value() || (*hello)["type"] != "connection_established") return std::nullopt;
  return hello;
}

// Connects and reads until the client has been told the mock answers.
void OpenOnceTheMockAnswers(StreamgatePair& pair, WsTestClient& client,
                            std::optional<Json>* established) {
  *established = Established(client, pair.gateway_port());
  ASSERT_TRUE(established->has_value());
  ASSERT_TRUE(WaitForService(client, (**established)["service"], kMockReady))
      << pair.gateway().OutputForDiagnostics();
}

TEST(ServiceStatusE2e, ConnectionEstablishedTellsTheLimitsAndThatTheMockAnswers) {
  StreamgatePair pair({.gateway_args = {"--max-message-bytes=100000", "--max-active-replies=3",
                                        "--max-conversations=9"}});
  ASSERT_TRUE(pair.ok());
  WsTestClient client;
  auto established = Established(client, pair.gateway_port());
  ASSERT_TRUE(established.has_value());
  EXPECT_EQ((*established)["limits"],
            Json({{"maxMessageBytes", 100000}, {"maxActiveReplies", 3}, {"maxConversations", 9}}));
  EXPECT_TRUE(WaitForService(client, (*established)["service"], kMockReady))
      << (*established)["service"].dump() << pair.gateway().OutputForDiagnostics();
  ASSERT_TRUE(pair.gateway().WaitForLine(
      std::regex("info gateway llm-service answers provider=mock model=mock "
                 "max_request_bytes=4194304"),
      5s));
  // A client connecting now hears it in its very first frame.
  WsTestClient second;
  auto later = Established(second, pair.gateway_port());
  ASSERT_TRUE(later.has_value());
  EXPECT_EQ((*later)["service"], kMockReady);
}

TEST(ServiceStatusE2e, LlmServiceGoingAndComingBackIsToldToClientsAndLoggedOnceEach) {
  StreamgatePair pair;
  ASSERT_TRUE(pair.ok());
  WsTestClient client;
  std::optional<Json> established;
  ASSERT_NO_FATAL_FAILURE(OpenOnceTheMockAnswers(pair, client, &established));
  const int told_at_start = client.statuses_received();
  const std::string target = "127.0.0.1:" + std::to_string(pair.llm_port());

  pair.KillLlm();
  auto down = client.ReadStatus(10s);
  ASSERT_TRUE(down.has_value()) << pair.gateway().OutputForDiagnostics();
  EXPECT_EQ((*down)["service"], kMockDown);
  EXPECT_EQ((*down)["sessionId"], (*established)["sessionId"]);
  EXPECT_EQ((*down)["seq"], 0);  // outside the session's seq order
  const std::regex unreachable(" warning gateway llm-service unreachable target=" + target +
                               " state=TRANSIENT_FAILURE was=connected$");
  ASSERT_TRUE(pair.gateway().WaitForLine(unreachable, 5s)) << pair.gateway().OutputForDiagnostics();
  // The readiness probe agrees with the page.
  EXPECT_EQ(HttpGet(pair.gateway_port(), "/readyz").status, 503);

  pair.RestartLlm();
  auto up = client.ReadStatus(15s);
  ASSERT_TRUE(up.has_value()) << pair.gateway().OutputForDiagnostics();
  EXPECT_EQ((*up)["service"], kMockReady);
  ASSERT_TRUE(pair.gateway().WaitForLine(
      std::regex(" info gateway llm-service reachable again target=" + target + " down_ms=[0-9]+$"),
      5s));
  // Messages work again, and the reconnect attempts in between were not logged one by one.
  ASSERT_TRUE(client.SendJson(UserMessage("back?")));
  Reply reply = ReadReply(client);
  EXPECT_TRUE(reply.end.has_value()) << (reply.error ? reply.error->dump() : "no end");
  EXPECT_EQ(CountLines(pair.gateway(), std::regex("llm-service unreachable")), 1u)
      << pair.gateway().OutputForDiagnostics();
  EXPECT_EQ(CountLines(pair.gateway(), std::regex("llm-service reachable")), 2u);
  EXPECT_EQ(client.statuses_received(), told_at_start + 2);  // down, up: nothing in between
}

TEST(ServiceStatusE2e, ADrainSaysDrainingBeforeGoingAway) {
  StreamgatePair pair;
  ASSERT_TRUE(pair.ok());
  WsTestClient client;
  std::optional<Json> established;
  ASSERT_NO_FATAL_FAILURE(OpenOnceTheMockAnswers(pair, client, &established));
  const int told = client.statuses_received();
  pair.gateway().Signal(SIGTERM);
  // ReadJson returns the first frame that is not a status: the draining one came before it.
  auto going_away = client.ReadJson(10s);
  ASSERT_TRUE(going_away.has_value());
  EXPECT_EQ((*going_away)["type"], "going_away");
  EXPECT_EQ((*going_away)["seq"], (*established)["seq"].get<int>() + 1);
  ASSERT_EQ(client.statuses_received(), told + 1);
  auto draining = client.ReadStatus(0ms);
  ASSERT_TRUE(draining.has_value());
  EXPECT_EQ((*draining)["service"], kMockDraining);
  EXPECT_FALSE(client.ReadJson(10s).has_value());
  EXPECT_EQ(client.server_close_reason().code, 1012);
}

}  // namespace
}  // namespace streamgate::testing
