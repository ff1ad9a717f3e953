// The gateway with --llm-transport mux against the real llm-service: replies of many
// sessions share one Chat stream, each whole and in order; cancel reaches llm-service; a
// client that does not read holds up nobody else; llm-service lost mid-traffic ends every
// reply on the stream with upstream_unavailable and the next messages work once it is back;
// with llm-service not running a message fails at once, not after --llm-connect-timeout.
#include <memory>
#include <regex>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/e2e/e2e_helpers.h"

namespace streamgate::testing {
namespace {

std::vector<std::string> Mux(std::vector<std::string> more = {}) {
  std::vector<std::string> args = {"--llm-transport=mux", "--llm-streams=1", "--store=memory"};
  args.insert(args.end(), more.begin(), more.end());
  return args;
}

TEST(MuxTransportE2e, RepliesOfManySessionsShareOneStreamEachWholeAndInOrder) {
  StreamgatePair pair(PairArgs({"--mock-chunk-delay-ms=2"}, Mux()));
  ASSERT_TRUE(pair.ok());
  constexpr int kClients = 20;
  std::vector<std::unique_ptr<WsTestClient>> clients;
  for (int i = 0; i < kClients; ++i) {
    clients.push_back(std::make_unique<WsTestClient>());
    ASSERT_FALSE(Open(*clients.back(), pair.gateway_port()).empty());
  }
  for (int i = 0; i < kClients; ++i) {
    ASSERT_TRUE(clients[i]->SendJson(UserMessage("client number " + std::to_string(i))));
  }
  for (int i = 0; i < kClients; ++i) {
    Reply reply = ReadReply(*clients[i]);
    ASSERT_TRUE(reply.end.has_value()) << i << (reply.error ? reply.error->dump() : "");
    EXPECT_EQ(reply.text, "Echo: client number " + std::to_string(i));
    EXPECT_EQ((*reply.end)["stopReason"], "end_turn");
  }
  // A follow-up carries the history, as on the per-call path.
  ASSERT_TRUE(clients[0]->SendJson(UserMessage("again")));
  Reply again = ReadReply(*clients[0]);
  ASSERT_TRUE(again.end.has_value());
  EXPECT_EQ(again.text, "Echo: again");
  ASSERT_TRUE(pair.llm().WaitForLine(std::regex("call start .* messages=3"), 5s));
}

TEST(MuxTransportE2e, CancelEndsTheReplyAndReachesLlmService) {
  StreamgatePair pair(PairArgs({"--mock-chunk-delay-ms=20", "--mock-extra-words=500"}, Mux()));
  ASSERT_TRUE(pair.ok());
  WsTestClient client;
  ASSERT_FALSE(Open(client, pair.gateway_port()).empty());
  ASSERT_TRUE(client.SendJson(UserMessage("long one")));
  ASSERT_TRUE(client.ReadUntilType("stream_chunk", 10s).has_value());
  ASSERT_TRUE(client.SendJson({{"type", "cancel"}}));
  auto end = client.ReadUntilType("stream_end", 10s);
  ASSERT_TRUE(end.has_value());
  EXPECT_EQ((*end)["cancelled"], true);
  EXPECT_TRUE(pair.llm().WaitForLine(std::regex("call end .* status=CANCELLED"), 5s))
      << pair.llm().OutputForDiagnostics();
}

// Per-reply credit: a client that never reads lets its reply wait in llm-service, and the
// other replies on the same stream go on.
TEST(MuxTransportE2e, AClientThatDoesNotReadHoldsUpNobodyElse) {
  StreamgatePair pair(PairArgs({"--mock-chunk-delay-ms=0", "--mock-extra-words=200000"},
                               Mux({"--max-outbound-bytes=65536", "--max-message-bytes=65536"})));
  ASSERT_TRUE(pair.ok());
  WsTestClient stuck;
  ASSERT_FALSE(Open(stuck, pair.gateway_port()).empty());
  ASSERT_TRUE(stuck.SendJson(UserMessage("a very long reply nobody reads")));
  ASSERT_TRUE(stuck.ReadUntilType("stream_chunk", 10s).has_value());  // then it stops reading
  for (int i = 0; i < 3; ++i) {
    WsTestClient other;
    ASSERT_FALSE(Open(other, pair.gateway_port()).empty());
    ASSERT_TRUE(other.SendJson(UserMessage("short " + std::to_string(i))));
    // The mock's filler makes every reply long: read this one whole, quickly.
    Reply reply = ReadReply(other, 60s);
    ASSERT_TRUE(reply.end.has_value()) << (reply.error ? reply.error->dump() : "no end");
  }
}

TEST(MuxTransportE2e, LlmServiceLostWithAHundredRepliesOnTheStreamEndsEachAndTheNextWork) {
  StreamgatePair pair(PairArgs({"--mock-chunk-delay-ms=20", "--mock-extra-words=500"}, Mux()));
  ASSERT_TRUE(pair.ok());
  constexpr int kClients = 100;
  std::vector<std::unique_ptr<WsTestClient>> clients;
  for (int i = 0; i < kClients; ++i) {
    clients.push_back(std::make_unique<WsTestClient>());
    ASSERT_FALSE(Open(*clients.back(), pair.gateway_port()).empty());
    ASSERT_TRUE(clients.back()->SendJson(UserMessage("streaming " + std::to_string(i))));
  }
  for (auto& client : clients) ASSERT_TRUE(client->ReadUntilType("stream_chunk", 10s));
  pair.KillLlm();
  for (auto& client : clients) {
    auto error = client->ReadUntilType("error", 10s);
    ASSERT_TRUE(error.has_value());
    EXPECT_EQ((*error)["code"], "upstream_unavailable");
  }
  const size_t before_restart = pair.gateway().LineCount();
  pair.RestartLlm();
  // Once the gateway's channel is back, the next message opens a new stream and works.
  ASSERT_TRUE(
      pair.gateway().WaitForLine(std::regex("llm-service reachable again"), 20s, before_restart));
  WsTestClient after;
  ASSERT_FALSE(Open(after, pair.gateway_port()).empty());
  ASSERT_TRUE(after.SendJson(UserMessage("back?")));
  // The mock's filler makes the reply long; its first words are enough.
  auto chunk = after.ReadUntilType("stream_chunk", 10s);
  ASSERT_TRUE(chunk.has_value());
  EXPECT_EQ((*chunk)["content"].get<std::string>().rfind("Echo", 0), 0u) << chunk->dump();
}

TEST(MuxTransportE2e, WithLlmServiceNotRunningAMessageFailsAtOnce) {
  // The connect timeout is far longer than the read below: only a fail-fast answers in time.
  ChildProcess gateway({GatewayBinary(), "--port=0", "--llm-transport=mux", "--store=memory",
                        "--llm-connect-timeout=60s",
                        "--llm-service=127.0.0.1:" + std::to_string(UnusedPort())});
  int port = WaitForListeningPort(gateway, 10s);
  ASSERT_GT(port, 0);
  WsTestClient client;
  ASSERT_FALSE(Open(client, port).empty());
  ASSERT_TRUE(client.SendJson(UserMessage("anyone?")));
  auto error = client.ReadUntilType("error", 5s);
  ASSERT_TRUE(error.has_value()) << gateway.OutputForDiagnostics();
  EXPECT_EQ((*error)["code"], "upstream_unavailable");
}

}  // namespace
}  // namespace streamgate::testing
