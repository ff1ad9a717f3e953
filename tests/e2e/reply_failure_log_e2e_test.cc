// What an operator reads when a reply fails: a warn line with the gRPC status and its
// cause, and the request id the client was given; a user's cancel stays at info.
#include <regex>
#include <string>

#include "gtest/gtest.h"
#include "tests/e2e/e2e_helpers.h"

namespace streamgate::testing {
namespace {

std::string RequestIdOf(const Json& frame) {
  return frame.contains("requestId") ? frame["requestId"].get<std::string>() : "";
}

// The per-call transport waits for a connection up to --llm-connect-timeout (the mux
// transport's answers are in mux_transport_e2e_test).
TEST(ReplyFailureLogE2e, UnreachableLlmServiceIsAWarnWithTheConnectTimeoutOnPerCall) {
  ChildProcess gateway({GatewayBinary(), "--port=0", "--llm-connect-timeout=300ms",
                        "--llm-transport=per-call",
                        "--llm-service=127.0.0.1:" + std::to_string(UnusedPort())});
  int port = WaitForListeningPort(gateway, 10s);
  ASSERT_GT(port, 0);
  WsTestClient client;
  std::string session = Open(client, port);
  ASSERT_FALSE(session.empty());
  ASSERT_TRUE(client.SendJson(UserMessage("anyone there?")));
  auto error = client.ReadUntilType("error", 5s);
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ((*error)["code"], "upstream_unavailable");  // still the generic error
  std::string request = RequestIdOf(*error);
  ASSERT_FALSE(request.empty());
  size_t line = 0;
  auto failed = gateway.WaitForLine(
      std::regex("reply failed session=" + session + " .*request=" + request + " .*"), 5s, 0,
      &line);
  ASSERT_TRUE(failed.has_value()) << gateway.OutputForDiagnostics();
  const std::string logged = gateway.Lines()[line];
  EXPECT_NE(logged.find(" warning session reply failed "), std::string::npos) << logged;
  EXPECT_NE(logged.find(" grpc_status=DEADLINE_EXCEEDED detail=\"llm-service not reachable "
                        "within --llm-connect-timeout 300ms\" code=upstream_unavailable"),
            std::string::npos)
      << logged;
  EXPECT_EQ(logged.find("CANCELLED"), std::string::npos) << logged;
}

TEST(ReplyFailureLogE2e, LlmServiceLostMidReplyIsAWarnWithItsGrpcStatus) {
  StreamgatePair pair(LlmArgs({"--mock-chunk-delay-ms=20", "--mock-extra-words=500"}));
  ASSERT_TRUE(pair.ok());
  WsTestClient client;
  std::string session = Open(client, pair.gateway_port());
  ASSERT_FALSE(session.empty());
  ASSERT_TRUE(client.SendJson(UserMessage("a long one")));
  auto start = client.ReadUntilType("stream_start", 10s);
  ASSERT_TRUE(start.has_value());
  std::string request = RequestIdOf(*start);
  pair.KillLlm();
  auto error = client.ReadUntilType("error", 10s);
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ((*error)["code"], "upstream_unavailable");
  EXPECT_EQ(RequestIdOf(*error), request);
  // UNAVAILABLE with gRPC's own words for it ("Socket closed", "Connection reset", ...).
  auto failed = pair.gateway().WaitForLine(
      std::regex(" warning session reply failed session=" + session + " .*request=" + request +
                 " grpc_status=UNAVAILABLE detail=\"[^\"]+\" code=upstream_unavailable trace=" +
                 (*start)["traceId"].get<std::string>() + "$"),
      5s);
  EXPECT_TRUE(failed.has_value()) << pair.gateway().OutputForDiagnostics();
}

TEST(ReplyFailureLogE2e, ACancelByTheUserStaysInfo) {
  StreamgatePair pair(LlmArgs({"--mock-chunk-delay-ms=20", "--mock-extra-words=200"}));
  ASSERT_TRUE(pair.ok());
  WsTestClient client;
  std::string session = Open(client, pair.gateway_port());
  ASSERT_FALSE(session.empty());
  ASSERT_TRUE(client.SendJson(UserMessage("long one")));
  auto start = client.ReadUntilType("stream_start");
  ASSERT_TRUE(start.has_value());
  std::string request = RequestIdOf(*start);
  ASSERT_TRUE(client.SendJson({{"type", "cancel"}}));
  ASSERT_TRUE(client.ReadUntilType("stream_end").has_value());
  EXPECT_TRUE(pair.gateway()
                  .WaitForLine(std::regex(" info session reply cancelled session=" + session +
                                          " .*request=" + request +
                                          " trace=" + (*start)["traceId"].get<std::string>() + "$"),
                               5s)
                  .has_value())
      << pair.gateway().OutputForDiagnostics();
  for (const std::string& line : pair.gateway().Lines()) {
    EXPECT_EQ(line.find("reply failed"), std::string::npos) << line;
  }
}

}  // namespace
}  // namespace streamgate::testing
