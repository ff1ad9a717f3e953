// A session restored from what the store kept when its process died (kill -9): replies that
// were running end `interrupted`, and their exchange keeps the text the store had.
#include <optional>
#include <string>
#include <vector>

#include "common/sha256.h"
#include "gateway/auth/principal.h"
#include "gateway/conversation.h"
#include "gateway/server_frames.h"
#include "gateway/store/memory_session_store.h"
#include "gateway/store/session_store.h"
#include "gtest/gtest.h"
#include "tests/gateway/chat_session_fixture.h"

namespace streamgate::gateway::testing {
namespace {

std::optional<SessionSnapshot> Load(SessionStore& store, const std::string& id) {
  std::optional<SessionSnapshot> out;
  store.Load(id, [&](std::optional<SessionSnapshot> snapshot) { out = std::move(snapshot); });
  return out;
}

const StoredConversation* Find(const SessionSnapshot& snapshot, const std::string& id) {
  for (const auto& conversation : snapshot.conversations) {
    if (conversation.conversation_id == id) return &conversation;
  }
  return nullptr;
}

// The pending user turn a stored conversation holds, if any.
std::string PendingOf(const StoredConversation& conversation) {
  Conversation history(1 << 20);
  std::string pending;
  EXPECT_TRUE(history.Restore(conversation.history, &pending));
  return pending;
}

// A session as a store holds it, written by hand: owned by user-a, its token `token`,
// seqs reserved up to 100, seen now; no conversations or frames yet.
SessionSnapshot StoredByHand(const std::string& id, const std::string& token) {
  SessionSnapshot snapshot;
  snapshot.session.id = id;
  snapshot.session.identity = "user-a";
  snapshot.session.token_hash = common::Sha256(token);
  snapshot.session.last_seen_ms = absl::ToUnixMillis(absl::Now());
  snapshot.session.seq_reserved = 100;
  return snapshot;
}

class ChatSessionRestoreTest : public ChatSessionTest {
 protected:
  // A second process on what the first one's store held: its own store (so that what the
  // restore writes is seen apart), the same table and llm-service.
  std::shared_ptr<ChatSession> RestoreFrom(SessionSnapshot snapshot) {
    restored_services_ = services_;
    restored_services_.store = &restored_store_;
    Principal owner;
    owner.identity = snapshot.session.identity;
    auto session = std::make_shared<ChatSession>(restored_services_, executor_,
                                                 std::make_shared<const Principal>(owner));
    session->Restore(std::move(snapshot));
    restored_.push_back(session);
    return session;
  }

  void TearDown() override {
    for (auto& session : restored_) session->Discard();
    ChatSessionTest::TearDown();
  }

  // Runs until the store has frames up to `seq` of session `id`.
  bool WaitForStoredSeq(const std::string& id, uint64_t seq) {
    return RunUntil([&] {
      auto snapshot = Load(store_, id);
      return snapshot && !snapshot->replay.empty() && snapshot->replay.back().seq >= seq;
    });
  }

