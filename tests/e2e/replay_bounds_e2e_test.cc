// What a detached session keeps, and for how long: the resume window, the per-session
// replay bound (attached and detached) and the bound over all detached sessions.
#include <regex>

#include "gtest/gtest.h"
#include "tests/e2e/resume_helpers.h"

namespace streamgate::testing {
namespace {

TEST(ReplayBoundsE2e, TheWindowPassingCancelsTheReplyInLlmService) {
  StreamgatePair pair(PairArgs({"--mock-chunk-delay-ms=50", "--mock-extra-words=400"},
                               {"--resume-window=500ms"}));
  ASSERT_TRUE(pair.ok());
  WsTestClient client;
  auto session = OpenSession(client, pair.gateway_port());
  ASSERT_TRUE(session.has_value());
  ASSERT_TRUE(client.SendJson(UserMessage("abandoned")));
  auto start = ReadTrackedUntil(client, *session, "stream_start");
  ASSERT_TRUE(start.has_value());
  const std::string request = (*start)["requestId"];
  client.Abort();
  // Not at the disconnect: the session waits for a resume first.
  ASSERT_TRUE(pair.gateway()
                  .WaitForLine(std::regex("session detached session=" + session->id), 5s)
                  .has_value());
  // ~20 s of reply left when the window passes: the call ends by cancellation.
  EXPECT_TRUE(pair.llm()
                  .WaitForLine(std::regex("call end .*request=" + request + " status=CANCELLED"),
                               10s)
                  .has_value())
      << pair.llm().OutputForDiagnostics();
  EXPECT_TRUE(pair.gateway()
                  .WaitForLine(std::regex("session end session=" + session->id +
                                          " reason=resume_window"),
                               5s)
                  .has_value());
}

TEST(ReplayBoundsE2e, ADetachedReplyWaitsAtTheBoundAndLosesNothing) {
  // ~20 KB of reply, 1 ms a word, cut right after its start: most of it is generated while
  // detached, and a 4 KiB bound must pause it, not drop frames. (Frames already written to
  // a connection count against the bound too: hence the early cut.)
  StreamgatePair pair(PairArgs({"--mock-chunk-delay-ms=1", "--mock-extra-words=3000"},
                               {"--replay-max-bytes=4096", "--log-level=debug"}));
  ASSERT_TRUE(pair.ok());
  const std::string reference = ReferenceReply(pair.gateway_port(), "a long one");
  ASSERT_GT(reference.size(), 15'000u);
  WsTestClient first;
  auto session = OpenSession(first, pair.gateway_port());
  ASSERT_TRUE(session.has_value());
  ASSERT_TRUE(first.SendJson(UserMessage("a long one")));
  ASSERT_TRUE(ReadTrackedUntil(first, *session, "stream_start").has_value());
  first.Abort();
  ASSERT_TRUE(pair.gateway()
                  .WaitForLine(std::regex("session detached session=" + session->id), 10s)
                  .has_value());
  ASSERT_TRUE(pair.gateway()
                  .WaitForLine(std::regex("replies paused session=" + session->id), 10s)
                  .has_value());
  EXPECT_FALSE(pair.gateway()
                   .WaitForLine(std::regex("reply end session=" + session->id), 0s)
                   .has_value());
  WsTestClient second;
  ResumeOutcome outcome = Resume(second, pair.gateway_port(), *session);
  ASSERT_TRUE(outcome.resumed.has_value()) << (outcome.failure ? outcome.failure->dump() : "");
  if (outcome.replayed.empty() || outcome.replayed.back()["type"] != "stream_end") {
    ASSERT_TRUE(ReadTrackedUntil(second, *session, "stream_end", 30s).has_value());
  }
  EXPECT_EQ(session->text, reference);
}

TEST(ReplayBoundsE2e, WrittenFramesBeyondTheBoundGoOldestFirst) {
  StreamgatePair pair(PairArgs({"--mock-chunk-delay-ms=0", "--mock-extra-words=3000"},
                               {"--replay-max-bytes=4096"}));
  ASSERT_TRUE(pair.ok());
  WsTestClient first;
  auto session = OpenSession(first, pair.gateway_port());
  ASSERT_TRUE(session.has_value());
  ASSERT_TRUE(first.SendJson(UserMessage("read it all")));
  auto start = ReadTrackedUntil(first, *session, "stream_start");
  ASSERT_TRUE(start.has_value());
  ASSERT_TRUE(ReadTrackedUntil(first, *session, "stream_end", 30s).has_value());
  first.Abort();
  const uint64_t last_sent = session->last_seq;
  // The reply is the last one to end, but 4 KiB holds only its tail.
  WsTestClient second;
  ResumeOutcome outcome = Resume(second, pair.gateway_port(), *session, (*start)["seq"]);
  ASSERT_TRUE(outcome.failure.has_value());
  EXPECT_EQ((*outcome.failure)["reason"], "gap");
  EXPECT_GT((*outcome.failure)["oldestSeq"].get<uint64_t>(), (*start)["seq"].get<uint64_t>() + 1);
  EXPECT_LE((*outcome.failure)["oldestSeq"].get<uint64_t>(), last_sent);
}

TEST(ReplayBoundsE2e, OverTheDetachedBudgetTheLongestDetachedExpiresFirst) {
  // Each session's log holds a reply of a little over 4000 bytes: one fits in 6000, two do
  // not.
  StreamgatePair pair(PairArgs({"--mock-chunk-delay-ms=0"}, {"--detached-max-bytes=6000"}));
  ASSERT_TRUE(pair.ok());
  const std::string big(4000, 'q');
  auto detach_with_reply = [&](ClientSession& session) {
    WsTestClient client;
    auto opened = OpenSession(client, pair.gateway_port());
    ASSERT_TRUE(opened.has_value());
    session = *opened;
    ASSERT_TRUE(client.SendJson(UserMessage(big)));
    ASSERT_TRUE(ReadTrackedUntil(client, session, "stream_end").has_value());
    size_t from = pair.gateway().LineCount();
    client.Abort();
    ASSERT_TRUE(pair.gateway()
                    .WaitForLine(std::regex("session detached session=" + session.id), 5s, from)
                    .has_value());
  };
  ClientSession older, newer;
  detach_with_reply(older);
  detach_with_reply(newer);
  EXPECT_TRUE(pair.gateway()
                  .WaitForLine(std::regex("session end session=" + older.id +
                                          " reason=detached_budget"),
                               5s)
                  .has_value());
  WsTestClient a;
  ResumeOutcome expired = Resume(a, pair.gateway_port(), older);
  ASSERT_TRUE(expired.failure.has_value());
  EXPECT_EQ((*expired.failure)["reason"], "expired");
  WsTestClient b;
  EXPECT_TRUE(Resume(b, pair.gateway_port(), newer).resumed.has_value());
}

}  // namespace
}  // namespace streamgate::testing
