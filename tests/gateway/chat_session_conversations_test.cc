// ChatSession's conversation threads: one reply per conversation, the session's limits, and
// get_history / list_conversations / delete_conversation.
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "gateway/chat_session.h"
#include "gateway/server_frames.h"
#include "gateway/store/session_store.h"
#include "gtest/gtest.h"
#include "tests/gateway/chat_session_fixture.h"

namespace streamgate::gateway::testing {
namespace {

class ChatSessionConversationsTest : public ChatSessionTest {
 protected:
  void Open() {
    session_ = OpenAttached(&peer_);
    ASSERT_EQ(peer_->delivered.size(), 1u);
  }
  const std::string& id() const { return session_->id(); }

  // The reply `text` in one delta (after `started`, unless it was sent already), ended OK;
  // runs until its stream_end is delivered.
  bool Complete(FakeReplyCall& call, const std::string& text, bool start = true) {
    size_t ends = Ends(call);
    if (start) call.Started();
    call.Delta(text);
    call.Completed("end_turn", 1, 1);
    call.Finish();
    return RunUntil([&] { return Ends(call) > ends; });
  }
  // The stream_end frames delivered for `call`'s request.
  size_t Ends(const FakeReplyCall& call) const {
    size_t count = 0;
    for (const auto& frame : peer_->delivered) {
      if (Field(frame, "type") == "stream_end" &&
          Field(frame, "requestId") == call.request().request_id()) {
        ++count;
      }
    }
    return count;
  }
  // Where the next frame goes and the seq it takes, taken before the request that makes it
  // (a frame may be delivered within the call); every earlier frame must be delivered.
  struct Next {
    size_t index;
    uint64_t seq;
  };
  Next Mark() const { return {peer_->delivered.size(), peer_->delivered.back().seq + 1}; }
  // The index-th frame delivered, once it has come.
  std::string FrameAt(size_t index) {
    if (!WaitForFrames(*peer_, index + 1)) return "<none>";
    return peer_->texts()[index];
  }

