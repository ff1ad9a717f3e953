#include "tools/streamgate-cli/ws_protocol.h"

#include <nlohmann/json.hpp>

#include "gtest/gtest.h"

namespace streamgate::cli {
namespace {

using Json = nlohmann::json;

TEST(WsProtocol, ParsesTheFieldsOfEachServerFrame) {
  auto chunk =
      ParseServerFrame(R"({"type":"stream_chunk","sessionId":"s1","seq":3,"content":"Hi "})");
  ASSERT_TRUE(chunk.has_value());
  EXPECT_EQ(chunk->type, "stream_chunk");
  EXPECT_EQ(chunk->session_id, "s1");
  EXPECT_EQ(chunk->content, "Hi ");

  auto error = ParseServerFrame(R"({"type":"error","error":"Busy","code":"busy"})");
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->error, "Busy");
  EXPECT_EQ(error->code, "busy");

  auto cancelled = ParseServerFrame(R"({"type":"stream_end","cancelled":true})");
  ASSERT_TRUE(cancelled.has_value());
  EXPECT_TRUE(cancelled->cancelled);
  auto ended = ParseServerFrame(R"({"type":"stream_end","stopReason":"end_turn"})");
  ASSERT_TRUE(ended.has_value());
  EXPECT_FALSE(ended->cancelled);
}

TEST(WsProtocol, RejectsFramesWithoutAStringType) {
  for (const char* text : {"", "not json", "[1,2]", "{}", R"({"type":7})", R"({"content":"x"})"}) {
    EXPECT_FALSE(ParseServerFrame(text).has_value()) << text;
  }
}

TEST(WsProtocol, FieldsOfAnUnexpectedTypeCountAsAbsent) {
  auto frame = ParseServerFrame(R"({"type":"stream_chunk","content":17,"cancelled":"yes"})");
  ASSERT_TRUE(frame.has_value());
  EXPECT_EQ(frame->content, "");
  EXPECT_FALSE(frame->cancelled);
}

TEST(WsProtocol, EncodesUserMessageAndCancel) {
  Json message = Json::parse(EncodeUserMessage("say \"hi\"\n", "s1"));
  EXPECT_EQ(message,
            (Json{{"type", "user_message"}, {"content", "say \"hi\"\n"}, {"sessionId", "s1"}}));
  EXPECT_EQ(Json::parse(EncodeUserMessage("x", "")),
            (Json{{"type", "user_message"}, {"content", "x"}}));
  EXPECT_EQ(Json::parse(EncodeCancel("s1")), (Json{{"type", "cancel"}, {"sessionId", "s1"}}));
}

TEST(WsProtocol, ParsesTheFieldsOfSessionsAndThreads) {
  auto hello = ParseServerFrame(
      R"({"type":"connection_established","sessionId":"s1","seq":1,"resumeToken":"T1"})");
  ASSERT_TRUE(hello.has_value());
  EXPECT_EQ(hello->seq, 1u);
  EXPECT_EQ(hello->resume_token, "T1");
  auto resumed = ParseServerFrame(
      R"({"type":"session_resumed","sessionId":"s1","seq":9,"replayed":4,"resumeToken":"T2"})");
  ASSERT_TRUE(resumed.has_value());
  EXPECT_EQ(resumed->replayed, 4);
  EXPECT_EQ(resumed->resume_token, "T2");
  auto failed = ParseServerFrame(
      R"({"type":"error","code":"resume_failed","reason":"gap","oldestSeq":3,"seq":2})");
  ASSERT_TRUE(failed.has_value());
  EXPECT_EQ(failed->reason, "gap");
  auto away = ParseServerFrame(R"({"type":"going_away","retryAfterMs":1500,"seq":7})");
  ASSERT_TRUE(away.has_value());
  EXPECT_EQ(away->retry_after_ms, 1500);
  auto chunk = ParseServerFrame(R"({"type":"stream_chunk","conversationId":"c-2","seq":5})");
  ASSERT_TRUE(chunk.has_value());
  EXPECT_EQ(chunk->conversation_id, "c-2");
  EXPECT_EQ(chunk->retry_after_ms, -1);
  // A seq that is not a non-negative integer counts as absent.
  for (const char* text :
       {R"({"type":"x","seq":-1})", R"({"type":"x","seq":"3"})", R"({"type":"x","seq":1.5})"}) {
    EXPECT_EQ(ParseServerFrame(text)->seq, 0u) << text;
  }
}

TEST(WsProtocol, RedactsResumeTokensAndKeepsTheRestAsReceived) {
  std::string hello =
      R"({"type":"connection_established","sessionId":"s1","seq":1,"content":"hi","resumeToken":"SECRET"})";
  EXPECT_EQ(
      RedactSecrets(hello),
      R"({"type":"connection_established","sessionId":"s1","seq":1,"content":"hi","resumeToken":"<redacted>"})");
  std::string nested = R"({"type":"x","a":[{"resumeToken":"SECRET"}],"b":{"resumeToken":7}})";
  EXPECT_EQ(RedactSecrets(nested).find("SECRET"), std::string::npos);
  EXPECT_EQ(RedactSecrets(nested).find("7"), std::string::npos);
  // Frames without a token come out byte for byte, spacing and all.
  std::string chunk = R"({"type":"stream_chunk", "content":"resume token?"})";
  EXPECT_EQ(RedactSecrets(chunk), chunk);
  // Text that mentions the field but is not JSON is not printed at all.
  EXPECT_EQ(RedactSecrets(R"(not json "resumeToken":"SECRET")"), "<redacted>");
}

TEST(WsProtocol, ConversationIdsAreOneToSixtyFourSafeCharacters) {
  for (const std::string& id :
       std::vector<std::string>{"default", "a", "Thread_2-b", std::string(64, 'x')}) {
    EXPECT_TRUE(ValidateConversationId(id).ok()) << id;
  }
  for (const std::string& id : std::vector<std::string>{"", "has space", "dot.ted", "caf\xC3\xA9",
                                                        "a/b", std::string(65, 'x')}) {
    absl::Status status = ValidateConversationId(id);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << id;
    EXPECT_NE(status.message().find("1-64 characters of A-Z, a-z, 0-9, '_' and '-'"),
              std::string::npos)
        << status.message();
  }
}

TEST(WsProtocol, EncodesConversationAndResume) {
  EXPECT_EQ(Json::parse(EncodeUserMessage("x", "s1", "alpha")),
            (Json{{"type", "user_message"},
                  {"content", "x"},
                  {"sessionId", "s1"},
                  {"conversationId", "alpha"}}));
  EXPECT_EQ(Json::parse(EncodeCancel("", "alpha")),
            (Json{{"type", "cancel"}, {"conversationId", "alpha"}}));
  EXPECT_EQ(Json::parse(EncodeResume("s1", "T", 42)),
            (Json{{"type", "resume"}, {"sessionId", "s1"}, {"resumeToken", "T"}, {"lastSeq", 42}}));
}

TEST(WsProtocol, InvalidUtf8IsReplacedNotSent) {
  EXPECT_EQ(SanitizeUtf8("caf\xC3\xA9 \xF0\x9F\x98\x80"), "caf\xC3\xA9 \xF0\x9F\x98\x80");
  EXPECT_EQ(SanitizeUtf8("caf\xE9!"), "caf\xEF\xBF\xBD!");                          // Latin-1 byte
  EXPECT_EQ(SanitizeUtf8("\xC3"), "\xEF\xBF\xBD");                                  // truncated
  EXPECT_EQ(SanitizeUtf8("\xED\xA0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // surrogate
  EXPECT_EQ(SanitizeUtf8("\xC0\xAF"), "\xEF\xBF\xBD\xEF\xBF\xBD");                  // overlong
  Json message = Json::parse(EncodeUserMessage("caf\xE9", ""));
  EXPECT_EQ(message["content"], "caf\xEF\xBF\xBD");
}

}  // namespace
}  // namespace streamgate::cli