  GatewayServices restored_services_;
  MemorySessionStore restored_store_;
  std::vector<std::shared_ptr<ChatSession>> restored_;
};

TEST_F(ChatSessionRestoreTest, ARunningReplyIsStoredWithItsQuestionAndEndsInterruptedOnResume) {
  std::shared_ptr<FakePeer> peer;
  auto session = OpenAttached(&peer);
  const std::string token = Field(peer->delivered[0], "resumeToken");
  UserMessage(*session, "q1");
  auto first = WaitForCall(0);
  ASSERT_NE(first, nullptr);
  first->Started();
  first->Delta("A1");
  first->Completed("end_turn", 1, 1);
  first->Finish();
  ASSERT_TRUE(RunUntil([&] { return Field(peer->delivered.back(), "type") == "stream_end"; }));
  // Nothing pending once a reply has ended.
  auto stored = Load(store_, session->id());
  ASSERT_TRUE(stored.has_value());
  ASSERT_NE(Find(*stored, "default"), nullptr);
  EXPECT_EQ(PendingOf(*Find(*stored, "default")), "");

  UserMessage(*session, "q2");
  auto second = WaitForCall(1);
  ASSERT_NE(second, nullptr);
  const std::string rid = second->request().request_id();
  // Asked, not yet started: the question is in the store already.
  stored = Load(store_, session->id());
  ASSERT_TRUE(stored.has_value());
  EXPECT_EQ(PendingOf(*Find(*stored, "default")), "q2");
  second->Started();
  second->Delta("Hel");
  ASSERT_TRUE(RunUntil([&] { return Field(peer->delivered.back(), "content") == "Hel"; }));
  const uint64_t processed = peer->delivered.back().seq;
  second->Delta("lo");
  ASSERT_TRUE(RunUntil([&] { return Field(peer->delivered.back(), "content") == "lo"; }));
  const uint64_t last = peer->delivered.back().seq;
  ASSERT_TRUE(WaitForStoredSeq(session->id(), last));

  // The process dies here: what the store holds is all the next one has.
  stored = Load(store_, session->id());
  ASSERT_TRUE(stored.has_value());
  auto restored = RestoreFrom(std::move(*stored));
  EXPECT_EQ(restored->state(), ChatSession::State::kDetached);
  auto again = std::make_shared<FakePeer>();
  ASSERT_TRUE(Resume(restored, again, token, processed).ok);
  ASSERT_TRUE(WaitForFrames(*again, 3));
  // The chunk the client missed, then the reply's end: interrupted, naming its request.
  EXPECT_EQ(again->delivered[0].seq, last);
  EXPECT_EQ(Field(again->delivered[0], "content"), "lo");
  EXPECT_EQ(*again->delivered[1].text, EncodeConversationError(session->id(), last + 1, "default",
                                                               rid, ClientError::kInterrupted));
  EXPECT_EQ(Field(again->delivered[2], "type"), "session_resumed");

  // The restore kept the exchange (the text the store had) and cleared the pending turn.
  auto rewritten = Load(restored_store_, session->id());
  ASSERT_TRUE(rewritten.has_value());
  ASSERT_NE(Find(*rewritten, "default"), nullptr);
  EXPECT_EQ(PendingOf(*Find(*rewritten, "default")), "");
  Conversation kept(1 << 20);
  ASSERT_TRUE(kept.Restore(Find(*rewritten, "default")->history));
  ASSERT_EQ(kept.exchanges(), 2u);
  EXPECT_EQ(kept.Turns()[3].content, "Hello");

  Request(*restored, ClientMessage::Type::kGetHistory);
  ASSERT_TRUE(WaitForFrames(*again, 4));
  EXPECT_EQ(*again->delivered[3].text,
            EncodeHistory(session->id(), again->delivered[3].seq, "default",
                          {{true, "q1"}, {false, "A1"}, {true, "q2"}, {false, "Hello"}}));
}

TEST_F(ChatSessionRestoreTest, AFailedReplyLeavesNoPendingTurnBehind) {
  std::shared_ptr<FakePeer> peer;
  auto session = OpenAttached(&peer);
  UserMessage(*session, "doomed");
  auto call = WaitForCall(0);
  ASSERT_NE(call, nullptr);
  call->Finish(grpc::Status(grpc::StatusCode::UNAVAILABLE, "down"));
  ASSERT_TRUE(RunUntil([&] { return Field(peer->delivered.back(), "type") == "error"; }));
  auto stored = Load(store_, session->id());
  ASSERT_TRUE(stored.has_value());
  ASSERT_NE(Find(*stored, "default"), nullptr);
  EXPECT_EQ(PendingOf(*Find(*stored, "default")), "");
  // Restored, nothing was running: a resume replays and ends nothing.
  auto restored = RestoreFrom(std::move(*stored));
  auto again = std::make_shared<FakePeer>();
  const std::string token = Field(peer->delivered[0], "resumeToken");
  ASSERT_TRUE(Resume(restored, again, token, peer->delivered.back().seq).ok);
  ASSERT_TRUE(WaitForFrames(*again, 1));
  EXPECT_EQ(Field(again->delivered[0], "type"), "session_resumed");
}

TEST_F(ChatSessionRestoreTest, FramesThatNameNoRequestEndNoReply) {
  // Stored by hand: a reply ran (its start and a chunk), and a `busy` for its conversation
  // came after; the process died with the pending turn stored.
  const std::string id = "s-restore";
  const std::string token = "the-token";
  SessionSnapshot snapshot = StoredByHand(id, token);
  snapshot.conversations.push_back(
      StoredConversation{.session_id = id,
                         .conversation_id = "c",
                         .history = Conversation(1 << 20).SerializeWithPending("asked"),
                         .last_activity_ms = 1});
  snapshot.replay.push_back({2, EncodeStreamStart(id, 2, "c", "r-9")});
  snapshot.replay.push_back({3, EncodeStreamChunk(id, 3, "c", "part")});
  snapshot.replay.push_back({4, EncodeConversationError(id, 4, "c", "", ClientError::kBusy)});
  auto restored = RestoreFrom(std::move(snapshot));
  auto peer = std::make_shared<FakePeer>();
  ASSERT_TRUE(Resume(restored, peer, token, 4).ok);
  ASSERT_TRUE(WaitForFrames(*peer, 2));
  EXPECT_EQ(*peer->delivered[0].text,
            EncodeConversationError(id, 5, "c", "r-9", ClientError::kInterrupted));
  Request(*restored, ClientMessage::Type::kGetHistory, "c");
  ASSERT_TRUE(WaitForFrames(*peer, 3));
  EXPECT_EQ(*peer->delivered[2].text,
            EncodeHistory(id, peer->delivered[2].seq, "c", {{true, "asked"}, {false, "part"}}));
}

}  // namespace
}  // namespace streamgate::gateway::testing

