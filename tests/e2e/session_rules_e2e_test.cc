// Gateway session rules end to end: conversation, limits, heartbeats, backpressure, faults.
#include <memory>
#include <regex>

#include "gtest/gtest.h"
#include "tests/e2e/e2e_helpers.h"

namespace streamgate::testing {
namespace {

// The number of messages llm-service received for the reply with `request_id`, from its
// "call start" log line.
int MessagesReceived(ChildProcess& llm, const std::string& request_id) {
  std::regex line("call start .*request=" + request_id + " .*messages=(\\d+)");
  auto count = llm.WaitForLine(line, 5s);
  return count.has_value() ? std::stoi(*count) : -1;
}

std::string RequestIdOf(const Reply& reply) {
  return reply.start.has_value() ? (*reply.start)["requestId"].get<std::string>() : "";
}

TEST(SessionRulesE2e, FollowUpsCarryTheConversationAndCancelledTextStays) {
  StreamgatePair pair(LlmArgs({"--mock-chunk-delay-ms=10", "--mock-extra-words=100"}));
  ASSERT_TRUE(pair.ok());
  WsTestClient client;
  ASSERT_FALSE(Open(client, pair.gateway_port()).empty());

  ASSERT_TRUE(client.SendJson(UserMessage("first")));
  Reply first = ReadReply(client);
  ASSERT_TRUE(first.end.has_value());
  EXPECT_EQ(MessagesReceived(pair.llm(), RequestIdOf(first)), 1);

  ASSERT_TRUE(client.SendJson(UserMessage("second")));
  auto start = client.ReadUntilType("stream_start");
  ASSERT_TRUE(start.has_value());
  EXPECT_EQ(MessagesReceived(pair.llm(), (*start)["requestId"]), 3);
  ASSERT_TRUE(client.ReadUntilType("stream_chunk").has_value());
  ASSERT_TRUE(client.SendJson({{"type", "cancel"}}));
  auto cancelled = client.ReadUntilType("stream_end");
  ASSERT_TRUE(cancelled.has_value());
  EXPECT_EQ((*cancelled)["cancelled"], true);

  // The cancelled exchange is part of the history: 2 exchanges + the new message.
  ASSERT_TRUE(client.SendJson(UserMessage("third")));
  Reply third = ReadReply(client);
  ASSERT_TRUE(third.end.has_value());
  EXPECT_EQ(MessagesReceived(pair.llm(), RequestIdOf(third)), 5);
}

TEST(SessionRulesE2e, HistoryIsBoundedOldestFirst) {
  // Each exchange is ~70 bytes ("q..." + "Echo: q..."); 100 bytes hold one.
  StreamgatePair pair(PairArgs({"--mock-chunk-delay-ms=0"}, {"--history-max-bytes=100"}));
  ASSERT_TRUE(pair.ok());
  WsTestClient client;
  ASSERT_FALSE(Open(client, pair.gateway_port()).empty());
  std::vector<int> counts;
  for (int i = 0; i < 4; ++i) {
    ASSERT_TRUE(client.SendJson(UserMessage(std::string(30, 'a' + i))));
    Reply reply = ReadReply(client);
    ASSERT_TRUE(reply.end.has_value());
    counts.push_back(MessagesReceived(pair.llm(), RequestIdOf(reply)));
  }
  EXPECT_EQ(counts, (std::vector<int>{1, 3, 3, 3}));
}

TEST(SessionRulesE2e, FailedReplyLeavesNoTraceAndRestartedServiceIsUsedAgain) {
  StreamgatePair pair(LlmArgs({"--mock-chunk-delay-ms=20", "--mock-extra-words=200"}));
  ASSERT_TRUE(pair.ok());
  WsTestClient client;
  std::string id = Open(client, pair.gateway_port());
  ASSERT_FALSE(id.empty());
  ASSERT_TRUE(client.SendJson(UserMessage("doomed")));
  ASSERT_TRUE(client.ReadUntilType("stream_chunk").has_value());
  pair.KillLlm();  // mid-reply
  auto error = client.ReadUntilType("error", 10s);
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ((*error)["code"], "upstream_unavailable");
  EXPECT_EQ((*error)["sessionId"], id);

  // Down: a message gets an error, not a hang.
  ASSERT_TRUE(client.SendJson(UserMessage("anyone?")));
  auto down = client.ReadUntilType("error", 10s);
  ASSERT_TRUE(down.has_value());
  EXPECT_EQ((*down)["code"], "upstream_unavailable");

  // Back: once the gateway sees llm-service again (a message meanwhile fails at once), the
  // next message works on the same connection, and the failed exchange was not recorded
  // (the request carries just the new message).
  const size_t before_restart = pair.gateway().LineCount();
  pair.RestartLlm();
  ASSERT_GT(pair.llm_port(), 0);
  ASSERT_TRUE(
      pair.gateway().WaitForLine(std::regex("llm-service reachable again"), 20s, before_restart));
  ASSERT_TRUE(client.SendJson(UserMessage("back again")));
  auto start = client.ReadUntilType("stream_start", 10s);
  ASSERT_TRUE(start.has_value());
  EXPECT_EQ(MessagesReceived(pair.llm(), (*start)["requestId"]), 1);
}

TEST(SessionRulesE2e, ReplyTimeoutEndsWithTimeoutError) {
  StreamgatePair pair(PairArgs({"--mock-chunk-delay-ms=50", "--mock-extra-words=100"},
                               {"--reply-timeout=300ms"}));
  ASSERT_TRUE(pair.ok());
  WsTestClient client;
  ASSERT_FALSE(Open(client, pair.gateway_port()).empty());
  ASSERT_TRUE(client.SendJson(UserMessage("slow")));
  Reply reply = ReadReply(client);
  ASSERT_TRUE(reply.error.has_value());
  EXPECT_EQ((*reply.error)["code"], "timeout");
  EXPECT_FALSE(reply.end.has_value());
}

TEST(SessionRulesE2e, SeqIncreasesByOneAcrossRepliesAndErrors) {
  StreamgatePair pair;
  ASSERT_TRUE(pair.ok());
  WsTestClient client;
  ASSERT_FALSE(Open(client, pair.gateway_port()).empty());
  int64_t last = 1;  // connection_established
  for (int round = 0; round < 3; ++round) {
    ASSERT_TRUE(client.SendText("oops"));
    ASSERT_TRUE(client.SendJson(UserMessage("round " + std::to_string(round))));
    for (int frames = 0; frames < 2;) {
      auto frame = client.ReadJson();
      ASSERT_TRUE(frame.has_value());
      EXPECT_EQ((*frame)["seq"].get<int64_t>(), last + 1) << frame->dump();
      last = (*frame)["seq"];
      if ((*frame)["type"] == "error" || (*frame)["type"] == "stream_end") ++frames;
    }
  }
}

TEST(SessionRulesE2e, OversizedFrameClosesThatConnectionWith1009Only) {
  StreamgatePair pair(PairArgs({"--mock-chunk-delay-ms=0"}, {"--max-message-bytes=1024"}));
  ASSERT_TRUE(pair.ok());
  WsTestClient big, bystander;
  ASSERT_FALSE(Open(big, pair.gateway_port()).empty());
  ASSERT_FALSE(Open(bystander, pair.gateway_port()).empty());
  ASSERT_TRUE(big.SendJson(UserMessage(std::string(900, 'x'))));  // under the limit
  EXPECT_TRUE(ReadReply(big).end.has_value());
  ASSERT_TRUE(big.SendJson(UserMessage(std::string(2000, 'x'))));
  EXPECT_FALSE(big.ReadJson().has_value());
  // The session ends with the closing handshake, not at the idle timeout much later.
  EXPECT_TRUE(pair.gateway().WaitForLine(std::regex("connection close .*reason=server_closed"), 5s));
  EXPECT_EQ(big.server_close_reason().code, 1009)
      << big.last_error().message() << "\n" << pair.gateway().OutputForDiagnostics();
  EXPECT_EQ(big.server_close_reason().reason, "message too big");
  ASSERT_TRUE(bystander.SendJson(UserMessage("unaffected")));
  EXPECT_TRUE(ReadReply(bystander).end.has_value());
}

// Messages are read in pieces (a small first read, then growing steps), so the limit is
// checked on the assembled message: exactly the limit is accepted, one byte more is not.
TEST(SessionRulesE2e, MessageLimitIsExactInBytes) {
  StreamgatePair pair(PairArgs({"--mock-chunk-delay-ms=0"}, {"--max-message-bytes=5000"}));
  ASSERT_TRUE(pair.ok());
  auto sized = [](size_t bytes) {
    std::string frame = UserMessage("").dump();
    return UserMessage(std::string(bytes - frame.size(), 'y')).dump();
  };
  WsTestClient client;
  ASSERT_FALSE(Open(client, pair.gateway_port()).empty());
  std::string at_limit = sized(5000);
  ASSERT_EQ(at_limit.size(), 5000u);
  ASSERT_TRUE(client.SendText(at_limit));
  Reply reply = ReadReply(client);
  ASSERT_TRUE(reply.end.has_value());
  EXPECT_NE(reply.text.find(std::string(4900, 'y')), std::string::npos);

  ASSERT_TRUE(client.SendText(sized(5001)));
  EXPECT_FALSE(client.ReadJson().has_value());
  EXPECT_EQ(client.server_close_reason().code, 1009) << client.last_error().message();
}

TEST(SessionRulesE2e, ConnectionCapRefusesWith503AndFreesSlotsOnClose) {
  StreamgatePair pair(PairArgs({"--mock-chunk-delay-ms=0"}, {"--max-connections=2"}));
  ASSERT_TRUE(pair.ok());
  WsTestClient a, b;
  ASSERT_FALSE(Open(a, pair.gateway_port()).empty());
  ASSERT_FALSE(Open(b, pair.gateway_port()).empty());
  WsTestClient refused;
  EXPECT_FALSE(refused.Connect(pair.gateway_port()));
  EXPECT_EQ(refused.handshake_status(), 503);
  ASSERT_TRUE(a.SendJson(UserMessage("still served")));
  EXPECT_TRUE(ReadReply(a).end.has_value());

  size_t from = pair.gateway().LineCount();
  b.Close();
  ASSERT_TRUE(pair.gateway().WaitForLine(std::regex("connection close .*reason=client_closed"), 5s,
                                         from));
  WsTestClient again;
  EXPECT_FALSE(Open(again, pair.gateway_port()).empty());
}

TEST(SessionRulesE2e, ServerPingsAreAnsweredAndClientPingsGetPongs) {
  StreamgatePair pair(PairArgs({"--mock-chunk-delay-ms=50", "--mock-extra-words=20"},
                               {"--ping-interval=100ms", "--idle-timeout=5s"}));
  ASSERT_TRUE(pair.ok());
  WsTestClient client;
  ASSERT_FALSE(Open(client, pair.gateway_port()).empty());
  ASSERT_TRUE(client.Ping());
  // Reading a ~1 s reply processes the control frames that arrive meanwhile.
  ASSERT_TRUE(client.SendJson(UserMessage("keep me company")));
  Reply reply = ReadReply(client);
  ASSERT_TRUE(reply.end.has_value());
  EXPECT_GE(client.pings_received(), 3);
  EXPECT_GE(client.pongs_received(), 1);
}

// One heartbeat timer serves every session, a slice at a time: each of more sessions than
// there are slices must still be pinged once per interval.
TEST(SessionRulesE2e, EverySessionIsPingedEachInterval) {
  StreamgatePair pair(PairArgs({"--mock-chunk-delay-ms=50", "--mock-extra-words=20"},
                               {"--ping-interval=100ms", "--idle-timeout=10s"}));
  ASSERT_TRUE(pair.ok());
  constexpr int kSessions = 40;
  std::vector<std::unique_ptr<WsTestClient>> clients;
  for (int i = 0; i < kSessions; ++i) {
    clients.push_back(std::make_unique<WsTestClient>());
    ASSERT_FALSE(Open(*clients.back(), pair.gateway_port()).empty()) << i;
    ASSERT_TRUE(clients.back()->SendJson(UserMessage("session " + std::to_string(i))));
  }
  // Each reply takes ~1.25 s; reading it processes the pings queued meanwhile.
  for (int i = 0; i < kSessions; ++i) {
    ASSERT_TRUE(ReadReply(*clients[i]).end.has_value()) << i;
    EXPECT_GE(clients[i]->pings_received(), 5) << "session " << i;
  }
}

TEST(SessionRulesE2e, PeerThatNeverAnswersIsDropped) {
  StreamgatePair pair(PairArgs({"--mock-chunk-delay-ms=0"},
                               {"--ping-interval=100ms", "--idle-timeout=500ms"}));
  ASSERT_TRUE(pair.ok());
  WsTestClient silent;
  std::string id = Open(silent, pair.gateway_port());
  ASSERT_FALSE(id.empty());
  // The client never reads again, so it answers no ping.
  EXPECT_TRUE(pair.gateway()
                  .WaitForLine(std::regex("connection close session=" + id + " reason=idle_timeout"),
                               10s)
                  .has_value())
      << pair.gateway().OutputForDiagnostics();
}

TEST(SessionRulesE2e, SlowReaderKeepsGatewayMemoryBoundedAndLosesNothing) {
  // A ~20 MB reply to a client that does not read: the gateway must hold back (pause the
  // gRPC stream) instead of buffering it.
  constexpr int kWords = 3'000'000;
  StreamgatePair pair(PairArgs(
      {"--mock-chunk-delay-ms=0", "--mock-extra-words=" + std::to_string(kWords),
       "--log-level=debug"},
      // --max-outbound-bytes may not be below --max-message-bytes (256 KiB by default).
      {"--max-outbound-bytes=65536", "--max-message-bytes=65536", "--log-level=debug",
       "--idle-timeout=60s"}));
  ASSERT_TRUE(pair.ok());
  WsTestClient client;
  std::string id = Open(client, pair.gateway_port());
  ASSERT_FALSE(id.empty());
  long rss_before = pair.gateway().ResidentKb();
  ASSERT_TRUE(client.SendJson(UserMessage("flood")));
  // Back pressure reaches the producer: the gateway pauses, then gRPC flow control fills
  // and the mock itself pauses.
  ASSERT_TRUE(pair.gateway().WaitForLine(std::regex("replies paused session=" + id), 30s));
  ASSERT_TRUE(pair.llm().WaitForLine(std::regex("mock paused"), 30s));
  long rss_full = pair.gateway().ResidentKb();
  EXPECT_LT(rss_full - rss_before, 16 * 1024) << "gateway grew by " << rss_full - rss_before
                                              << " KiB while the client was not reading";
  Reply reply = ReadReply(client, 60s);
  ASSERT_TRUE(reply.end.has_value());
  EXPECT_GT(reply.text.size(), 15'000'000u);
  EXPECT_EQ(reply.text.rfind("Echo: flood lorem ipsum", 0), 0u);
  EXPECT_TRUE(reply.text.ends_with(" ut"));  // filler word 2,999,999 % 19 = 13: "ut"
}

}  // namespace
}  // namespace streamgate::testing

