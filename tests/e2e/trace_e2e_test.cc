// One W3C trace per reply with the real binaries: a traceparent header on the upgrade is the
// trace of every reply on that connection that brings none of its own, the gateway starts
// one otherwise, and internal tools calling StreamChat with traceparent metadata find their
// trace id in llm-service's lines. (The client's traceparent field in user_message, through
// to the Anthropic request, is in claude_gateway_e2e_test.)
#include <regex>
#include <string>

#include "gtest/gtest.h"
#include "tests/e2e/e2e_helpers.h"
#include "tests/llm-service/llm_test_client.h"

namespace streamgate::testing {
namespace {

constexpr char kTrace[] = "0af7651916cd43dd8448eb211c80319c";

std::string TraceIdOf(const std::optional<Json>& frame) {
  if (!frame.has_value() || !frame->contains("traceId")) return "";
  return (*frame)["traceId"].get<std::string>();
}

TEST(TraceE2e, TheUpgradesTraceparentIsTheTraceOfEveryReplyOnTheConnection) {
  StreamgatePair pair;
  ASSERT_TRUE(pair.ok());
  WsTestClient client;
  WsTestClient::ConnectOptions options;
  options.headers = {{"traceparent", std::string("00-") + kTrace + "-b7ad6b7169203331-01"}};
  ASSERT_TRUE(client.Connect(pair.gateway_port(), options));
  ASSERT_TRUE(client.ReadUntilType("connection_established").has_value());
  for (const char* content : {"first", "second"}) {
    ASSERT_TRUE(client.SendJson({{"type", "user_message"}, {"content", content}}));
    auto start = client.ReadUntilType("stream_start");
    EXPECT_EQ(TraceIdOf(start), kTrace) << content;
    auto end = client.ReadUntilType("stream_end");
    EXPECT_EQ(TraceIdOf(end), kTrace) << content;
  }
  // A reply that brings its own trace keeps it.
  const std::string own = "4bf92f3577b34da6a3ce929d0e0e4736";
  ASSERT_TRUE(client.SendJson({{"type", "user_message"},
                               {"content", "own"},
                               {"traceparent", "00-" + own + "-00f067aa0ba902b7-00"}}));
  EXPECT_EQ(TraceIdOf(client.ReadUntilType("stream_start")), own);
  EXPECT_TRUE(pair.gateway()
                  .WaitForLine(std::regex(std::string("reply end .* trace=") + kTrace), 5s)
                  .has_value());
  EXPECT_TRUE(pair.llm()
                  .WaitForLine(std::regex(std::string("call start .* trace=") + kTrace + "$"), 5s)
                  .has_value())
      << pair.llm().OutputForDiagnostics();
  EXPECT_TRUE(pair.llm().WaitForLine(std::regex("call end .* trace=" + own + "$"), 5s));
}

TEST(TraceE2e, AJunkTraceparentHeaderIsIgnoredAndEachReplyStartsItsOwnTrace) {
  StreamgatePair pair;
  ASSERT_TRUE(pair.ok());
  WsTestClient client;
  WsTestClient::ConnectOptions options;
  // Uppercase hex is not a valid traceparent.
  options.headers = {{"traceparent", "00-0AF7651916CD43DD8448EB211C80319C-b7ad6b7169203331-01"}};
  ASSERT_TRUE(client.Connect(pair.gateway_port(), options));
  ASSERT_TRUE(client.ReadUntilType("connection_established").has_value());
  std::vector<std::string> traces;
  for (const char* content : {"one", "two"}) {
    ASSERT_TRUE(client.SendJson({{"type", "user_message"}, {"content", content}}));
    traces.push_back(TraceIdOf(client.ReadUntilType("stream_start")));
    EXPECT_TRUE(std::regex_match(traces.back(), std::regex("[0-9a-f]{32}"))) << traces.back();
    ASSERT_TRUE(client.ReadUntilType("stream_end").has_value());
  }
  EXPECT_NE(traces[0], traces[1]);
  for (const std::string& line : pair.gateway().Lines()) {
    EXPECT_EQ(line.find("0AF7651916CD43DD"), std::string::npos) << line;
  }
}

TEST(TraceE2e, AToolsTraceparentMetadataOnStreamChatIsInLlmServicesLines) {
  StreamgatePair pair;
  ASSERT_TRUE(pair.ok());
  auto channel = TestChannel(pair.llm_port());
  ChatOutcome traced =
      ChatOnce(channel, OneMessage("traced", "tool-session", "tool-request"), "", 10s,
               {{"traceparent", std::string("00-") + kTrace + "-b7ad6b7169203331-01"}});
  ASSERT_TRUE(traced.status.ok()) << traced.status.error_message();
  EXPECT_TRUE(pair.llm()
                  .WaitForLine(std::regex(std::string("call start session=tool-session "
                                                      "request=tool-request .* trace=") +
                                          kTrace + "$"),
                               5s)
                  .has_value())
      << pair.llm().OutputForDiagnostics();
  EXPECT_TRUE(pair.llm()
                  .WaitForLine(std::regex(std::string("call end session=tool-session "
                                                      "request=tool-request .* trace=") +
                                          kTrace + "$"),
                               5s)
                  .has_value());
  // Without one (or with junk) the line says so rather than inventing a trace.
  ChatOutcome untraced = ChatOnce(channel, OneMessage("untraced", "tool-session", "plain"), "", 10s,
                                  {{"traceparent", "junk"}});
  ASSERT_TRUE(untraced.status.ok());
  EXPECT_TRUE(pair.llm()
                  .WaitForLine(std::regex("call end session=tool-session request=plain .* "
                                          "trace=-$"),
                               5s)
                  .has_value());
}

}  // namespace
}  // namespace streamgate::testing