namespace streamgate::gateway::testing {
namespace {

// A busy session does not rewrite its row at every reply: last_seen is refreshed at most
// every eighth of the resume window (15 s at most), and always when the session detaches.
TEST_F(ChatSessionRestoreTest, LastSeenIsRefreshedAtMostEveryEighthOfTheWindow) {
  config_.resume_window = absl::Hours(1);  // refresh: every 15 s
  std::shared_ptr<FakePeer> peer;
  auto session = OpenAttached(&peer);
  UserMessage(*session, "q1");
  auto first = WaitForCall(0);
  ASSERT_NE(first, nullptr);
  auto stored = Load(store_, session->id());
  ASSERT_TRUE(stored.has_value());
  const int64_t first_seen = stored->session.last_seen_ms;
  first->Started();
  first->Completed("end_turn", 1, 1);
  first->Finish();
  ASSERT_TRUE(RunUntil([&] { return Field(peer->delivered.back(), "type") == "stream_end"; }));
  // Make sure a rewrite would show: the clock moves on before the next reply.
  const absl::Time moved = absl::FromUnixMillis(first_seen) + absl::Milliseconds(5);
  while (absl::Now() < moved) absl::SleepFor(absl::Milliseconds(1));
  UserMessage(*session, "q2");
  ASSERT_NE(WaitForCall(1), nullptr);
  stored = Load(store_, session->id());
  ASSERT_TRUE(stored.has_value());
  EXPECT_EQ(stored->session.last_seen_ms, first_seen);
  session->Detach(peer->attach_id());
  stored = Load(store_, session->id());
  ASSERT_TRUE(stored.has_value());
  EXPECT_GT(stored->session.last_seen_ms, first_seen);
}

}  // namespace
}  // namespace streamgate::gateway::testing

namespace streamgate::gateway::testing {
namespace {

// The store's queue was full and frames from 5 on were dropped: a client that saw frame 5
// (live) may still miss any of those sent after it, up to the reservation, so only one that
// has seen them all resumes; any other gets `gap`, never a resume with nothing replayed.
TEST_F(ChatSessionRestoreTest, AfterLostFramesOnlyAClientThatSawEverySentFrameResumes) {
  for (uint64_t last_seq : {uint64_t{4}, uint64_t{5}, uint64_t{60}, uint64_t{100}}) {
    const std::string id = "s-lost-" + std::to_string(last_seq);
    const std::string token = "the-token";
    SessionSnapshot snapshot = StoredByHand(id, token);
    snapshot.session.replay_lost_from = 5;
    snapshot.replay.push_back({2, EncodeStreamStart(id, 2, "c", "r-1")});
    snapshot.replay.push_back({3, EncodeStreamChunk(id, 3, "c", "part")});
    snapshot.replay.push_back({4, EncodeStreamChunk(id, 4, "c", "more")});
    auto restored = RestoreFrom(std::move(snapshot));
    auto peer = std::make_shared<FakePeer>();
    ChatSession::ResumeResult result = Resume(restored, peer, token, last_seq);
    if (last_seq == 100) {
      EXPECT_TRUE(result.ok);
    } else {
      EXPECT_FALSE(result.ok) << "lastSeq " << last_seq;
      EXPECT_EQ(result.failure, ResumeFailure::kGap) << "lastSeq " << last_seq;
    }
  }
}

}  // namespace
}  // namespace streamgate::gateway::testing
