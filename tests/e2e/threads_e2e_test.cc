// Conversation threads: independent histories, busy per conversation, the session's limits,
// and history / list / delete.
#include <regex>

#include "gtest/gtest.h"
#include "tests/e2e/resume_helpers.h"

namespace streamgate::testing {
namespace {

Json InConversation(Json message, const std::string& conversation) {
  message["conversationId"] = conversation;
  return message;
}

Json Ask(const std::string& content, const std::string& conversation) {
  return InConversation(UserMessage(content), conversation);
}

TEST(ThreadsE2e, EachConversationSendsOnlyItsOwnHistoryToLlmService) {
  StreamgatePair pair;
  ASSERT_TRUE(pair.ok());
  WsTestClient client;
  std::string id = Open(client, pair.gateway_port());
  ASSERT_FALSE(id.empty());
  auto exchange = [&](const std::string& content, const std::string& conversation) {
    ASSERT_TRUE(client.SendJson(Ask(content, conversation)));
    Reply reply = ReadReply(client);
    ASSERT_TRUE(reply.end.has_value());
    EXPECT_EQ((*reply.start)["conversationId"], conversation);
    EXPECT_EQ((*reply.end)["conversationId"], conversation);
    for (const Json& frame : reply.frames) EXPECT_EQ(frame["conversationId"], conversation);
    EXPECT_EQ(reply.text, "Echo: " + content);
  };
  exchange("alpha one", "alpha");
  exchange("beta one", "beta");
  size_t from = pair.llm().LineCount();
  exchange("alpha two", "alpha");
  // alpha's history (2 messages) and the new one; nothing of beta.
  EXPECT_TRUE(pair.llm()
                  .WaitForLine(std::regex("call start session=" + id + " .*messages=3"), 5s, from)
                  .has_value());
  ASSERT_TRUE(client.SendJson({{"type", "get_history"}, {"conversationId", "alpha"}}));
  auto alpha = client.ReadUntilType("history");
  ASSERT_TRUE(alpha.has_value());
  EXPECT_EQ((*alpha)["conversationId"], "alpha");
  ASSERT_EQ((*alpha)["messages"].size(), 4u);
  EXPECT_EQ((*alpha)["messages"][0], Json({{"role", "user"}, {"content", "alpha one"}}));
  EXPECT_EQ((*alpha)["messages"][1],
            Json({{"role", "assistant"}, {"content", "Echo: alpha one"}}));
  EXPECT_EQ((*alpha)["messages"][2]["content"], "alpha two");
  ASSERT_TRUE(client.SendJson({{"type", "get_history"}, {"conversationId", "beta"}}));
  auto beta = client.ReadUntilType("history");
  ASSERT_TRUE(beta.has_value());
  ASSERT_EQ((*beta)["messages"].size(), 2u);
  EXPECT_EQ((*beta)["messages"][0]["content"], "beta one");
  // Without a conversationId: "default", empty so far.
  ASSERT_TRUE(client.SendJson({{"type", "get_history"}}));
  auto fallback = client.ReadUntilType("history");
  ASSERT_TRUE(fallback.has_value());
  EXPECT_EQ((*fallback)["conversationId"], "default");
  EXPECT_TRUE((*fallback)["messages"].empty());
}

TEST(ThreadsE2e, BusyIsPerConversationAndActiveRepliesAreCapped) {
  StreamgatePair pair(PairArgs({"--mock-chunk-delay-ms=50", "--mock-extra-words=100"},
                               {"--max-active-replies=2"}));
  ASSERT_TRUE(pair.ok());
  WsTestClient client;
  ASSERT_FALSE(Open(client, pair.gateway_port()).empty());
  ASSERT_TRUE(client.SendJson(Ask("first", "a")));
  ASSERT_TRUE(client.ReadUntilType("stream_start").has_value());
  ASSERT_TRUE(client.SendJson(Ask("second", "b")));  // another conversation: not busy
  ASSERT_TRUE(client.ReadUntilType("stream_start").has_value());
  auto error_for = [&](const Json& message) -> std::optional<Json> {
    if (!client.SendJson(message)) return std::nullopt;
    return client.ReadUntilType("error");
  };
  auto busy_a = error_for(Ask("again", "a"));
  ASSERT_TRUE(busy_a.has_value());
  EXPECT_EQ((*busy_a)["code"], "busy");
  EXPECT_EQ((*busy_a)["conversationId"], "a");
  auto busy_c = error_for(Ask("third", "c"));  // two running: the session's cap
  ASSERT_TRUE(busy_c.has_value());
  EXPECT_EQ((*busy_c)["code"], "busy");
  EXPECT_EQ((*busy_c)["conversationId"], "c");
  // cancel names its conversation: only a's reply stops.
  ASSERT_TRUE(client.SendJson(InConversation({{"type", "cancel"}}, "a")));
  std::vector<Json> skipped;
  auto cancelled = client.ReadUntilType("stream_end", 10s, &skipped);
  ASSERT_TRUE(cancelled.has_value());
  EXPECT_EQ((*cancelled)["conversationId"], "a");
  EXPECT_EQ((*cancelled)["cancelled"], true);
  auto nothing = error_for(InConversation({{"type", "cancel"}}, "c"));
  ASSERT_TRUE(nothing.has_value());
  EXPECT_EQ((*nothing)["code"], "nothing_to_cancel");
  ASSERT_TRUE(client.SendJson(Ask("third", "c")));  // a slot is free again
  auto start_c = client.ReadUntilType("stream_start");
  ASSERT_TRUE(start_c.has_value());
  EXPECT_EQ((*start_c)["conversationId"], "c");
}

TEST(ThreadsE2e, ConversationsBeyondTheLimitAreRefused) {
  StreamgatePair pair(PairArgs({"--mock-chunk-delay-ms=0"}, {"--max-conversations=2"}));
  ASSERT_TRUE(pair.ok());
  WsTestClient client;
  ASSERT_FALSE(Open(client, pair.gateway_port()).empty());
  for (const char* conversation : {"one", "two"}) {
    ASSERT_TRUE(client.SendJson(Ask("hi", conversation)));
    ASSERT_TRUE(ReadReply(client).end.has_value()) << conversation;
  }
  ASSERT_TRUE(client.SendJson(Ask("hi", "three")));
  auto refused = client.ReadUntilType("error");
  ASSERT_TRUE(refused.has_value());
  EXPECT_EQ((*refused)["code"], "limit_exceeded");
  EXPECT_EQ((*refused)["conversationId"], "three");
  // The existing ones still work.
  ASSERT_TRUE(client.SendJson(Ask("more", "two")));
  EXPECT_TRUE(ReadReply(client).end.has_value());
}

TEST(ThreadsE2e, ListAndDeleteConversations) {
  StreamgatePair pair;
  ASSERT_TRUE(pair.ok());
  WsTestClient client;
  ASSERT_FALSE(Open(client, pair.gateway_port()).empty());
  for (const auto& [content, conversation] :
       std::vector<std::pair<std::string, std::string>>{{"x", "keep"}, {"y", "drop"}, {"z", "keep"}}) {
    ASSERT_TRUE(client.SendJson(Ask(content, conversation)));
    ASSERT_TRUE(ReadReply(client).end.has_value());
  }
  auto list = [&]() -> Json {
    EXPECT_TRUE(client.SendJson({{"type", "list_conversations"}}));
    auto frame = client.ReadUntilType("conversations");
    return frame ? (*frame)["conversations"] : Json::array();
  };
  Json before = list();
  ASSERT_EQ(before.size(), 2u);
  EXPECT_EQ(before[0]["conversationId"], "keep");
  EXPECT_EQ(before[0]["exchanges"], 2);
  EXPECT_EQ(before[1]["conversationId"], "drop");
  EXPECT_EQ(before[1]["exchanges"], 1);
  EXPECT_GT(before[0]["lastActivity"].get<int64_t>(), 1'600'000'000'000);  // Unix ms
  ASSERT_TRUE(client.SendJson({{"type", "delete_conversation"}, {"conversationId", "drop"}}));
  auto deleted = client.ReadUntilType("conversation_deleted");
  ASSERT_TRUE(deleted.has_value());
  EXPECT_EQ((*deleted)["conversationId"], "drop");
  Json after = list();
  ASSERT_EQ(after.size(), 1u);
  EXPECT_EQ(after[0]["conversationId"], "keep");
  ASSERT_TRUE(client.SendJson({{"type", "delete_conversation"}, {"conversationId", "drop"}}));
  auto unknown = client.ReadUntilType("error");
  ASSERT_TRUE(unknown.has_value());
  EXPECT_EQ((*unknown)["code"], "unknown_conversation");
  ASSERT_TRUE(client.SendJson({{"type", "get_history"}, {"conversationId", "drop"}}));
  auto empty = client.ReadUntilType("history");
  ASSERT_TRUE(empty.has_value());
  EXPECT_TRUE((*empty)["messages"].empty());
  // A bad id is refused, the connection goes on.
  ASSERT_TRUE(client.SendJson(Ask("x", "no spaces allowed")));
  auto bad = client.ReadUntilType("error");
  ASSERT_TRUE(bad.has_value());
  EXPECT_EQ((*bad)["code"], "invalid_message");
}

}  // namespace
}  // namespace streamgate::testing
