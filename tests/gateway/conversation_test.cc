#include "gateway/conversation.h"

#include "gtest/gtest.h"
#include "streamgate/llm/v1/llm_service.pb.h"

namespace streamgate::gateway {
namespace {

using llm::v1::ROLE_ASSISTANT;
using llm::v1::ROLE_USER;

llm::v1::StreamChatRequest Decoded(const std::string& wire) {
  llm::v1::StreamChatRequest request;
  EXPECT_TRUE(request.ParseFromString(wire));
  return request;
}

std::vector<std::pair<llm::v1::Role, std::string>> Messages(const Conversation& conversation,
                                                            const std::string& next) {
  auto request = Decoded(conversation.Request("s", "r", next));
  std::vector<std::pair<llm::v1::Role, std::string>> out;
  for (const auto& m : request.messages()) out.emplace_back(m.role(), m.content());
  return out;
}

TEST(Conversation, EmptyHistorySendsJustTheNewMessage) {
  Conversation conversation(1024);
  EXPECT_EQ(Messages(conversation, "hi"),
            (std::vector<std::pair<llm::v1::Role, std::string>>{{ROLE_USER, "hi"}}));
}

TEST(Conversation, ExchangesAlternateOldestFirst) {
  Conversation conversation(1024);
  conversation.Record("q1", "a1");
  conversation.Record("q2", "a2");
  EXPECT_EQ(Messages(conversation, "q3"),
            (std::vector<std::pair<llm::v1::Role, std::string>>{{ROLE_USER, "q1"},
                                                                {ROLE_ASSISTANT, "a1"},
                                                                {ROLE_USER, "q2"},
                                                                {ROLE_ASSISTANT, "a2"},
                                                                {ROLE_USER, "q3"}}));
}

TEST(Conversation, AnExchangeWithoutReplyTextLeavesNoTrace) {
  Conversation conversation(1024);
  conversation.Record("cancelled before any text", "");
  EXPECT_EQ(conversation.exchanges(), 0u);
  EXPECT_EQ(conversation.bytes(), 0u);
}

TEST(Conversation, AReplyOfOnlyWhitespaceLeavesNoTrace) {
  // llm-service refuses blank turns: kept, it would fail every later message here.
  Conversation conversation(1024);
  conversation.Record("q", " \n\t ");
  EXPECT_EQ(conversation.exchanges(), 0u);
  conversation.Record("q", " a ");
  EXPECT_EQ(conversation.exchanges(), 1u);
}

TEST(Conversation, OldestExchangesGoFirstAtTheBound) {
  Conversation conversation(20);
  conversation.Record("aaaa", "AAAA");  // 8 bytes
  conversation.Record("bbbb", "BBBB");  // 16
  conversation.Record("cccc", "CCCC");  // 24 > 20: "a" goes
  EXPECT_EQ(conversation.exchanges(), 2u);
  EXPECT_EQ(conversation.bytes(), 16u);
  auto messages = Messages(conversation, "d");
  ASSERT_EQ(messages.size(), 5u);
  EXPECT_EQ(messages[0].second, "bbbb");
  EXPECT_EQ(messages[0].first, ROLE_USER);
}

TEST(Conversation, AnExchangeLargerThanTheBoundIsNotKept) {
  Conversation conversation(10);
  conversation.Record("q", "a");
  conversation.Record(std::string(6, 'x'), std::string(6, 'y'));
  EXPECT_EQ(conversation.exchanges(), 0u);
  EXPECT_EQ(conversation.bytes(), 0u);
  EXPECT_EQ(Messages(conversation, "n").size(), 1u);
}

TEST(Conversation, RecordingAnOversizedExchangeLeavesWhatRecordingItsTextWould) {
  Conversation recorded(10), oversized(10);
  for (Conversation* c : {&recorded, &oversized}) {
    c->Record("q", "a");
    c->Record("r", "b");
  }
  EXPECT_FALSE(recorded.Fits(11));
  EXPECT_TRUE(recorded.Fits(10));
  recorded.Record(std::string(5, 'x'), std::string(6, 'y'));
  oversized.RecordOversized();
  EXPECT_EQ(oversized.exchanges(), recorded.exchanges());
  EXPECT_EQ(oversized.bytes(), recorded.bytes());
  EXPECT_EQ(oversized.Serialize(), recorded.Serialize());
}

TEST(Conversation, ExactlyAtTheBoundIsKept) {
  Conversation conversation(8);
  conversation.Record("abcd", "efgh");
  EXPECT_EQ(conversation.exchanges(), 1u);
}

TEST(Conversation, RequestIsTheSameMessageAsBuiltFieldByField) {
  Conversation conversation(1024);
  conversation.Record("q1", "a1 with \"quotes\" and \xc3\xa9");
  auto request = Decoded(conversation.Request("session-1", "request-1", "q2"));
  llm::v1::StreamChatRequest expected;
  expected.set_session_id("session-1");
  expected.set_request_id("request-1");
  for (auto [role, text] :
       {std::pair{ROLE_USER, "q1"}, std::pair{ROLE_ASSISTANT, "a1 with \"quotes\" and \xc3\xa9"},
        std::pair{ROLE_USER, "q2"}}) {
    auto* message = expected.add_messages();
    message->set_role(role);
    message->set_content(text);
  }
  EXPECT_EQ(request.SerializeAsString(), expected.SerializeAsString());
}

TEST(Conversation, DroppingTheOldestKeepsTheEncodingWhole) {
  Conversation conversation(30);
  for (int i = 0; i < 20; ++i) {
    conversation.Record("q" + std::to_string(i), std::string(i % 7 + 1, 'a'));
  }
  auto request = Decoded(conversation.Request("s", "r", "last"));
  ASSERT_EQ(request.messages_size() % 2, 1);
  EXPECT_EQ(static_cast<size_t>(request.messages_size()), conversation.exchanges() * 2 + 1);
  EXPECT_EQ(request.messages(0).role(), ROLE_USER);
  EXPECT_EQ(request.messages(request.messages_size() - 2).content(), std::string(19 % 7 + 1, 'a'));
  EXPECT_LE(conversation.bytes(), 30u);
}

TEST(Conversation, TheStoredFormRestoresTheSameHistory) {
  Conversation original(1024);
  original.Record("q1", "a1");
  original.Record("q2", "a2");
  Conversation restored(1024);
  std::string pending = "left over";
  ASSERT_TRUE(restored.Restore(original.Serialize(), &pending));
  EXPECT_EQ(pending, "");
  EXPECT_EQ(restored.exchanges(), 2u);
  EXPECT_EQ(restored.Serialize(), original.Serialize());
}

TEST(Conversation, AStoredPendingTurnComesBackApartFromTheHistory) {
  Conversation original(1024);
  original.Record("q1", "a1");
  std::string blob = original.SerializeWithPending("q2 still running");
  Conversation restored(1024);
  std::string pending;
  ASSERT_TRUE(restored.Restore(blob, &pending));
  EXPECT_EQ(pending, "q2 still running");
  EXPECT_EQ(restored.exchanges(), 1u);
  EXPECT_EQ(restored.Serialize(), original.Serialize());
  // Without a place to put it, the pending turn is dropped, never taken as history.
  Conversation plain(1024);
  ASSERT_TRUE(plain.Restore(blob));
  EXPECT_EQ(plain.exchanges(), 1u);
  // The first message of a conversation can be pending too.
  Conversation fresh(1024);
  ASSERT_TRUE(fresh.Restore(Conversation(1024).SerializeWithPending("first"), &pending));
  EXPECT_EQ(pending, "first");
  EXPECT_EQ(fresh.exchanges(), 0u);
}

TEST(Conversation, ABlobThatDoesNotAlternateRestoresNothing) {
  llm::v1::StreamChatRequest holder;
  for (auto role : {ROLE_USER, ROLE_ASSISTANT, ROLE_ASSISTANT}) {
    auto* message = holder.add_messages();
    message->set_role(role);
    message->set_content("x");
  }
  Conversation restored(1024);
  std::string pending;
  EXPECT_FALSE(restored.Restore(holder.SerializeAsString(), &pending));
  EXPECT_EQ(restored.exchanges(), 0u);
  EXPECT_EQ(pending, "");
  EXPECT_FALSE(restored.Restore("\xff\xff not protobuf", &pending));
}

}  // namespace
}  // namespace streamgate::gateway
