// The gateway pair end to end: real binaries on free ports, a real WebSocket client.
#include <signal.h>
#include <sys/wait.h>

#include <iterator>
#include <regex>
#include <sstream>
#include <string>

#include "common/ids.h"
#include "gtest/gtest.h"
#include "tests/e2e/e2e_helpers.h"

namespace streamgate::testing {
namespace {

TEST(GatewayE2e, ConnectionEstablishedCarriesAFreshUuid) {
  StreamgatePair pair;
  ASSERT_TRUE(pair.ok());
  WsTestClient a, b;
  ASSERT_TRUE(a.Connect(pair.gateway_port()));
  auto hello = a.ReadJson();
  ASSERT_TRUE(hello.has_value());
  EXPECT_EQ((*hello)["type"], "connection_established");
  EXPECT_EQ((*hello)["seq"], 1);
  EXPECT_TRUE((*hello)["content"].is_string());
  std::string id = (*hello)["sessionId"];
  EXPECT_TRUE(common::IsUuidV4(id)) << id;
  std::string other = Open(b, pair.gateway_port());
  EXPECT_TRUE(common::IsUuidV4(other));
  EXPECT_NE(id, other);
}

TEST(GatewayE2e, StreamsStartChunksAndEndInOrder) {
  // Paced so that each word is its own delta (llm-service merges deltas only when a write
  // is still in flight).
  StreamgatePair pair(LlmArgs({"--mock-chunk-delay-ms=20"}));
  ASSERT_TRUE(pair.ok());
  WsTestClient client;
  std::string id = Open(client, pair.gateway_port());
  ASSERT_FALSE(id.empty());
  ASSERT_TRUE(client.SendJson(UserMessage("hello streaming  world", id)));
  Reply reply = ReadReply(client);
  ASSERT_TRUE(reply.start.has_value());
  ASSERT_TRUE(reply.end.has_value()) << (reply.error ? reply.error->dump() : "no end");
  EXPECT_EQ(reply.text, "Echo: hello streaming  world");
  EXPECT_EQ(reply.chunks, 4);  // word by word, whitespace kept with its word
  EXPECT_EQ(reply.frames.front()["type"], "stream_start");
  EXPECT_EQ((*reply.start)["requestId"], (*reply.end)["requestId"]);
  EXPECT_EQ((*reply.end)["stopReason"], "end_turn");
  int64_t seq = 1;
  for (const auto& frame : reply.frames) {
    EXPECT_EQ(frame["sessionId"], id);
    EXPECT_EQ(frame["seq"].get<int64_t>(), ++seq) << frame.dump();
  }
}

TEST(GatewayE2e, EveryKindOfBadInputGetsAnErrorAndTheConnectionStillStreams) {
  StreamgatePair pair;
  ASSERT_TRUE(pair.ok());
  WsTestClient client;
  std::string id = Open(client, pair.gateway_port());
  ASSERT_FALSE(id.empty());
  struct Case {
    std::string frame;
    std::string code;
  };
  std::vector<Case> cases = {
      {"this is not json", "invalid_json"},
      {"[1,2,3]", "invalid_message"},
      {R"({"content":"no type"})", "unknown_type"},
      {R"({"type":"dance","content":"x"})", "unknown_type"},
      {R"({"type":"user_message"})", "invalid_content"},
      {R"({"type":"user_message","content":""})", "invalid_content"},
      {R"({"type":"user_message","content":17})", "invalid_content"},
      {R"({"type":"user_message","content":"x","sessionId":"someone-else"})", "session_mismatch"},
      {R"({"type":"cancel"})", "nothing_to_cancel"},
  };
  for (const auto& c : cases) {
    ASSERT_TRUE(client.SendText(c.frame));
    auto error = client.ReadJson();
    ASSERT_TRUE(error.has_value()) << c.frame;
    EXPECT_EQ((*error)["type"], "error") << c.frame;
    EXPECT_EQ((*error)["code"], c.code) << c.frame;
    EXPECT_EQ((*error)["sessionId"], id) << c.frame;
    EXPECT_FALSE((*error)["error"].get<std::string>().empty());
  }
  ASSERT_TRUE(client.SendBinary("\x01\x02"));
  auto binary_error = client.ReadJson();
  ASSERT_TRUE(binary_error.has_value());
  EXPECT_EQ((*binary_error)["code"], "unsupported_frame");

  ASSERT_TRUE(client.SendJson(UserMessage("still here")));  // no sessionId: accepted
  Reply reply = ReadReply(client);
  ASSERT_TRUE(reply.end.has_value());
  EXPECT_EQ(reply.text, "Echo: still here");
}

TEST(GatewayE2e, TwentyConcurrentSessionsGetOnlyTheirOwnReplies) {
  StreamgatePair pair(LlmArgs({"--mock-chunk-delay-ms=5", "--mock-extra-words=10"}));
  ASSERT_TRUE(pair.ok());
  constexpr int kClients = 20;
  std::vector<std::unique_ptr<WsTestClient>> clients;
  std::vector<std::string> ids;
  for (int i = 0; i < kClients; ++i) {
    clients.push_back(std::make_unique<WsTestClient>());
    ids.push_back(Open(*clients.back(), pair.gateway_port()));
    ASSERT_FALSE(ids.back().empty());
  }
  // All replies stream at the same time; each client's frames wait in its socket.
  for (int i = 0; i < kClients; ++i) {
    ASSERT_TRUE(clients[i]->SendJson(UserMessage("client " + std::to_string(i) + " asks")));
  }
  for (int i = 0; i < kClients; ++i) {
    Reply reply = ReadReply(*clients[i]);
    ASSERT_TRUE(reply.end.has_value()) << i;
    EXPECT_EQ(reply.text.rfind("Echo: client " + std::to_string(i) + " asks lorem", 0), 0u)
        << reply.text;
    for (const auto& frame : reply.frames) EXPECT_EQ(frame["sessionId"], ids[i]);
  }
}

// Without a resume window (the old behaviour) a disconnect cancels at once.
TEST(GatewayE2e, DisconnectMidStreamWithoutResumeCancelsThatCallOnlyAndOthersFinish) {
  StreamgatePair pair(
      PairArgs({"--mock-chunk-delay-ms=20", "--mock-extra-words=40"}, {"--resume-window=0"}));
  ASSERT_TRUE(pair.ok());
  WsTestClient leaver, stayer;
  ASSERT_FALSE(Open(leaver, pair.gateway_port()).empty());
  ASSERT_FALSE(Open(stayer, pair.gateway_port()).empty());
  ASSERT_TRUE(leaver.SendJson(UserMessage("going away")));
  ASSERT_TRUE(stayer.SendJson(UserMessage("staying")));
  auto start = leaver.ReadUntilType("stream_start");
  ASSERT_TRUE(start.has_value());
  ASSERT_TRUE(leaver.ReadUntilType("stream_chunk").has_value());
  std::string request_id = (*start)["requestId"];
  leaver.Abort();
  // llm-service itself reports the call ended by cancellation, long before the reply's
  // natural end (40 words x 20 ms).
  std::regex cancelled("call end .*request=" + request_id + " status=CANCELLED");
  EXPECT_TRUE(pair.llm().WaitForLine(cancelled, 5s).has_value())
      << pair.llm().OutputForDiagnostics();
  Reply reply = ReadReply(stayer);
  ASSERT_TRUE(reply.end.has_value());
  EXPECT_EQ(reply.text.rfind("Echo: staying lorem", 0), 0u);
  // "Echo:" + "staying" + 40 filler words, all of them (counted in the text: deltas that
  // arrive while a write is in flight go out merged in one chunk).
  std::istringstream words(reply.text);
  EXPECT_EQ(std::distance(std::istream_iterator<std::string>(words),
                          std::istream_iterator<std::string>()),
            42);
}

TEST(GatewayE2e, LlmServiceDownGivesAnErrorNotAHang) {
  ChildProcess gateway({GatewayBinary(), "--port=0",
                        "--llm-service=127.0.0.1:" + std::to_string(UnusedPort())});
  int port = WaitForListeningPort(gateway, 10s);
  ASSERT_GT(port, 0);
  WsTestClient client;
  std::string id = Open(client, port);
  ASSERT_FALSE(id.empty());
  for (int attempt = 0; attempt < 2; ++attempt) {
    ASSERT_TRUE(client.SendJson(UserMessage("anyone there?")));
    auto error = client.ReadUntilType("error", 5s);
    ASSERT_TRUE(error.has_value()) << "attempt " << attempt;
    EXPECT_EQ((*error)["code"], "upstream_unavailable");
    EXPECT_EQ((*error)["sessionId"], id);
  }
}

TEST(GatewayE2e, OnlySlashWsUpgradesOtherPathsAre404) {
  StreamgatePair pair;
  ASSERT_TRUE(pair.ok());
  EXPECT_EQ(HttpGet(pair.gateway_port(), "/nope").status, 404);
  EXPECT_EQ(HttpGet(pair.gateway_port(), "/ws").status, 426);  // plain GET, no upgrade
  EXPECT_EQ(HttpGet(pair.gateway_port(), "/healthz").status, 200);
  WsTestClient wrong_path;
  EXPECT_FALSE(wrong_path.Connect(pair.gateway_port(), "/chat"));
  EXPECT_EQ(wrong_path.handshake_status(), 404);
}

TEST(GatewayE2e, BusyWhileStreamingAndCancelEndsTheReply) {
  StreamgatePair pair(LlmArgs({"--mock-chunk-delay-ms=20", "--mock-extra-words=200"}));
  ASSERT_TRUE(pair.ok());
  WsTestClient client;
  ASSERT_FALSE(Open(client, pair.gateway_port()).empty());
  ASSERT_TRUE(client.SendJson(UserMessage("long one")));
  auto start = client.ReadUntilType("stream_start");
  ASSERT_TRUE(start.has_value());
  ASSERT_TRUE(client.SendJson(UserMessage("second")));
  auto busy = client.ReadUntilType("error");
  ASSERT_TRUE(busy.has_value());
  EXPECT_EQ((*busy)["code"], "busy");
  ASSERT_TRUE(client.SendJson({{"type", "cancel"}}));
  auto end = client.ReadUntilType("stream_end");
  ASSERT_TRUE(end.has_value());
  EXPECT_EQ((*end)["cancelled"], true);
  EXPECT_EQ((*end)["requestId"], (*start)["requestId"]);
  std::regex cancelled("call end .*request=" + (*start)["requestId"].get<std::string>() +
                       " status=CANCELLED");
  EXPECT_TRUE(pair.llm().WaitForLine(cancelled, 5s).has_value());
  // The session is free again.
  ASSERT_TRUE(client.SendJson(UserMessage("after cancel")));
  auto next = client.ReadUntilType("stream_start");
  EXPECT_TRUE(next.has_value());
}

TEST(GatewayE2e, BothBinariesExitCleanlyOnSigterm) {
  StreamgatePair pair;
  ASSERT_TRUE(pair.ok());
  WsTestClient client;
  ASSERT_FALSE(Open(client, pair.gateway_port()).empty());
  pair.gateway().Signal(SIGTERM);
  auto gateway_status = pair.gateway().WaitForExit(15s);
  ASSERT_TRUE(gateway_status.has_value());
  EXPECT_TRUE(WIFEXITED(*gateway_status) && WEXITSTATUS(*gateway_status) == 0);
  auto going_away = client.ReadJson(2s);
  ASSERT_TRUE(going_away.has_value());
  EXPECT_EQ((*going_away)["type"], "going_away");
  auto after = client.ReadJson(2s);
  EXPECT_FALSE(after.has_value()) << after->dump();  // the connection was closed
  EXPECT_EQ(client.server_close_reason().code, 1012);
  pair.llm().Signal(SIGINT);
  auto llm_status = pair.llm().WaitForExit(15s);
  ASSERT_TRUE(llm_status.has_value());
  EXPECT_TRUE(WIFEXITED(*llm_status) && WEXITSTATUS(*llm_status) == 0);
}

}  // namespace
}  // namespace streamgate::testing
