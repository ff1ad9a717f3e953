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
