#include "gateway/client_protocol.h"

#include <nlohmann/json.hpp>
#include <set>

#include "gtest/gtest.h"

namespace streamgate::gateway {
namespace {

using Json = nlohmann::json;
constexpr std::string_view kSession = "3f2b6c1e-8d4a-4e0b-9c7d-2a1b3c4d5e6f";

struct BadInput {
  std::string frame;
  ClientError expected;
};

class ClientProtocolRejects : public ::testing::TestWithParam<BadInput> {};

TEST_P(ClientProtocolRejects, WithTheRightCode) {
  ParseResult result = ParseClientMessage(GetParam().frame, kSession);
  EXPECT_FALSE(result.message.has_value());
  EXPECT_EQ(ErrorCodeName(result.error), ErrorCodeName(GetParam().expected));
  EXPECT_FALSE(result.detail.empty());
}

INSTANTIATE_TEST_SUITE_P(
    BadFrames, ClientProtocolRejects,
    ::testing::Values(
        BadInput{"", ClientError::kInvalidJson}, BadInput{"{", ClientError::kInvalidJson},
        BadInput{"not json", ClientError::kInvalidJson},
        BadInput{"{\"type\":\"user_message\",\"content\":\"\xFF\"}", ClientError::kInvalidJson},
        BadInput{"[]", ClientError::kInvalidMessage}, BadInput{"42", ClientError::kInvalidMessage},
        BadInput{"\"user_message\"", ClientError::kInvalidMessage},
        BadInput{"null", ClientError::kInvalidMessage}, BadInput{"{}", ClientError::kUnknownType},
        BadInput{R"({"type":7,"content":"x"})", ClientError::kUnknownType},
        BadInput{R"({"type":"shout","content":"x"})", ClientError::kUnknownType},
        BadInput{R"({"type":"user_message"})", ClientError::kInvalidContent},
        BadInput{R"({"type":"user_message","content":""})", ClientError::kInvalidContent},
        BadInput{R"({"type":"user_message","content":"  \n\t "})", ClientError::kInvalidContent},
        BadInput{R"({"type":"user_message","content":42})", ClientError::kInvalidContent},
        BadInput{R"({"type":"user_message","content":["x"]})", ClientError::kInvalidContent},
        BadInput{R"({"type":"user_message","content":null})", ClientError::kInvalidContent},
        BadInput{R"({"type":"user_message","content":"x","sessionId":"other"})",
                 ClientError::kSessionMismatch},
        BadInput{R"({"type":"user_message","content":"x","sessionId":5})",
                 ClientError::kInvalidMessage},
        BadInput{R"({"type":"cancel","sessionId":"other"})", ClientError::kSessionMismatch},
        BadInput{R"({"type":"authenticate"})", ClientError::kInvalidMessage},
        BadInput{R"({"type":"authenticate","token":""})", ClientError::kInvalidMessage},
        BadInput{R"({"type":"authenticate","token":7})", ClientError::kInvalidMessage},
        BadInput{R"({"type":"authenticate","token":")" + std::string(8 * 1024 + 1, 'a') + "\"}",
                 ClientError::kInvalidMessage},
        BadInput{R"({"type":"user_message","content":"x","conversationId":""})",
                 ClientError::kInvalidMessage},
        BadInput{R"({"type":"user_message","content":"x","conversationId":"a b"})",
                 ClientError::kInvalidMessage},
        BadInput{R"({"type":"user_message","content":"x","conversationId":7})",
                 ClientError::kInvalidMessage},
        BadInput{R"({"type":"cancel","conversationId":")" + std::string(65, 'a') + "\"}",
                 ClientError::kInvalidMessage},
        BadInput{R"({"type":"resume","resumeToken":"t","lastSeq":1})",
                 ClientError::kInvalidMessage},
        BadInput{R"({"type":"resume","sessionId":"s","lastSeq":1})", ClientError::kInvalidMessage},
        BadInput{R"({"type":"resume","sessionId":"s","resumeToken":"","lastSeq":1})",
                 ClientError::kInvalidMessage},
        BadInput{R"({"type":"resume","sessionId":"s","resumeToken":"t"})",
                 ClientError::kInvalidMessage},
        BadInput{R"({"type":"resume","sessionId":"s","resumeToken":"t","lastSeq":-1})",
                 ClientError::kInvalidMessage},
        BadInput{R"({"type":"resume","sessionId":"s","resumeToken":"t","lastSeq":"3"})",
                 ClientError::kInvalidMessage},
        BadInput{R"({"type":"resume","sessionId":"s","resumeToken":"t","lastSeq":1.5})",
                 ClientError::kInvalidMessage},
        BadInput{R"({"type":"resume","sessionId":7,"resumeToken":"t","lastSeq":1})",
                 ClientError::kInvalidMessage},
        BadInput{R"({"type":"ack"})", ClientError::kInvalidMessage},
        BadInput{R"({"type":"ack","seq":-2})", ClientError::kInvalidMessage},
        BadInput{R"({"type":"delete_conversation"})", ClientError::kInvalidMessage}));