namespace streamgate::testing {
namespace {

TEST(SessionRulesE2e, UnreadableClientIsDroppedAndItsReplyCancelled) {
  // A long fast reply to a client that never reads: the socket buffers fill, writes stop
  // completing, and after the idle timeout the connection is dropped; the session waits for
  // a resume, and when its window passes the call is cancelled.
  StreamgatePair pair(PairArgs({"--mock-chunk-delay-ms=0", "--mock-extra-words=3000000"},
                               {"--ping-interval=100ms", "--idle-timeout=1s",
                                "--resume-window=1s"}));
  ASSERT_TRUE(pair.ok());
  WsTestClient client;
  std::string id = Open(client, pair.gateway_port());
  ASSERT_FALSE(id.empty());
  ASSERT_TRUE(client.SendJson(UserMessage("never read")));
  EXPECT_TRUE(pair.gateway()
                  .WaitForLine(std::regex("connection close session=" + id + " reason=idle_timeout"),
                               30s)
                  .has_value())
      << pair.gateway().OutputForDiagnostics();
  EXPECT_TRUE(pair.gateway()
                  .WaitForLine(std::regex("session end session=" + id + " reason=resume_window"), 10s)
                  .has_value())
      << pair.gateway().OutputForDiagnostics();
  EXPECT_TRUE(pair.llm().WaitForLine(std::regex("call end .*status=CANCELLED"), 10s).has_value());
}

}  // namespace
}  // namespace streamgate::testing
