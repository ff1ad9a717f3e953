#include "tests/fakes/messages_request.h"

#include <gtest/gtest.h>

#include <string>

namespace streamgate::fake_claude {
namespace {

TEST(MessagesRequest, ParsesWhatTheFakeActsOn) {
  auto request = MessagesRequest::Parse(R"({"model":"claude-x","max_tokens":64,"stream":true,
      "messages":[{"role":"user","content":"first"},{"role":"assistant","content":"ok"},
                  {"role":"user","content":"second [fake:slow:5]"}]})");
  ASSERT_TRUE(request.ok()) << request.status();
  EXPECT_EQ(request->model(), "claude-x");
  EXPECT_EQ(request->max_tokens(), 64);
  EXPECT_EQ(request->message_count(), 3);
  EXPECT_EQ(request->last_user_text(), "second [fake:slow:5]");
}

TEST(MessagesRequest, ContentBlocksAreConcatenatedAndAssistantPrefillAllowed) {
  auto request = MessagesRequest::Parse(R"({"model":"m","max_tokens":1,"stream":true,
      "system":[{"type":"text","text":"be brief"}],
      "messages":[{"role":"user","content":[{"type":"text","text":"a"},
                                             {"type":"image","source":{}},
                                             {"type":"text","text":"b"}]},
                  {"role":"assistant","content":"prefill"}]})");
  ASSERT_TRUE(request.ok()) << request.status();
  EXPECT_EQ(request->last_user_text(), "ab");
  EXPECT_EQ(request->message_count(), 2);
}

TEST(MessagesRequest, RejectsWhatTheApiRejects) {
  const char* kMessages = R"("messages":[{"role":"user","content":"hi"}])";
  std::string base = std::string(R"({"model":"m","max_tokens":5,"stream":true,)") + kMessages;
  for (
      const std::string& body : {
          std::string("not json"),
          std::string("[1,2]"),
          std::string(R"({"max_tokens":5,"stream":true,)") + kMessages + "}",
          std::string(R"({"model":"","max_tokens":5,"stream":true,)") + kMessages + "}",
          std::string(R"({"model":"m","stream":true,)") + kMessages + "}",
          std::string(R"({"model":"m","max_tokens":0,"stream":true,)") + kMessages + "}",
          std::string(R"({"model":"m","max_tokens":"5","stream":true,)") + kMessages + "}",
          std::string(R"({"model":"m","max_tokens":5,"stream":true})"),
          std::string(R"({"model":"m","max_tokens":5,"stream":true,"messages":[]})"),
          std::string(
              R"({"model":"m","max_tokens":5,"stream":true,"messages":[{"role":"bot","content":"x"}]})"),
          std::string(R"({"model":"m","max_tokens":5,"stream":true,"messages":[{"role":"user"}]})"),
          std::string(
              R"({"model":"m","max_tokens":5,"stream":true,"messages":[{"role":"assistant","content":"x"}]})"),
          std::string(R"({"model":"m","max_tokens":5,)") + kMessages + "}",
          std::string(R"({"model":"m","max_tokens":5,"stream":false,)") + kMessages + "}",
          std::string(R"({"model":"m","max_tokens":5,"stream":true,"temperature":2,)") + kMessages +
              "}",
      }) {
    auto request = MessagesRequest::Parse(body);
    EXPECT_FALSE(request.ok()) << body;
  }
  EXPECT_TRUE(MessagesRequest::Parse(base + "}").ok());
}

TEST(MessagesRequest, ConversationKeyIgnoresFormattingAndSamplingButNotMessages) {
  auto a = MessagesRequest::Parse(
      R"({"model":"m","max_tokens":5,"stream":true,"messages":[{"role":"user","content":"hi"}]})");
  auto b = MessagesRequest::Parse(
      R"({ "stream": true, "messages": [ {"content": "hi", "role": "user"} ], "max_tokens": 9,
           "temperature": 0.5, "model": "m" })");
  auto c = MessagesRequest::Parse(
      R"({"model":"m","max_tokens":5,"stream":true,"messages":[{"role":"user","content":"hi!"}]})");
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  EXPECT_EQ(a->conversation_key(), b->conversation_key());
  EXPECT_NE(a->conversation_key(), c->conversation_key());
}

}  // namespace
}  // namespace streamgate::fake_claude
