#include "gateway/chat_session.h"

#include <optional>
#include <string>
#include <vector>

#include "common/sha256.h"
#include "gateway/server_frames.h"
#include "gateway/store/session_store.h"
#include "gtest/gtest.h"
#include "tests/gateway/chat_session_fixture.h"

namespace streamgate::gateway::testing {
namespace {

using State = ChatSession::State;
using Strings = std::vector<std::string>;

std::optional<SessionSnapshot> Load(SessionStore& store, const std::string& id) {
  std::optional<SessionSnapshot> out;
  store.Load(id, [&](std::optional<SessionSnapshot> snapshot) { out = std::move(snapshot); });
  return out;
}

// A session with a connection attached and a reply that has sent stream_start (seq 2) and
// one chunk "A" (seq 3), all delivered.
class ReplyingSessionTest : public ChatSessionTest {
 protected:
  void StartReplying() {
    session_ = OpenAttached(&peer_);
    ASSERT_EQ(peer_->delivered.size(), 1u);
    token_ = Field(peer_->delivered[0], "resumeToken");
    UserMessage(*session_, "hi");
    call_ = WaitForCall(0);
    ASSERT_NE(call_, nullptr);
    rid_ = call_->request().request_id();
    trace_ = call_->trace_id();
    call_->Started();
    ASSERT_TRUE(WaitForFrames(*peer_, 2));
    call_->Delta("A");
    ASSERT_TRUE(WaitForFrames(*peer_, 3));
    ASSERT_EQ(peer_->seqs(), (std::vector<uint64_t>{1, 2, 3}));
  }
  // Runs until the session has taken in one more message of the detached reply.
  bool WaitForLogGrowth(size_t from) {
    return RunUntil([&] { return session_->log_bytes() > from; });
  }