TEST(ClientProtocol, AcceptsAuthenticateWithItsToken) {
  auto parsed = ParseClientMessage(R"({"type":"authenticate","token":"a.b.c"})", kSession);
  ASSERT_TRUE(parsed.message.has_value());
  EXPECT_EQ(parsed.message->type, ClientMessage::Type::kAuthenticate);
  EXPECT_EQ(parsed.message->content, "a.b.c");
}

TEST(ClientProtocol, AcceptsUserMessageWithOwnOrMissingSessionId) {
  auto with_id = ParseClientMessage(R"({"type":"user_message","content":"hi there","sessionId":")" +
                                        std::string(kSession) + R"("})",
                                    kSession);
  ASSERT_TRUE(with_id.message.has_value());
  EXPECT_EQ(with_id.message->type, ClientMessage::Type::kUserMessage);
  EXPECT_EQ(with_id.message->content, "hi there");

  auto without_id = ParseClientMessage(R"({"type":"user_message","content":" x "})", kSession);
  ASSERT_TRUE(without_id.message.has_value());
  EXPECT_EQ(without_id.message->content, " x ");  // content is passed on exactly
}

TEST(ClientProtocol, AcceptsCancel) {
  auto result = ParseClientMessage(R"({"type":"cancel"})", kSession);
  ASSERT_TRUE(result.message.has_value());
  EXPECT_EQ(result.message->type, ClientMessage::Type::kCancel);
}

TEST(ClientProtocol, IgnoresUnknownExtraFields) {
  auto result =
      ParseClientMessage(R"({"type":"user_message","content":"x","extra":{"a":[1]}})", kSession);
  EXPECT_TRUE(result.message.has_value());
}

TEST(ClientProtocol, TakesAValidTraceparentAndIgnoresAnyOther) {
  auto traced = ParseClientMessage(
      R"({"type":"user_message","content":"x",)"
      R"("traceparent":"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"})",
      kSession);
  ASSERT_TRUE(traced.message.has_value());
  ASSERT_TRUE(traced.message->trace.has_value());
  EXPECT_EQ(traced.message->trace->trace_id, "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(traced.message->trace->parent_id, "00f067aa0ba902b7");
  EXPECT_EQ(traced.message->trace->flags, "01");
  // Never a reason to refuse the message: junk, a wrong type or nothing leave no trace.
  for (const char* junk : {R"("traceparent":"00-nope")", R"("traceparent":42)",
                           R"("traceparent":null)", R"("traceparent":{"a":1})", R"("x":1)"}) {
    auto parsed = ParseClientMessage(
        std::string(R"({"type":"user_message","content":"x",)") + junk + "}", kSession);
    ASSERT_TRUE(parsed.message.has_value()) << junk;
    EXPECT_FALSE(parsed.message->trace.has_value()) << junk;
  }
}

TEST(ClientProtocol, UnknownTypeDetailDoesNotEchoClientText) {
  auto result = ParseClientMessage(R"({"type":"<script>secret</script>"})", kSession);
  EXPECT_EQ(result.detail.find("secret"), std::string::npos);
}

TEST(ClientProtocol, AcceptsResumeWithItsFields) {
  auto parsed = ParseClientMessage(
      R"({"type":"resume","sessionId":"other-session","resumeToken":"tok_-9","lastSeq":17})",
      kSession);
  ASSERT_TRUE(parsed.message.has_value()) << parsed.detail;
  EXPECT_EQ(parsed.message->type, ClientMessage::Type::kResume);
  EXPECT_EQ(parsed.message->session_id, "other-session");  // a resume names another session
  EXPECT_EQ(parsed.message->content, "tok_-9");
  EXPECT_EQ(parsed.message->seq, 17u);
}

TEST(ClientProtocol, ConversationIdDefaultsAndIsChecked) {
  auto plain = ParseClientMessage(R"({"type":"user_message","content":"x"})", kSession);
  ASSERT_TRUE(plain.message.has_value());
  EXPECT_EQ(plain.message->conversation_id, "default");
  auto named = ParseClientMessage(R"({"type":"cancel","conversationId":"Trip_plans-2"})", kSession);
  ASSERT_TRUE(named.message.has_value());
  EXPECT_EQ(named.message->conversation_id, "Trip_plans-2");
  auto longest = ParseClientMessage(
      R"({"type":"get_history","conversationId":")" + std::string(64, 'a') + "\"}", kSession);
  EXPECT_TRUE(longest.message.has_value());
}

