// The whole pair with the claude provider: browser WebSocket → gateway → llm-service →
// fake_claude_server, and back.
#include <regex>

#include "gtest/gtest.h"
#include "tests/claude/claude_e2e_support.h"
#include "tests/support/streamgate_pair.h"
#include "tests/support/ws_test_client.h"

namespace streamgate::testing {
namespace {

const std::regex kClosedByPeerMidStream("connection closed conn=\\d+ by=peer mid_stream=true");

struct WsReply {
  std::string text;
  std::optional<Json> start;
  std::optional<Json> end;
  std::optional<Json> error;
};

// Reads stream_start, stream_chunk*, then stream_end or error.
WsReply ReadReply(WsTestClient& client, std::chrono::milliseconds timeout = 10s) {
  WsReply reply;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    auto frame = client.ReadJson(left);
    if (!frame.has_value()) break;
    const std::string type = frame->value("type", "");
    if (type == "stream_start") reply.start = *frame;
    if (type == "stream_chunk") reply.text += (*frame)["content"].get<std::string>();
    if (type == "stream_end") {
      reply.end = *frame;
      break;
    }
    if (type == "error") {
      reply.error = *frame;
      break;
    }
  }
  return reply;
}

class ClaudeGatewayE2e : public ClaudeE2eTest {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(Start());
    gateway_ = std::make_unique<ChildProcess>(
        std::vector<std::string>{GatewayBinary(), "--port=0", "--llm-service=" + llm_->target(),
                                 "--store=memory", "--resume-window=1s"});
    gateway_port_ = WaitForListeningPort(*gateway_, 10s);
    ASSERT_GT(gateway_port_, 0);
  }
  void TearDown() override {
    ClaudeE2eTest::TearDown();
    if (gateway_ != nullptr) {
      for (const std::string& line : gateway_->Lines()) {
        EXPECT_EQ(line.find(kApiKey), std::string::npos) << line;
      }
    }
  }

  // Connects and returns the session id ("" on failure).
  std::string Open(WsTestClient& client) {
    if (!client.Connect(gateway_port_)) return "";
    auto hello = client.ReadJson();
    if (!hello.has_value() || (*hello)["type"] != "connection_established") return "";
    return (*hello)["sessionId"].get<std::string>();
  }

  bool Send(WsTestClient& client, const std::string& content) {
    return client.SendJson({{"type", "user_message"}, {"content", content}});
  }

  std::unique_ptr<ChildProcess> gateway_;
  int gateway_port_ = 0;
};

// The page's top bar names who answers: llm-service's provider and its default model.
TEST_F(ClaudeGatewayE2e, TheClientIsToldClaudeAndItsDefaultModelAnswer) {
  WsTestClient client;
  ASSERT_TRUE(client.Connect(gateway_port_));
  auto hello = client.ReadJson();
  ASSERT_TRUE(hello.has_value());
  ASSERT_EQ((*hello)["type"], "connection_established");
  const Json want = {{"state", "ready"}, {"provider", "claude"}, {"model", "claude-sonnet-4-5"}};
  EXPECT_TRUE(WaitForService(client, (*hello)["service"], want))
      << (*hello).dump() << gateway_->OutputForDiagnostics();
}

TEST_F(ClaudeGatewayE2e, AClaudeReplyStreamsToTheBrowserAndTheHistoryGoesUpstream) {
  WsTestClient client;
  ASSERT_FALSE(Open(client).empty());
  ASSERT_TRUE(Send(client, "hello through the gateway"));
  WsReply first = ReadReply(client);
  ASSERT_TRUE(first.end.has_value()) << (first.error ? first.error->dump() : "no end");
  EXPECT_EQ(first.text, "Claude echo: hello through the gateway");

  ASSERT_TRUE(Send(client, "and a follow-up"));
  WsReply second = ReadReply(client);
  ASSERT_TRUE(second.end.has_value()) << (second.error ? second.error->dump() : "no end");
  EXPECT_EQ(second.text, "Claude echo: and a follow-up");

  // The second request carried the conversation so far, with Claude's reply as assistant.
  auto sent = fake_->MessagesRequests();
  ASSERT_EQ(sent.size(), 2u);
  Json body = Json::parse(sent[1]["body"].get<std::string>());
  ASSERT_EQ(body["messages"].size(), 3u);
  EXPECT_EQ(body["messages"][0]["content"], "hello through the gateway");
  EXPECT_EQ(body["messages"][1]["role"], "assistant");
  EXPECT_EQ(body["messages"][1]["content"], "Claude echo: hello through the gateway");
  EXPECT_EQ(body["messages"][2]["content"], "and a follow-up");
}