  std::shared_ptr<ChatSession> session_;
  std::shared_ptr<FakePeer> peer_;
  std::shared_ptr<FakeReplyCall> call_;
  std::string token_;
  std::string rid_;
  std::string trace_;  // the reply's trace id, from the call's traceparent
};

TEST_F(ChatSessionTest, OpenAndAttachSendConnectionEstablishedWithAResumeToken) {
  std::shared_ptr<FakePeer> peer;
  auto session = OpenAttached(&peer);
  ASSERT_EQ(peer->delivered.size(), 1u);
  const ReplayLog::Frame& frame = peer->delivered[0];
  EXPECT_EQ(frame.seq, 1u);
  const std::string token = Field(frame, "resumeToken");
  ASSERT_EQ(token.size(), 43u);
  EXPECT_EQ(*frame.text, Established(session->id(), token));
  EXPECT_EQ(session->id().size(), 36u);  // a UUID
  EXPECT_EQ(session->state(), State::kAttached);
  EXPECT_EQ(sessions_.Find(session->id()), session);

  // Nothing to resume after a restart yet: not in the store at all.
  session->Persist();
  EXPECT_FALSE(Load(store_, session->id()).has_value());
}

TEST_F(ChatSessionTest, TheStoreGetsTheTokensHashWithTheFirstConversation) {
  std::shared_ptr<FakePeer> peer;
  auto session = OpenAttached(&peer);
  const std::string token = Field(peer->delivered[0], "resumeToken");
  UserMessage(*session, "hi");
  ASSERT_NE(WaitForCall(0), nullptr);
  session->Persist();
  auto stored = Load(store_, session->id());
  ASSERT_TRUE(stored.has_value());
  EXPECT_EQ(stored->session.identity, "user-a");
  EXPECT_EQ(stored->session.token_hash, common::Sha256(token));  // never the token
  for (const auto& frame : stored->replay) {
    EXPECT_EQ(frame.frame.find(token), std::string::npos);
    EXPECT_GT(frame.seq, 1u);  // connection_established is not a frame to keep
  }
}

TEST_F(ChatSessionTest, AReplysFramesReachThePeerInOrderWithTheirSeqs) {
  std::shared_ptr<FakePeer> peer;
  auto session = OpenAttached(&peer);
  const std::string& id = session->id();
  const std::string token = Field(peer->delivered[0], "resumeToken");
  UserMessage(*session, "hi");
  auto call = WaitForCall(0);
  ASSERT_NE(call, nullptr);
  EXPECT_EQ(call->request().session_id(), id);
  ASSERT_EQ(call->request().messages_size(), 1);
  EXPECT_EQ(call->request().messages(0).role(), llm::v1::ROLE_USER);
  EXPECT_EQ(call->request().messages(0).content(), "hi");
  const std::string rid = call->request().request_id();
  EXPECT_FALSE(rid.empty());
  // A valid W3C traceparent goes with every call; its trace id comes back to the client.
  const std::string trace = call->trace_id();
  EXPECT_EQ(trace.size(), 32u) << call->traceparent();
  call->Started();
  ASSERT_TRUE(WaitForFrames(*peer, 2));
  call->Delta("Hel");
  ASSERT_TRUE(WaitForFrames(*peer, 3));
  call->Delta("lo");
  ASSERT_TRUE(WaitForFrames(*peer, 4));
  call->Completed("end_turn", 7, 2);
  call->Finish();
  ASSERT_TRUE(WaitForFrames(*peer, 5));
  EXPECT_EQ(peer->texts(),
            (Strings{Established(id, token), EncodeStreamStart(id, 2, "default", rid, trace),
                     EncodeStreamChunk(id, 3, "default", "Hel"),
                     EncodeStreamChunk(id, 4, "default", "lo"),
                     EncodeStreamEnd(id, 5, "default", rid, "end_turn", {7, 2}, trace)}));
  EXPECT_EQ(peer->seqs(), (std::vector<uint64_t>{1, 2, 3, 4, 5}));
  EXPECT_FALSE(session->replying());
  EXPECT_FALSE(call->cancelled());
}

TEST_F(ChatSessionTest, TextThatArrivesWhileAWriteIsInFlightIsMergedIntoOneFrame) {
  std::shared_ptr<FakePeer> peer;
  auto session = OpenAttached(&peer);
  const std::string& id = session->id();
  UserMessage(*session, "hi");
  auto call = WaitForCall(0);
  ASSERT_NE(call, nullptr);
  peer->HoldWrites(true);  // stream_start stays in flight
  call->Started();
  call->Delta("a");
  call->Delta("b");
  call->Delta("c");
  call->Completed("end_turn", 1, 3);
  call->Finish();
  ASSERT_TRUE(RunUntil([&] { return !session->replying(); }));
  EXPECT_EQ(peer->delivered.size(), 2u);
  peer->HoldWrites(false);
  ASSERT_TRUE(WaitForFrames(*peer, 4));
  const std::string rid = call->request().request_id();
  EXPECT_EQ(peer->texts()[2], EncodeStreamChunk(id, 3, "default", "abc"));
  EXPECT_EQ(peer->texts()[3],
            EncodeStreamEnd(id, 4, "default", rid, "end_turn", {1, 3}, call->trace_id()));
}

TEST_F(ReplyingSessionTest, DetachKeepsTheReplyRunningAndResumeReplaysWhatWasMissedOnce) {
  StartReplying();
  const std::string& id = session_->id();
  session_->Detach(peer_->attach_id());
  EXPECT_EQ(session_->state(), State::kDetached);
  EXPECT_EQ(sessions_.detached_sessions(), 1u);
  call_->Delta("B");
  call_->Delta("C");
  call_->Completed("end_turn", 3, 3);
  call_->Finish();
  ASSERT_TRUE(RunUntil([&] { return !session_->replying(); }));
  EXPECT_FALSE(call_->cancelled());
  EXPECT_EQ(peer_->delivered.size(), 3u);  // nothing goes to a connection that left

  auto peer2 = std::make_shared<FakePeer>();
  ChatSession::ResumeResult result = Resume(session_, peer2, token_, /*last_seq=*/3);
  ASSERT_TRUE(result.ok);
  ASSERT_TRUE(WaitForFrames(*peer2, 3));
  const std::string token2 = Field(peer2->delivered[2], "resumeToken");
  EXPECT_EQ(token2.size(), 43u);
  EXPECT_NE(token2, token_);
  // The frames after lastSeq with their original seqs (the chunk the detached session
  // merged), then session_resumed with seq M+1 and the count.
  EXPECT_EQ(peer2->texts(),
            (Strings{EncodeStreamChunk(id, 4, "default", "BC"),
                     EncodeStreamEnd(id, 5, "default", rid_, "end_turn", {3, 3}, trace_),
                     EncodeSessionResumed(id, 6, /*replayed=*/2, token2)}));
  EXPECT_EQ(session_->state(), State::kAttached);
  EXPECT_EQ(sessions_.detached_sessions(), 0u);
  EXPECT_EQ(sessions_.detached_bytes(), 0u);
  auto stored = Load(store_, id);
  ASSERT_TRUE(stored.has_value());
  EXPECT_EQ(stored->session.token_hash, common::Sha256(token2));
  EXPECT_EQ(stored->session.previous_token_hash, common::Sha256(token_));

  // Live again: the next frame is M+2, and nothing came twice before it.
  UserMessage(*session_, "more");
  auto call2 = WaitForCall(1);
  ASSERT_NE(call2, nullptr);
  ASSERT_EQ(call2->request().messages_size(), 3);
  EXPECT_EQ(call2->request().messages(1).content(), "ABC");
  call2->Started();
  ASSERT_TRUE(WaitForFrames(*peer2, 4));
  EXPECT_EQ(peer2->texts()[3],
            EncodeStreamStart(id, 7, "default", call2->request().request_id(), call2->trace_id()));
  EXPECT_EQ(peer_->delivered.size(), 3u);
}

TEST_F(ReplyingSessionTest, AReplyStreamingAcrossAResumeHasNoGapAndNoDuplicate) {
  StartReplying();
  const std::string& id = session_->id();
  session_->Detach(peer_->attach_id());
  size_t bytes = session_->log_bytes();
  call_->Delta("B");
  ASSERT_TRUE(WaitForLogGrowth(bytes));
  auto peer2 = std::make_shared<FakePeer>();
  ASSERT_TRUE(Resume(session_, peer2, token_, 3).ok);
  ASSERT_TRUE(WaitForFrames(*peer2, 2));
  const std::string token2 = Field(peer2->delivered[1], "resumeToken");
  call_->Delta("D");
  ASSERT_TRUE(WaitForFrames(*peer2, 3));
  call_->Delta("E");
  ASSERT_TRUE(WaitForFrames(*peer2, 4));
  call_->Completed("end_turn", 1, 4);
  call_->Finish();
  ASSERT_TRUE(WaitForFrames(*peer2, 5));
  EXPECT_EQ(
      peer2->texts(),
      (Strings{EncodeStreamChunk(id, 4, "default", "B"), EncodeSessionResumed(id, 5, 1, token2),
               EncodeStreamChunk(id, 6, "default", "D"), EncodeStreamChunk(id, 7, "default", "E"),
               EncodeStreamEnd(id, 8, "default", rid_, "end_turn", {1, 4}, trace_)}));
}

TEST_F(ReplyingSessionTest, ResumeWithNothingMissedReplaysNothing) {
  StartReplying();
  session_->Detach(peer_->attach_id());
  auto peer2 = std::make_shared<FakePeer>();
  ASSERT_TRUE(Resume(session_, peer2, token_, 3).ok);
  ASSERT_EQ(peer2->delivered.size(), 1u);
  const std::string token2 = Field(peer2->delivered[0], "resumeToken");
  EXPECT_EQ(*peer2->delivered[0].text, EncodeSessionResumed(session_->id(), 4, 0, token2));
  // A resume's lastSeq acknowledges: what it covered is gone from the log.
  auto peer3 = std::make_shared<FakePeer>();
  ChatSession::ResumeResult result = Resume(session_, peer3, token2, 2);
  EXPECT_FALSE(result.ok);
  EXPECT_EQ(result.failure, ResumeFailure::kGap);
  EXPECT_EQ(result.oldest_seq, 4u);
}

TEST_F(ReplyingSessionTest, TakeOverClosesTheOldConnectionWith4000AndIgnoresItAfterwards) {
  StartReplying();
  const std::string& id = session_->id();
  // A half-dead connection: its last write never completes.
  peer_->HoldWrites(true);
  call_->Delta("B");
  ASSERT_TRUE(WaitForFrames(*peer_, 4));
  call_->Completed("end_turn", 2, 2);
  call_->Finish();
  ASSERT_TRUE(RunUntil([&] { return !session_->replying(); }));
  EXPECT_EQ(peer_->delivered.size(), 4u);  // stream_end waits behind the write in flight

  auto peer2 = std::make_shared<FakePeer>();
  ASSERT_TRUE(Resume(session_, peer2, token_, 2).ok);
  ASSERT_EQ(peer_->closes.size(), 1u);
  EXPECT_EQ(peer_->closes[0].code, 4000);
  EXPECT_EQ(peer_->closes[0].reason, "session resumed elsewhere");
  ASSERT_TRUE(WaitForFrames(*peer2, 4));
  const std::string token2 = Field(peer2->delivered[3], "resumeToken");
  EXPECT_EQ(
      peer2->texts(),
      (Strings{EncodeStreamChunk(id, 3, "default", "A"), EncodeStreamChunk(id, 4, "default", "B"),
               EncodeStreamEnd(id, 5, "default", rid_, "end_turn", {2, 2}, trace_),
               EncodeSessionResumed(id, 6, 3, token2)}));
  // Handed again unchanged: the very text the first connection was given.
  EXPECT_EQ(peer2->delivered[0].text, peer_->delivered[2].text);

  // The old connection's late write completion and its close change nothing.
  peer_->HoldWrites(false);
  session_->Detach(peer_->attach_id());
  TestIo().poll();  // the late OnDelivered(old attach id) runs
  EXPECT_EQ(session_->state(), State::kAttached);
  Request(*session_, ClientMessage::Type::kGetHistory);
  ASSERT_TRUE(WaitForFrames(*peer2, 5));
  EXPECT_EQ(peer2->delivered[4].seq, 7u);
  EXPECT_EQ(Field(peer2->delivered[4], "type"), "history");
  EXPECT_EQ(peer_->delivered.size(), 4u);
  EXPECT_EQ(peer2->delivered.size(), 5u);
}

// The case the previous token exists for: a connection resumed, but dropped before its
// session_resumed (with T2) reached the client, which resumes again with T. That
// session_resumed concerned the dropped connection only (ephemeral): the new one must get
// the replay and its own session_resumed, not the stale one as well.
TEST_F(ReplyingSessionTest, ATakeOverDuringAReplayHandsOverNoStaleSessionResumed) {
  StartReplying();
  const std::string& id = session_->id();
  session_->Detach(peer_->attach_id());
  call_->Delta("B");
  call_->Completed("end_turn", 2, 2);
  call_->Finish();
  ASSERT_TRUE(RunUntil([&] { return !session_->replying(); }));
  auto peer2 = std::make_shared<FakePeer>();
  peer2->HoldWrites(true);  // gets chunk 4, never more
  ASSERT_TRUE(Resume(session_, peer2, token_, 3).ok);
  ASSERT_EQ(peer2->delivered.size(), 1u);

  auto peer3 = std::make_shared<FakePeer>();
  ASSERT_TRUE(Resume(session_, peer3, token_, 3).ok);
  ASSERT_EQ(peer2->closes.size(), 1u);
  EXPECT_EQ(peer2->closes[0].code, 4000);
  // seq 6 was peer2's session_resumed; peer3's own is 7.
  ASSERT_TRUE(
      RunUntil([&] { return !peer3->delivered.empty() && peer3->delivered.back().seq >= 7; }));
  const std::string token3 = Field(peer3->delivered.back(), "resumeToken");
  EXPECT_EQ(peer3->texts(),
            (Strings{EncodeStreamChunk(id, 4, "default", "B"),
                     EncodeStreamEnd(id, 5, "default", rid_, "end_turn", {2, 2}, trace_),
                     EncodeSessionResumed(id, 7, 2, token3)}));
}

TEST_F(ReplyingSessionTest, AWrongTokenIsRefusedAndChangesNothing) {
  StartReplying();
  session_->Detach(peer_->attach_id());
  auto peer2 = std::make_shared<FakePeer>();
  std::string wrong = token_;
  wrong[0] = wrong[0] == 'A' ? 'B' : 'A';
  ChatSession::ResumeResult result = Resume(session_, peer2, wrong, 3);
  EXPECT_FALSE(result.ok);
  EXPECT_EQ(result.failure, ResumeFailure::kBadToken);
  EXPECT_TRUE(peer2->delivered.empty());
  EXPECT_EQ(session_->state(), State::kDetached);
  EXPECT_TRUE(Resume(session_, peer2, token_, 3).ok);
}

TEST_F(ReplyingSessionTest, ALastSeqBeyondTheLastSentIsAhead) {
  StartReplying();
  session_->Detach(peer_->attach_id());
  auto peer2 = std::make_shared<FakePeer>();
  ChatSession::ResumeResult result = Resume(session_, peer2, token_, 4);
  EXPECT_FALSE(result.ok);
  EXPECT_EQ(result.failure, ResumeFailure::kAhead);
  EXPECT_TRUE(peer2->delivered.empty());
  EXPECT_EQ(session_->state(), State::kDetached);
}

TEST_F(ReplyingSessionTest, AGapWhenTheLogNoLongerHoldsTheNextSeq) {
  StartReplying();
  Request(*session_, ClientMessage::Type::kAck, "default", 2);  // frames 1 and 2 dropped
  session_->Detach(peer_->attach_id());
  auto peer2 = std::make_shared<FakePeer>();
  ChatSession::ResumeResult result = Resume(session_, peer2, token_, 1);
  EXPECT_FALSE(result.ok);
  EXPECT_EQ(result.failure, ResumeFailure::kGap);
  EXPECT_EQ(result.oldest_seq, 3u);
  EXPECT_TRUE(peer2->delivered.empty());
  ASSERT_TRUE(Resume(session_, peer2, token_, 2).ok);
  ASSERT_TRUE(WaitForFrames(*peer2, 2));
  EXPECT_EQ(*peer2->delivered[0].text, EncodeStreamChunk(session_->id(), 3, "default", "A"));
}

TEST_F(ReplyingSessionTest, AnotherIdentitysSessionIsUnknownToIt) {
  StartReplying();
  session_->Detach(peer_->attach_id());
  auto peer2 = std::make_shared<FakePeer>();
  ChatSession::ResumeResult result = Resume(session_, peer2, token_, 3, "user-b");
  EXPECT_FALSE(result.ok);
  EXPECT_EQ(result.failure, ResumeFailure::kUnknownSession);
  EXPECT_TRUE(peer2->delivered.empty());
  EXPECT_TRUE(Resume(session_, peer2, token_, 3, "user-a").ok);
}

TEST_F(ReplyingSessionTest, AnExpiredSessionIsClosedForGood) {
  StartReplying();
  session_->Expire("test");  // attached: not expired
  EXPECT_EQ(session_->state(), State::kAttached);
  session_->Detach(peer_->attach_id());
  session_->Expire("test");
  EXPECT_EQ(session_->state(), State::kClosed);
  EXPECT_EQ(sessions_.Find(session_->id()), nullptr);
  EXPECT_EQ(sessions_.detached_sessions(), 0u);
  ASSERT_TRUE(RunUntil([&] { return call_->cancelled(); }));
  auto peer2 = std::make_shared<FakePeer>();
  ChatSession::ResumeResult result = Resume(session_, peer2, token_, 3);
  EXPECT_FALSE(result.ok);
  EXPECT_EQ(result.failure, ResumeFailure::kExpired);
  EXPECT_TRUE(peer2->delivered.empty());
  // Its tokens are revoked in the store too.
  auto stored = Load(store_, session_->id());
  ASSERT_TRUE(stored.has_value());
  EXPECT_TRUE(stored->session.token_hash.empty());
  EXPECT_TRUE(stored->session.previous_token_hash.empty());
}

TEST_F(ReplyingSessionTest, TheResumeWindowEndingCancelsTheReplyAndClosesTheSession) {
  // Long enough for one delta to arrive within it on a loaded machine.
  config_.resume_window = absl::Seconds(2);
  StartReplying();
  session_->Detach(peer_->attach_id());
  // Within the window the reply goes on.
  size_t bytes = session_->log_bytes();
  call_->Delta("B");
  ASSERT_TRUE(WaitForLogGrowth(bytes));
  EXPECT_FALSE(call_->cancelled());
  EXPECT_EQ(session_->state(), State::kDetached);
  ASSERT_TRUE(RunUntil([&] { return call_->cancelled(); }));
  EXPECT_EQ(session_->state(), State::kClosed);
  EXPECT_EQ(sessions_.Find(session_->id()), nullptr);
  EXPECT_EQ(sessions_.detached_bytes(), 0u);
  auto peer2 = std::make_shared<FakePeer>();
  EXPECT_EQ(Resume(session_, peer2, token_, 3).failure, ResumeFailure::kExpired);
}

TEST_F(ReplyingSessionTest, WithoutAResumeWindowDetachCancelsAtOnceAndKeepsNothing) {
  config_.resume_window = absl::ZeroDuration();
  StartReplying();
  session_->Detach(peer_->attach_id());
  EXPECT_EQ(session_->state(), State::kClosed);
  EXPECT_EQ(sessions_.Find(session_->id()), nullptr);
  ASSERT_TRUE(RunUntil([&] { return call_->cancelled(); }));
  EXPECT_FALSE(Load(store_, session_->id()).has_value());
}

TEST_F(ReplyingSessionTest, CancelEndsTheReplyWithStreamEndCancelled) {
  StartReplying();
  Request(*session_, ClientMessage::Type::kCancel);
  ASSERT_TRUE(RunUntil([&] { return call_->cancelled(); }));
  ASSERT_TRUE(WaitForFrames(*peer_, 4));
  EXPECT_EQ(peer_->texts()[3], EncodeStreamCancelled(session_->id(), 4, "default", rid_, trace_));
  // What the user saw stays in the conversation.
  Request(*session_, ClientMessage::Type::kGetHistory);
  ASSERT_TRUE(WaitForFrames(*peer_, 5));
  EXPECT_EQ(peer_->texts()[4],
            EncodeHistory(session_->id(), 5, "default", {{true, "hi"}, {false, "A"}}));
}

TEST_F(ReplyingSessionTest, AFailedReplyEndsWithTheMappedError) {
  StartReplying();
  grpc::Status status(grpc::StatusCode::UNAVAILABLE, "upstream down");
  call_->Finish(status);
  ASSERT_TRUE(WaitForFrames(*peer_, 4));
  EXPECT_EQ(peer_->texts()[3], EncodeConversationError(session_->id(), 4, "default", rid_,
                                                       ClientError::kUpstreamUnavailable));
  EXPECT_EQ(ClientErrorForStatus(status), ClientError::kUpstreamUnavailable);
}

}  // namespace
}  // namespace streamgate::gateway::testing
