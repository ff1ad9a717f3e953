#include "tools/streamgate-cli/resumable_session.h"

#include <nlohmann/json.hpp>

#include "gtest/gtest.h"

namespace streamgate::cli {
namespace {

ServerFrame Frame(std::string type, std::string session, uint64_t seq, std::string token = "") {
  ServerFrame frame;
  frame.type = std::move(type);
  frame.session_id = std::move(session);
  frame.seq = seq;
  frame.resume_token = std::move(token);
  return frame;
}

TEST(ResumableSession, SkipsFramesAtOrBelowTheLastSeqProcessed) {
  ResumableSession session;
  EXPECT_FALSE(session.established());
  session.Establish(Frame("connection_established", "S", 1, "T1"));
  EXPECT_TRUE(session.established());
  EXPECT_EQ(session.last_seq(), 1u);
  EXPECT_TRUE(session.Advance(Frame("stream_start", "S", 2)));
  EXPECT_TRUE(session.Advance(Frame("stream_chunk", "S", 3)));
  // A replay starting from before what was processed: the old frames are skipped.
  EXPECT_FALSE(session.Advance(Frame("stream_chunk", "S", 2)));
  EXPECT_FALSE(session.Advance(Frame("stream_chunk", "S", 3)));
  EXPECT_TRUE(session.Advance(Frame("stream_chunk", "S", 5)));  // seqs may have holes
  EXPECT_EQ(session.last_seq(), 5u);
}

TEST(ResumableSession, FramesOfAnotherSessionOrWithoutSeqAreAlwaysNews) {
  ResumableSession session;
  session.Establish(Frame("connection_established", "S", 7, "T1"));
  EXPECT_TRUE(session.Advance(Frame("connection_established", "F", 1, "TF")));
  EXPECT_TRUE(session.Advance(Frame("stream_chunk", "S", 0)));
  EXPECT_EQ(session.last_seq(), 7u);
}

TEST(ResumableSession, ResumesWithTheLatestTokenAndLastSeq) {
  ResumableSession session;
  session.Establish(Frame("connection_established", "S", 1, "T1"));
  session.Advance(Frame("stream_end", "S", 4));
  auto resume = nlohmann::json::parse(session.ResumeFrame());
  EXPECT_EQ(resume,
            (nlohmann::json{
                {"type", "resume"}, {"sessionId", "S"}, {"resumeToken", "T1"}, {"lastSeq", 4}}));
  session.Resumed(Frame("session_resumed", "S", 5, "T2"));
  EXPECT_EQ(nlohmann::json::parse(session.ResumeFrame())["resumeToken"], "T2");
  // A session_resumed without a token keeps the one that works.
  session.Resumed(Frame("session_resumed", "S", 6));
  EXPECT_EQ(nlohmann::json::parse(session.ResumeFrame())["resumeToken"], "T2");
}

TEST(ReconnectBackoff, DoublesUpToTheCapWithJitterAndStartsOverAfterReset) {
  ReconnectBackoff backoff(absl::Milliseconds(100), absl::Milliseconds(1000));
  // random 1.0 gives the ceiling, 0.0 half of it.
  EXPECT_EQ(backoff.Next(1.0), absl::Milliseconds(100));
  EXPECT_EQ(backoff.Next(0.0), absl::Milliseconds(100));  // ceiling 200
  EXPECT_EQ(backoff.Next(1.0), absl::Milliseconds(400));
  EXPECT_EQ(backoff.Next(1.0), absl::Milliseconds(800));
  EXPECT_EQ(backoff.Next(1.0), absl::Milliseconds(1000));
  for (int i = 0; i < 100; ++i) EXPECT_LE(backoff.Next(1.0), absl::Milliseconds(1000));
  EXPECT_EQ(backoff.Next(0.5), absl::Milliseconds(750));
  backoff.Reset();
  EXPECT_EQ(backoff.Next(0.0), absl::Milliseconds(50));
}

TEST(CloseCodeAllowsResume, OnlyForClosesThatAreNotTheClientsFaultOrFinal) {
  struct Case {
    uint16_t code;
    bool resume;
  };
  for (const Case& c :
       {Case{1000, true}, Case{1001, true}, Case{1006, true}, Case{1011, true}, Case{1012, true},
        Case{1013, true}, Case{1002, false}, Case{1007, false}, Case{1008, false},
        Case{1009, false}, Case{4000, false}, Case{4001, false}, Case{4999, false}}) {
    EXPECT_EQ(CloseCodeAllowsResume(c.code), c.resume) << c.code;
  }
}

}  // namespace
}  // namespace streamgate::cli