// One trace id followed end to end: the client's traceparent, in stream_start and
// stream_end, in the gateway's reply lines, in llm-service's call and upstream lines next to
// Anthropic's request-id, and that request-id is the one the fake served.
TEST_F(ClaudeGatewayE2e, TheClientsTraceIdIsFollowedThroughBothServicesToTheUpstreamRequest) {
  const std::string trace = "4bf92f3577b34da6a3ce929d0e0e4736";
  WsTestClient client;
  ASSERT_FALSE(Open(client).empty());
  ASSERT_TRUE(client.SendJson({{"type", "user_message"},
                               {"content", "trace me"},
                               {"traceparent", "00-" + trace + "-00f067aa0ba902b7-01"}}));
  WsReply reply = ReadReply(client);
  ASSERT_TRUE(reply.end.has_value()) << (reply.error ? reply.error->dump() : "no end");
  ASSERT_TRUE(reply.start.has_value());
  EXPECT_EQ((*reply.start)["traceId"], trace);
  EXPECT_EQ((*reply.end)["traceId"], trace);
  EXPECT_TRUE(gateway_->WaitForLine(std::regex("reply start .* trace=" + trace), 5s));
  EXPECT_TRUE(gateway_->WaitForLine(std::regex("reply end .* trace=" + trace), 5s));
  EXPECT_TRUE(llm_->process().WaitForLine(std::regex("call start .* trace=" + trace), 5s));
  auto upstream = llm_->process().WaitForLine(
      std::regex("upstream end .*upstream_request_id=(\\S+) .* trace=" + trace), 5s);
  ASSERT_TRUE(upstream.has_value()) << llm_->process().OutputForDiagnostics();
  auto sent = fake_->MessagesRequests();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0]["request_id"], *upstream);
}

TEST_F(ClaudeGatewayE2e, WithoutAValidTraceparentTheGatewayStartsATrace) {
  WsTestClient client;
  ASSERT_FALSE(Open(client).empty());
  ASSERT_TRUE(client.SendJson(
      {{"type", "user_message"}, {"content", "junk trace"}, {"traceparent", "00-not-a-trace"}}));
  WsReply reply = ReadReply(client);
  ASSERT_TRUE(reply.start.has_value());
  std::string trace = (*reply.start)["traceId"];
  EXPECT_TRUE(std::regex_match(trace, std::regex("[0-9a-f]{32}"))) << trace;
  EXPECT_TRUE(llm_->process().WaitForLine(std::regex("call start .* trace=" + trace), 5s));
  ASSERT_TRUE(Send(client, "no trace at all"));
  WsReply next = ReadReply(client);
  ASSERT_TRUE(next.start.has_value());
  EXPECT_NE((*next.start)["traceId"], trace);  // one trace per reply
}

TEST_F(ClaudeGatewayE2e, UpstreamFailuresReachTheBrowserAsErrorCodesWithoutTheKey) {
  struct Case {
    std::string content;
    std::string code;
  };
  for (const Case& c :
       std::vector<Case>{{"[fake:rate_limit_always:none] limited", "rate_limited"},
                         {"[fake:overloaded_always] overloaded", "upstream_unavailable"},
                         {"[fake:unauthorized] not you", "upstream_error"},
                         {"[fake:midstream_error:2] breaks mid-way", "upstream_unavailable"}}) {
    WsTestClient client;  // a fresh session each, so history does not carry the directives
    ASSERT_FALSE(Open(client).empty());
    ASSERT_TRUE(Send(client, c.content));
    WsReply reply = ReadReply(client);
    ASSERT_TRUE(reply.error.has_value()) << c.content;
    EXPECT_EQ((*reply.error)["code"], c.code) << c.content;
    EXPECT_EQ(reply.error->dump().find(kApiKey), std::string::npos);
  }
}

// A closed browser's reply waits for a resume; when the window (1 s here) passes, the
// cancellation reaches the upstream connection.
TEST_F(ClaudeGatewayE2e, ClosingTheBrowserMidStreamClosesTheUpstreamOnceTheResumeWindowPasses) {
  WsTestClient client;
  ASSERT_FALSE(Open(client).empty());
  ASSERT_TRUE(Send(client, "[fake:slow:20] [fake:long:500] leaving soon"));
  ASSERT_TRUE(client.ReadUntilType("stream_chunk").has_value());
  client.Abort();
  EXPECT_TRUE(fake_->process().WaitForLine(kClosedByPeerMidStream, 5s).has_value())
      << fake_->process().OutputForDiagnostics();
}

TEST_F(ClaudeGatewayE2e, CancelStopsTheReplyAndTheUpstreamRequest) {
  WsTestClient client;
  ASSERT_FALSE(Open(client).empty());
  ASSERT_TRUE(Send(client, "[fake:slow:20] [fake:long:500] cancel this one"));
  ASSERT_TRUE(client.ReadUntilType("stream_chunk").has_value());
  ASSERT_TRUE(client.SendJson({{"type", "cancel"}}));
  auto end = client.ReadUntilType("stream_end");
  ASSERT_TRUE(end.has_value());
  EXPECT_EQ((*end).value("cancelled", false), true) << end->dump();
  EXPECT_TRUE(fake_->process().WaitForLine(kClosedByPeerMidStream, 5s).has_value());
  // The session goes on: the next message gets a whole reply.
  ASSERT_TRUE(Send(client, "still there?"));
  WsReply next = ReadReply(client);
  ASSERT_TRUE(next.end.has_value());
  EXPECT_EQ(next.text, "Claude echo: still there?");
}

}  // namespace
}  // namespace streamgate::testing
