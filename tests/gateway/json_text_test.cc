#include "gateway/json_text.h"

#include <nlohmann/json.hpp>

#include "gtest/gtest.h"

namespace streamgate::gateway {
namespace {

std::string Encode(std::string_view text) {
  std::string out;
  AppendJsonString(&out, text);
  return out;
}

TEST(JsonText, PlainTextIsQuotedUnchanged) {
  EXPECT_EQ(Encode(""), R"("")");
  EXPECT_EQ(Encode("hello world"), R"("hello world")");
}

TEST(JsonText, EscapesWhatJsonRequires) {
  EXPECT_EQ(Encode("a\"b\\c"), R"("a\"b\\c")");
  EXPECT_EQ(Encode("\n\r\t\b\f"), R"("\n\r\t\b\f")");
  EXPECT_EQ(Encode(std::string_view("\x00\x01\x1f", 3)), R"("\u0000\u0001\u001f")");
  EXPECT_EQ(Encode("\x7f"), "\"\x7f\"");  // DEL is legal in JSON strings
}

TEST(JsonText, ValidUtf8PassesThrough) {
  EXPECT_EQ(Encode("h\xC3\xA9llo \xE2\x82\xAC \xF0\x9F\x98\x80"),
            "\"h\xC3\xA9llo \xE2\x82\xAC \xF0\x9F\x98\x80\"");
}

TEST(JsonText, LineAndParagraphSeparatorsAreEscaped) {
  EXPECT_EQ(Encode("a\xE2\x80\xA8z\xE2\x80\xA9"), R"("a\u2028z\u2029")");
}

TEST(JsonText, InvalidUtf8BecomesReplacementCharacters) {
  const std::string kFffd = "\xEF\xBF\xBD";
  EXPECT_EQ(Encode("a\xFFz"), "\"a" + kFffd + "z\"");                  // never valid
  EXPECT_EQ(Encode("\xC3"), "\"" + kFffd + "\"");                       // truncated
  EXPECT_EQ(Encode("\xC0\xAF"), "\"" + kFffd + kFffd + "\"");           // overlong
  EXPECT_EQ(Encode("\xED\xA0\x80"), "\"" + kFffd + kFffd + kFffd + "\"");  // surrogate
  EXPECT_EQ(Encode("\xF4\x90\x80\x80"), "\"" + kFffd + kFffd + kFffd + kFffd + "\"");
  EXPECT_EQ(Encode("\x80"), "\"" + kFffd + "\"");  // stray continuation
}

TEST(JsonText, EveryByteValueYieldsParseableJson) {
  for (int b = 0; b < 256; ++b) {
    std::string input = "x";
    input.push_back(static_cast<char>(b));
    input += "y";
    auto parsed = nlohmann::json::parse(Encode(input), nullptr, false);
    ASSERT_FALSE(parsed.is_discarded()) << "byte " << b;
    if (b < 0x80) {
      EXPECT_EQ(parsed.get<std::string>(), input) << "byte " << b;
    }
  }
}

}  // namespace
}  // namespace streamgate::gateway