TEST(ClientProtocol, ConversationIdRuleByteByByte) {
  EXPECT_TRUE(IsValidConversationId("a"));
  EXPECT_TRUE(IsValidConversationId("AZaz09_-"));
  EXPECT_TRUE(IsValidConversationId(std::string(64, 'z')));
  EXPECT_FALSE(IsValidConversationId(""));
  EXPECT_FALSE(IsValidConversationId(std::string(65, 'z')));
  for (char c : std::string(" ./:;@[]{}~\"\\\n\x7f\x80")) {
    EXPECT_FALSE(IsValidConversationId(std::string("ab") + c)) << static_cast<int>(c);
  }
}

TEST(ClientProtocol, AcceptsAckHistoryListAndDelete) {
  auto ack = ParseClientMessage(R"({"type":"ack","seq":5})", kSession);
  ASSERT_TRUE(ack.message.has_value());
  EXPECT_EQ(ack.message->type, ClientMessage::Type::kAck);
  EXPECT_EQ(ack.message->seq, 5u);
  auto list = ParseClientMessage(R"({"type":"list_conversations"})", kSession);
  ASSERT_TRUE(list.message.has_value());
  EXPECT_EQ(list.message->type, ClientMessage::Type::kListConversations);
  auto history = ParseClientMessage(R"({"type":"get_history"})", kSession);
  ASSERT_TRUE(history.message.has_value());
  EXPECT_EQ(history.message->type, ClientMessage::Type::kGetHistory);
  EXPECT_EQ(history.message->conversation_id, "default");
  auto remove =
      ParseClientMessage(R"({"type":"delete_conversation","conversationId":"t1"})", kSession);
  ASSERT_TRUE(remove.message.has_value());
  EXPECT_EQ(remove.message->type, ClientMessage::Type::kDeleteConversation);
  EXPECT_EQ(remove.message->conversation_id, "t1");
}

TEST(ClientProtocol, ReadsTheFactsOfOurOwnFrames) {
  auto facts = ReadFrameFacts(
      R"({"type":"stream_chunk","seq":3,"conversationId":"c1","content":"a\"b\u00e9"})");
  ASSERT_TRUE(facts.has_value());
  EXPECT_EQ(facts->type, "stream_chunk");
  EXPECT_EQ(facts->conversation, "c1");
  EXPECT_EQ(facts->chunk_text, "a\"b\xc3\xa9");
  EXPECT_EQ(facts->request_id, "");
  auto end = ReadFrameFacts(
      R"({"type":"stream_end","conversationId":"c1","requestId":"r-1","content":"x"})");
  ASSERT_TRUE(end.has_value());
  EXPECT_EQ(end->request_id, "r-1");
  EXPECT_EQ(end->chunk_text, "");
  EXPECT_FALSE(ReadFrameFacts("not json").has_value());
  EXPECT_FALSE(ReadFrameFacts(R"({"seq":3})").has_value());
}

TEST(ClientProtocol, EveryErrorHasADistinctCodeAndText) {
  std::set<std::string_view> codes;
  for (int e = 0; e <= static_cast<int>(kLastClientError); ++e) {
    auto error = static_cast<ClientError>(e);
    EXPECT_TRUE(codes.insert(ErrorCodeName(error)).second) << ErrorCodeName(error);
    EXPECT_FALSE(ErrorText(error).empty());
  }
}

TEST(ClientProtocol, StatusMappingIsGenericAndStable) {
  struct Case {
    grpc::StatusCode code;
    ClientError expected;
  };
  for (auto [code, expected] : std::vector<Case>{
           {grpc::StatusCode::UNAVAILABLE, ClientError::kUpstreamUnavailable},
           {grpc::StatusCode::RESOURCE_EXHAUSTED, ClientError::kRateLimited},
           {grpc::StatusCode::DEADLINE_EXCEEDED, ClientError::kTimeout},
           {grpc::StatusCode::INVALID_ARGUMENT, ClientError::kUpstreamError},
           {grpc::StatusCode::UNAUTHENTICATED, ClientError::kUpstreamError},
           {grpc::StatusCode::INTERNAL, ClientError::kUpstreamError},
       }) {
    grpc::Status status(code, "secret upstream detail sk-ant-123");
    ClientError error = ClientErrorForStatus(status);
    EXPECT_EQ(ErrorCodeName(error), ErrorCodeName(expected)) << static_cast<int>(code);
    EXPECT_EQ(std::string(ErrorText(error)).find("sk-ant"), std::string::npos);
  }
}

}  // namespace
}  // namespace streamgate::gateway
