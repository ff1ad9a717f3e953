// Resume, end to end: a client cut off mid-reply takes its session back on a new
// connection with every frame it missed exactly once, each with its original seq; every
// way a resume can fail; take-over; how resume tokens rotate.
#include <regex>

#include "common/credential_file.h"
#include "gtest/gtest.h"
#include "tests/e2e/resume_helpers.h"
#include "tests/support/temp_dir.h"

namespace streamgate::testing {
namespace {

// ~1 s replies: 40 filler words, 20 ms apart.
StreamgatePair::Options SlowReplies(std::vector<std::string> gateway_args = {}) {
  return PairArgs({"--mock-chunk-delay-ms=20", "--mock-extra-words=40"}, std::move(gateway_args));
}

Json ResumeFrame(const ClientSession& session, uint64_t last_seq) {
  return {{"type", "resume"},
          {"sessionId", session.id},
          {"resumeToken", session.token},
          {"lastSeq", last_seq}};
}

TEST(ResumeE2e, ACutMidReplyResumesWithEveryMissedFrameOnceWithItsOriginalSeq) {
  StreamgatePair pair(SlowReplies());
  ASSERT_TRUE(pair.ok());
  const std::string reference = ReferenceReply(pair.gateway_port(), "tell me more");
  WsTestClient first;
  auto session = OpenSession(first, pair.gateway_port());
  ASSERT_TRUE(session.has_value());
  const std::string first_token = session->token;
  ASSERT_TRUE(first.SendJson(UserMessage("tell me more")));
  ASSERT_TRUE(ReadTrackedUntil(first, *session, "stream_start").has_value());
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(ReadTracked(first, *session).has_value());
  const uint64_t cut_at = session->last_seq;
  first.Abort();

  WsTestClient second;
  ResumeOutcome outcome = Resume(second, pair.gateway_port(), *session);
  ASSERT_TRUE(outcome.resumed.has_value())
      << (outcome.failure ? outcome.failure->dump() : "no answer");
  EXPECT_NE(outcome.fresh_id, session->id);
  uint64_t expected = cut_at + 1;
  for (const Json& frame : outcome.replayed) {
    EXPECT_EQ(frame["seq"].get<uint64_t>(), expected++) << frame.dump();
    EXPECT_EQ(frame["conversationId"], "default");
  }
  const Json& resumed = *outcome.resumed;
  EXPECT_EQ(resumed["sessionId"], session->id);
  EXPECT_EQ(resumed["seq"].get<uint64_t>(), expected);  // M + 1
  EXPECT_EQ(resumed["replayed"].get<size_t>(), outcome.replayed.size());
  EXPECT_NE(resumed["resumeToken"], first_token);
  EXPECT_GE(resumed["resumeToken"].get<std::string>().size(), 22u);  // >= 128 bits

  // Live again: M + 2, ... up to the end, and the text is the reply's, exactly once.
  auto next = ReadTracked(second, *session);
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ((*next)["seq"].get<uint64_t>(), expected + 1) << next->dump();
  if ((*next)["type"] != "stream_end") {
    ASSERT_TRUE(ReadTrackedUntil(second, *session, "stream_end").has_value());
  }
  EXPECT_EQ(session->text, reference);
  EXPECT_TRUE(pair.gateway()
                  .WaitForLine(std::regex("session resumed session=" + session->id), 5s)
                  .has_value());
  int port = pair.gateway_port();
  EXPECT_EQ(GatewayMetric(port, "streamgate_gateway_resumes_total{result=\"resumed\"}"), 1);
  ExpectNotInLog(pair.gateway(), first_token);
  ExpectNotInLog(pair.gateway(), session->token);
  ExpectNotInLog(pair.llm(), first_token);
}

TEST(ResumeE2e, AReplyThatFinishedWhileDisconnectedIsReplayedWhole) {
  StreamgatePair pair(SlowReplies());
  ASSERT_TRUE(pair.ok());
  const std::string reference = ReferenceReply(pair.gateway_port(), "finish without me");
  WsTestClient first;
  auto session = OpenSession(first, pair.gateway_port());
  ASSERT_TRUE(session.has_value());
  ASSERT_TRUE(first.SendJson(UserMessage("finish without me")));
  ASSERT_TRUE(ReadTrackedUntil(first, *session, "stream_start").has_value());
  const std::string detached = "streamgate_gateway_sessions{state=\"detached\"}";
  // The reference reply's session may be detached already (its connection closed).
  const double detached_before = GatewayMetric(pair.gateway_port(), detached);
  first.Abort();
  ASSERT_TRUE(pair.gateway()
                  .WaitForLine(std::regex("reply end session=" + session->id + " .*status=OK"), 10s)
                  .has_value());
  // Detached, waiting for its client; attached again once resumed.
  ASSERT_TRUE(
      pair.gateway().WaitForLine(std::regex("session detached session=" + session->id), 5s));
  EXPECT_EQ(GatewayMetric(pair.gateway_port(), detached), detached_before + 1);
  WsTestClient second;
  ResumeOutcome outcome = Resume(second, pair.gateway_port(), *session);
  ASSERT_TRUE(outcome.resumed.has_value());
  EXPECT_EQ(GatewayMetric(pair.gateway_port(), detached), detached_before);
  ASSERT_FALSE(outcome.replayed.empty());
  EXPECT_EQ(outcome.replayed.back()["type"], "stream_end");
  EXPECT_EQ(session->text, reference);
  // And the session goes on: its conversation has the exchange.
  ASSERT_TRUE(second.SendJson({{"type", "get_history"}}));
  auto history = ReadTrackedUntil(second, *session, "history");
  ASSERT_TRUE(history.has_value()) << pair.gateway().OutputForDiagnostics();
  ASSERT_EQ((*history)["messages"].size(), 2u);
  EXPECT_EQ((*history)["messages"][1]["content"], reference);
}

TEST(ResumeE2e, UnknownSessionAndBadTokenFailAndTheConnectionGoesOnFresh) {
  StreamgatePair pair;
  ASSERT_TRUE(pair.ok());
  WsTestClient owner;
  auto session = OpenSession(owner, pair.gateway_port());
  ASSERT_TRUE(session.has_value());

  ClientSession unknown{.id = "0b7c1a52-6a55-4e8e-9f6c-5d3f3b1f2a10", .token = session->token};
  WsTestClient a;
  ResumeOutcome no_such = Resume(a, pair.gateway_port(), unknown, 0);
  ASSERT_TRUE(no_such.failure.has_value());
  EXPECT_EQ((*no_such.failure)["reason"], "unknown_session");
  EXPECT_EQ((*no_such.failure)["sessionId"], no_such.fresh_id);
  EXPECT_FALSE((*no_such.failure)["error"].get<std::string>().empty());
  // The connection is the fresh session now, and works as one.
  ASSERT_TRUE(a.SendJson(UserMessage("fresh start")));
  Reply reply = ReadReply(a);
  ASSERT_TRUE(reply.end.has_value());
  EXPECT_EQ((*reply.end)["sessionId"], no_such.fresh_id);

  ClientSession forged = *session;
  forged.token = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
  WsTestClient b;
  ResumeOutcome bad = Resume(b, pair.gateway_port(), forged, 0);
  ASSERT_TRUE(bad.failure.has_value());
  EXPECT_EQ((*bad.failure)["reason"], "bad_token");
  EXPECT_EQ((*bad.failure)["sessionId"], bad.fresh_id);
  // The owner's connection was not touched.
  ASSERT_TRUE(owner.SendJson(UserMessage("still mine")));
  EXPECT_TRUE(ReadReply(owner).end.has_value());
  ExpectNotInLog(pair.gateway(), forged.token);
  int port = pair.gateway_port();
  EXPECT_EQ(GatewayMetric(port, "streamgate_gateway_resumes_total{result=\"unknown_session\"}"), 1);
  EXPECT_EQ(GatewayMetric(port, "streamgate_gateway_resumes_total{result=\"bad_token\"}"), 1);
  EXPECT_EQ(GatewayMetric(port, "streamgate_gateway_resumes_total{result=\"resumed\"}"), 0);
}

TEST(ResumeE2e, AnExpiredSessionCannotBeResumed) {
  StreamgatePair pair(PairArgs({"--mock-chunk-delay-ms=0"}, {"--resume-window=300ms"}));
  ASSERT_TRUE(pair.ok());
  WsTestClient first;
  auto session = OpenSession(first, pair.gateway_port());
  ASSERT_TRUE(session.has_value());
  ASSERT_TRUE(first.SendJson(UserMessage("something to keep")));
  ASSERT_TRUE(ReadTrackedUntil(first, *session, "stream_end").has_value());
  first.Abort();
  ASSERT_TRUE(
      pair.gateway()
          .WaitForLine(std::regex("session end session=" + session->id + " reason=resume_window"),
                       10s)
          .has_value());
  WsTestClient second;
  ResumeOutcome outcome = Resume(second, pair.gateway_port(), *session);
  ASSERT_TRUE(outcome.failure.has_value());
  EXPECT_EQ((*outcome.failure)["reason"], "expired");
  EXPECT_EQ(
      GatewayMetric(pair.gateway_port(), "streamgate_gateway_resumes_total{result=\"expired\"}"),
      1);
}

TEST(ResumeE2e, ALastSeqNoLongerHeldIsAGapWithTheOldestSeq) {
  StreamgatePair pair;
  ASSERT_TRUE(pair.ok());
  WsTestClient first;
  auto session = OpenSession(first, pair.gateway_port());
  ASSERT_TRUE(session.has_value());
  ASSERT_TRUE(first.SendJson(UserMessage("one")));
  ASSERT_TRUE(ReadTrackedUntil(first, *session, "stream_end").has_value());
  ASSERT_TRUE(first.SendJson(UserMessage("two")));
  auto second_start = ReadTrackedUntil(first, *session, "stream_start");
  ASSERT_TRUE(second_start.has_value());
  ASSERT_TRUE(ReadTrackedUntil(first, *session, "stream_end").has_value());
  ASSERT_TRUE(first.SendJson(UserMessage("three")));
  ASSERT_TRUE(ReadTrackedUntil(first, *session, "stream_end").has_value());
  first.Abort();
  // The last two replies to end are kept: the first one is gone.
  WsTestClient second;
  ResumeOutcome outcome = Resume(second, pair.gateway_port(), *session, 1);
  ASSERT_TRUE(outcome.failure.has_value());
  EXPECT_EQ((*outcome.failure)["reason"], "gap");
  EXPECT_EQ(GatewayMetric(pair.gateway_port(), "streamgate_gateway_resumes_total{result=\"gap\"}"),
            1);
  EXPECT_EQ((*outcome.failure)["oldestSeq"], (*second_start)["seq"]);
}

TEST(ResumeE2e, ALastSeqBeyondWhatWasSentIsAheadAndTheSessionStaysResumable) {
  StreamgatePair pair;
  ASSERT_TRUE(pair.ok());
  WsTestClient first;
  auto session = OpenSession(first, pair.gateway_port());
  ASSERT_TRUE(session.has_value());
  ASSERT_TRUE(first.SendJson(UserMessage("count me")));
  ASSERT_TRUE(ReadTrackedUntil(first, *session, "stream_end").has_value());
  first.Abort();
  const uint64_t real_last = session->last_seq;
  WsTestClient forged;
  ResumeOutcome ahead = Resume(forged, pair.gateway_port(), *session, real_last + 5);
  ASSERT_TRUE(ahead.failure.has_value());
  EXPECT_EQ((*ahead.failure)["reason"], "ahead");
  WsTestClient genuine;
  ResumeOutcome outcome = Resume(genuine, pair.gateway_port(), *session, real_last);
  ASSERT_TRUE(outcome.resumed.has_value());
  EXPECT_EQ((*outcome.resumed)["replayed"], 0);
  EXPECT_GT((*outcome.resumed)["seq"].get<uint64_t>(), real_last);
}

TEST(ResumeE2e, ResumeAnywhereButFirstOrOfItsOwnSessionIsInvalid) {
  StreamgatePair pair;
  ASSERT_TRUE(pair.ok());
  WsTestClient other;
  auto target = OpenSession(other, pair.gateway_port());
  ASSERT_TRUE(target.has_value());
  WsTestClient late;
  auto own = OpenSession(late, pair.gateway_port());
  ASSERT_TRUE(own.has_value());
  ASSERT_TRUE(late.SendJson({{"type", "list_conversations"}}));
  ASSERT_TRUE(late.ReadUntilType("conversations").has_value());
  ASSERT_TRUE(late.SendJson(ResumeFrame(*target, 1)));
  auto error = late.ReadUntilType("error");
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ((*error)["code"], "invalid_message");
  EXPECT_EQ((*error)["sessionId"], own->id);

  WsTestClient self;
  auto mine = OpenSession(self, pair.gateway_port());
  ASSERT_TRUE(mine.has_value());
  ASSERT_TRUE(self.SendJson(ResumeFrame(*mine, 1)));
  auto refused = self.ReadUntilType("error");
  ASSERT_TRUE(refused.has_value());
  EXPECT_EQ((*refused)["code"], "invalid_message");
}

TEST(ResumeE2e, AResumeTakesTheSessionFromAStillAttachedConnectionWith4000) {
  StreamgatePair pair(SlowReplies());
  ASSERT_TRUE(pair.ok());
  const std::string reference = ReferenceReply(pair.gateway_port(), "move me");
  WsTestClient half_dead;
  auto session = OpenSession(half_dead, pair.gateway_port());
  ASSERT_TRUE(session.has_value());
  ASSERT_TRUE(half_dead.SendJson(UserMessage("move me")));
  ASSERT_TRUE(ReadTrackedUntil(half_dead, *session, "stream_chunk").has_value());
  WsTestClient taker;
  ResumeOutcome outcome = Resume(taker, pair.gateway_port(), *session);
  ASSERT_TRUE(outcome.resumed.has_value());
  // The old connection is closed with 4000; frames sent to it before are not lost.
  std::optional<Json> frame;
  do {
    frame = half_dead.ReadJson(5s);
  } while (frame.has_value());
  EXPECT_EQ(half_dead.server_close_reason().code, 4000);
  EXPECT_EQ(half_dead.server_close_reason().reason, "session resumed elsewhere");
  ASSERT_TRUE(ReadTrackedUntil(taker, *session, "stream_end").has_value());
  EXPECT_EQ(session->text, reference);
  EXPECT_TRUE(pair.gateway()
                  .WaitForLine(std::regex("session taken over session=" + session->id), 5s)
                  .has_value());
}

TEST(ResumeE2e, ATokenWorksUntilItsSuccessorIsFirstUsed) {
  StreamgatePair pair;
  ASSERT_TRUE(pair.ok());
  WsTestClient c0;
  auto session = OpenSession(c0, pair.gateway_port());
  ASSERT_TRUE(session.has_value());
  const std::string t1 = session->token;
  c0.Abort();
  // t1 -> t2; the connection drops before t2 is used: t1 still works (-> t3).
  WsTestClient c1;
  ASSERT_TRUE(Resume(c1, pair.gateway_port(), *session).resumed.has_value());
  const std::string t2 = session->token;
  EXPECT_NE(t2, t1);
  c1.Abort();
  ClientSession with_t1 = *session;
  with_t1.token = t1;
  WsTestClient c2;
  ASSERT_TRUE(Resume(c2, pair.gateway_port(), with_t1).resumed.has_value());
  const std::string t3 = with_t1.token;
  c2.Abort();
  // t3 used: from now on t1 (and t2, superseded) are refused.
  WsTestClient c3;
  ASSERT_TRUE(Resume(c3, pair.gateway_port(), with_t1).resumed.has_value());
  c3.Abort();
  for (const std::string& old : {t1, t2}) {
    ClientSession stale = with_t1;
    stale.token = old;
    WsTestClient c;
    ResumeOutcome outcome = Resume(c, pair.gateway_port(), stale);
    ASSERT_TRUE(outcome.failure.has_value());
    EXPECT_EQ((*outcome.failure)["reason"], "bad_token");
  }
  for (const std::string& token : {t1, t2, t3, with_t1.token}) {
    ExpectNotInLog(pair.gateway(), token);
  }
}

TEST(ResumeE2e, WithAuthOnlyTheOwningIdentityCanResume) {
  auto alice = *common::MakeCredential("alice");
  auto bob = *common::MakeCredential("bob");
  TempDir dir;
  std::string keys = dir.Write("keys.txt", alice.line + "\n" + bob.line + "\n");
  StreamgatePair pair(
      PairArgs({"--mock-chunk-delay-ms=0"}, {"--auth=api-keys", "--api-keys-file=" + keys}));
  ASSERT_TRUE(pair.ok());
  auto as = [](const common::NewCredential& credential) {
    WsTestClient::ConnectOptions options;
    options.headers = {{"Authorization", "Bearer " + credential.secret}};
    return options;
  };
  WsTestClient first;
  auto session = OpenSession(first, pair.gateway_port(), as(alice));
  ASSERT_TRUE(session.has_value());
  first.Abort();
  // Bob has the id and even the token: to him the session does not exist.
  WsTestClient thief;
  ResumeOutcome stolen = Resume(thief, pair.gateway_port(), *session, std::nullopt, as(bob));
  ASSERT_TRUE(stolen.failure.has_value());
  EXPECT_EQ((*stolen.failure)["reason"], "unknown_session");
  // Without a credential there is no connection at all.
  WsTestClient anonymous;
  EXPECT_FALSE(anonymous.Connect(pair.gateway_port()));
  EXPECT_EQ(anonymous.handshake_status(), 401);
  WsTestClient owner;
  EXPECT_TRUE(
      Resume(owner, pair.gateway_port(), *session, std::nullopt, as(alice)).resumed.has_value());
  ExpectNotInLog(pair.gateway(), alice.secret);
}

}  // namespace
}  // namespace streamgate::testing