  std::shared_ptr<ChatSession> session_;
  std::shared_ptr<FakePeer> peer_;
};

TEST_F(ChatSessionConversationsTest, OneReplyAtATimePerConversationWhileOthersRunAlongside) {
  Open();
  UserMessage(*session_, "a1", "a");
  auto call_a = WaitForCall(0);
  ASSERT_NE(call_a, nullptr);
  UserMessage(*session_, "a2", "a");
  EXPECT_EQ(FrameAt(1), EncodeConversationError(id(), 2, "a", "", ClientError::kBusy));
  UserMessage(*session_, "b1", "b");
  auto call_b = WaitForCall(1);
  ASSERT_NE(call_b, nullptr);
  EXPECT_EQ(call_b->request().messages(0).content(), "b1");
  EXPECT_EQ(llm_server_.service().calls(), 2u);  // "a2" never reached llm-service

  call_b->Started();
  EXPECT_EQ(FrameAt(2),
            EncodeStreamStart(id(), 3, "b", call_b->request().request_id(), call_b->trace_id()));
  call_a->Started();
  EXPECT_EQ(FrameAt(3),
            EncodeStreamStart(id(), 4, "a", call_a->request().request_id(), call_a->trace_id()));
  call_b->Delta("x");
  EXPECT_EQ(FrameAt(4), EncodeStreamChunk(id(), 5, "b", "x"));
  call_a->Delta("y");
  EXPECT_EQ(FrameAt(5), EncodeStreamChunk(id(), 6, "a", "y"));
  ASSERT_TRUE(Complete(*call_a, "z", /*start=*/false));
  // Its conversation is free again; the other one's reply still runs.
  EXPECT_TRUE(session_->replying());
  UserMessage(*session_, "a3", "a");
  auto call_a3 = WaitForCall(2);
  ASSERT_NE(call_a3, nullptr);
  ASSERT_EQ(call_a3->request().messages_size(), 3);
  EXPECT_EQ(call_a3->request().messages(1).content(), "yz");
}

TEST_F(ChatSessionConversationsTest, MaxActiveRepliesRefusesAnotherConversationWithBusy) {
  config_.max_active_replies = 2;
  Open();
  UserMessage(*session_, "1", "a");
  auto call_a = WaitForCall(0);
  ASSERT_NE(call_a, nullptr);
  UserMessage(*session_, "2", "b");
  ASSERT_NE(WaitForCall(1), nullptr);
  UserMessage(*session_, "3", "c");
  EXPECT_EQ(FrameAt(1), EncodeConversationError(id(), 2, "c", "", ClientError::kBusy));
  EXPECT_EQ(llm_server_.service().calls(), 2u);
  ASSERT_TRUE(Complete(*call_a, "done"));
  UserMessage(*session_, "4", "c");
  auto call_c = WaitForCall(2);
  ASSERT_NE(call_c, nullptr);
  EXPECT_EQ(call_c->request().messages(0).content(), "4");
}

TEST_F(ChatSessionConversationsTest, MaxConversationsGivesLimitExceeded) {
  config_.max_conversations = 2;
  Open();
  UserMessage(*session_, "1", "a");
  auto call_a = WaitForCall(0);
  ASSERT_NE(call_a, nullptr);
  ASSERT_TRUE(Complete(*call_a, "one"));
  UserMessage(*session_, "2", "b");
  auto call_b = WaitForCall(1);
  ASSERT_NE(call_b, nullptr);
  ASSERT_TRUE(Complete(*call_b, "two"));
  Next next = Mark();
  UserMessage(*session_, "3", "c");
  EXPECT_EQ(FrameAt(next.index),
            EncodeConversationError(id(), next.seq, "c", "", ClientError::kLimitExceeded));
  EXPECT_EQ(llm_server_.service().calls(), 2u);
  // The conversations it has still take messages.
  UserMessage(*session_, "4", "a");
  auto call_a2 = WaitForCall(2);
  ASSERT_NE(call_a2, nullptr);
  EXPECT_EQ(call_a2->request().messages_size(), 3);
}

// A message refused with `busy` starts no conversation: it must not show in
// list_conversations, nor take one of --max-conversations.
TEST_F(ChatSessionConversationsTest, ABusyRefusalTakesNoConversationSlot) {
  config_.max_active_replies = 1;
  config_.max_conversations = 2;
  Open();
  UserMessage(*session_, "1", "a");
  auto call_a = WaitForCall(0);
  ASSERT_NE(call_a, nullptr);
  UserMessage(*session_, "2", "b");
  EXPECT_EQ(FrameAt(1), EncodeConversationError(id(), 2, "b", "", ClientError::kBusy));
  ASSERT_TRUE(Complete(*call_a, "one"));
  Next next = Mark();
  Request(*session_, ClientMessage::Type::kListConversations);
  std::string list = FrameAt(next.index);
  auto json = nlohmann::json::parse(list, nullptr, false);
  ASSERT_TRUE(json.is_object()) << list;
  EXPECT_EQ(json["conversations"].size(), 1u) << "only \"a\" was ever started: " << list;
  next = Mark();
  UserMessage(*session_, "3", "c");
  ASSERT_TRUE(RunUntil(
      [&] { return peer_->delivered.size() > next.index || llm_server_.service().calls() > 1; }));
  EXPECT_EQ(llm_server_.service().calls(), 2u)
      << "\"c\" was refused: "
      << (peer_->delivered.size() > next.index ? peer_->texts()[next.index] : "");
}

TEST_F(ChatSessionConversationsTest, GetHistoryHasTheCompletedExchangesAndSoHasTheNextRequest) {
  Open();
  UserMessage(*session_, "hi");
  auto call = WaitForCall(0);
  ASSERT_NE(call, nullptr);
  call->Started();
  call->Delta("Hel");
  call->Delta("lo");
  call->Completed("end_turn", 1, 2);
  call->Finish();
  ASSERT_TRUE(RunUntil([&] { return Ends(*call) == 1; }));
  Next next = Mark();
  Request(*session_, ClientMessage::Type::kGetHistory);
  EXPECT_EQ(FrameAt(next.index),
            EncodeHistory(id(), next.seq, "default", {{true, "hi"}, {false, "Hello"}}));
  next = Mark();
  Request(*session_, ClientMessage::Type::kGetHistory, "never-used");
  EXPECT_EQ(FrameAt(next.index), EncodeHistory(id(), next.seq, "never-used", {}));
  // llm-service is stateless: the next request carries the whole conversation.
  UserMessage(*session_, "again");
  auto again = WaitForCall(1);
  ASSERT_NE(again, nullptr);
  ASSERT_EQ(again->request().messages_size(), 3);
  EXPECT_EQ(again->request().messages(0).role(), llm::v1::ROLE_USER);
  EXPECT_EQ(again->request().messages(0).content(), "hi");
  EXPECT_EQ(again->request().messages(1).role(), llm::v1::ROLE_ASSISTANT);
  EXPECT_EQ(again->request().messages(1).content(), "Hello");
  EXPECT_EQ(again->request().messages(2).content(), "again");
}

TEST_F(ChatSessionConversationsTest, ListConversationsCountsExchangesWithTheirLastActivity) {
  Open();
  Request(*session_, ClientMessage::Type::kListConversations);
  EXPECT_EQ(FrameAt(1), EncodeConversations(id(), 2, {}));
  int64_t before_ms = absl::ToUnixMillis(absl::Now());
  UserMessage(*session_, "1", "a");
  auto call_a = WaitForCall(0);
  ASSERT_NE(call_a, nullptr);
  ASSERT_TRUE(Complete(*call_a, "one"));
  UserMessage(*session_, "2", "b");
  ASSERT_NE(WaitForCall(1), nullptr);  // still running: no exchange yet
  int64_t after_ms = absl::ToUnixMillis(absl::Now());
  Next next = Mark();
  Request(*session_, ClientMessage::Type::kListConversations);
  std::string list = FrameAt(next.index);
  auto json = nlohmann::json::parse(list, nullptr, false);
  ASSERT_TRUE(json.is_object()) << list;
  ASSERT_EQ(json["conversations"].size(), 2u) << list;
  int64_t last_a = json["conversations"][0]["lastActivity"].get<int64_t>();
  int64_t last_b = json["conversations"][1]["lastActivity"].get<int64_t>();
  EXPECT_GE(last_a, before_ms);
  EXPECT_LE(last_a, last_b);
  EXPECT_LE(last_b, after_ms);
  EXPECT_EQ(list, EncodeConversations(id(), next.seq, {{"a", 1, last_a}, {"b", 0, last_b}}));
}

TEST_F(ChatSessionConversationsTest, DeleteConversationCancelsItsReplyAndForgetsIt) {
  config_.max_active_replies = 1;
  Open();
  UserMessage(*session_, "1", "done");
  auto call_done = WaitForCall(0);
  ASSERT_NE(call_done, nullptr);
  ASSERT_TRUE(Complete(*call_done, "kept"));
  UserMessage(*session_, "2", "running");
  auto call = WaitForCall(1);
  ASSERT_NE(call, nullptr);
  call->Started();
  ASSERT_TRUE(RunUntil([&] {
    return Field(peer_->delivered.back(), "type") == "stream_start" &&
           Field(peer_->delivered.back(), "conversationId") == "running";
  }));
  Next next = Mark();
  Request(*session_, ClientMessage::Type::kDeleteConversation, "running");
  EXPECT_EQ(FrameAt(next.index), EncodeConversationDeleted(id(), next.seq, "running"));
  ASSERT_TRUE(RunUntil([&] { return call->cancelled(); }));
  // Its reply slot is free again (max_active_replies is 1).
  UserMessage(*session_, "3", "other");
  ASSERT_NE(WaitForCall(2), nullptr);

  next = Mark();
  Request(*session_, ClientMessage::Type::kDeleteConversation, "done");
  EXPECT_EQ(FrameAt(next.index), EncodeConversationDeleted(id(), next.seq, "done"));
  next = Mark();
  Request(*session_, ClientMessage::Type::kGetHistory, "done");
  EXPECT_EQ(FrameAt(next.index), EncodeHistory(id(), next.seq, "done", {}));
  next = Mark();
  Request(*session_, ClientMessage::Type::kDeleteConversation, "done");
  EXPECT_EQ(FrameAt(next.index),
            EncodeConversationError(id(), next.seq, "done", "", ClientError::kUnknownConversation));
  // Gone from the store as well; the conversation that was deleted first never got there.
  std::optional<SessionSnapshot> stored;
  store_.Load(id(), [&](std::optional<SessionSnapshot> s) { stored = std::move(s); });
  ASSERT_TRUE(stored.has_value());
  for (const auto& conversation : stored->conversations) {
    EXPECT_NE(conversation.conversation_id, "done");
    EXPECT_NE(conversation.conversation_id, "running");
  }
}

}  // namespace
}  // namespace streamgate::gateway::testing
