#include "gateway/conversation.h"

#include "gtest/gtest.h"

namespace streamgate::gateway {
namespace {

using llm::v1::ROLE_ASSISTANT;
using llm::v1::ROLE_USER;

std::vector<std::pair<llm::v1::Role, std::string>> Messages(Conversation& conversation,
                                                            const std::string& next) {
  const auto& request = conversation.Request("s", "r", next);
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

TEST(Conversation, ExactlyAtTheBoundIsKept) {
  Conversation conversation(8);
  conversation.Record("abcd", "efgh");
  EXPECT_EQ(conversation.exchanges(), 1u);
}

TEST(Conversation, RequestCarriesTheIdsAndOneNewTurn) {
  Conversation conversation(1024);
  conversation.Record("q1", "a1");
  const auto& request = conversation.Request("session-1", "request-1", "q2");
  EXPECT_EQ(request.session_id(), "session-1");
  EXPECT_EQ(request.request_id(), "request-1");
  ASSERT_EQ(request.messages_size(), 3);
  EXPECT_EQ(request.messages(2).content(), "q2");
  EXPECT_EQ(request.messages(2).role(), ROLE_USER);
}

TEST(Conversation, ATurnThatFailedIsNotInTheNextRequest) {
  Conversation conversation(1024);
  conversation.Request("s", "r1", "failed turn");  // the reply fails: no Record
  EXPECT_EQ(Messages(conversation, "again"),
            (std::vector<std::pair<llm::v1::Role, std::string>>{{ROLE_USER, "again"}}));
  EXPECT_EQ(conversation.exchanges(), 0u);
}

TEST(Conversation, RecordReplacesThePendingTurnWithTheExchange) {
  Conversation conversation(1024);
  conversation.Request("s", "r1", "q1");
  conversation.Record("q1", "a1");
  conversation.Request("s", "r2", "q2");
  conversation.Record("q2", "");  // cancelled before any text: no trace
  EXPECT_EQ(Messages(conversation, "q3"),
            (std::vector<std::pair<llm::v1::Role, std::string>>{
                {ROLE_USER, "q1"}, {ROLE_ASSISTANT, "a1"}, {ROLE_USER, "q3"}}));
}

}  // namespace
}  // namespace streamgate::gateway
