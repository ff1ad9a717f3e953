#include "common/log_json.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <random>
#include <string>

#include "common/log.h"

namespace streamgate::common {
namespace {

using Json = nlohmann::json;

Json Parsed(const std::string& line) {
  EXPECT_EQ(line.find('\n'), std::string::npos) << line;
  Json json = Json::parse(line, nullptr, /*allow_exceptions=*/false);
  EXPECT_FALSE(json.is_discarded()) << line;
  return json;
}

TEST(LogJsonTest, TheEventsWordsAndEachFieldBecomeMembersInOrder) {
  std::string line = LogLineToJson("2026-12-04T20:05:00.123Z", "info", "session",
                                   "reply end session=abc-1 status=OK writes=25 ms=-3 tls=true");
  EXPECT_EQ(line,
            "{\"ts\":\"2026-12-04T20:05:00.123Z\",\"level\":\"info\",\"component\":\"session\","
            "\"event\":\"reply end\",\"session\":\"abc-1\",\"status\":\"OK\",\"writes\":25,"
            "\"ms\":-3,\"tls\":true}");
}

TEST(LogJsonTest, QuotedValuesAreUnescapedAndNumbersThatAreNotJsonStayStrings) {
  Json json = Parsed(LogLineToJson("t", "warning", "llm",
                                   R"x(call rejected reason="max \"concurrent\" calls\n(2)" )x"
                                   R"x(id=007 big=123456789012345678901 x=+1 path="a\\b" )x"
                                   R"x(bytes="\x00\xff" sep="\u2028")x"));
  EXPECT_EQ(json["event"], "call rejected");
  EXPECT_EQ(json["reason"], "max \"concurrent\" calls\n(2)");
  EXPECT_EQ(json["id"], "007");
  EXPECT_EQ(json["big"], "123456789012345678901");
  EXPECT_EQ(json["x"], "+1");
  EXPECT_EQ(json["path"], "a\\b");
  // Escapes that stand for bytes or code points never written raw stay as written.
  EXPECT_EQ(json["bytes"], "\\x00\\xff");
  EXPECT_EQ(json["sep"], "\\u2028");
}

TEST(LogJsonTest, AFieldCannotOverwriteAMemberAndWordsAfterTheFieldsAreKept) {
  Json json = Parsed(LogLineToJson("t", "info", "gateway",
                                   "stopped level=x event=y ts=z drained=true and then some"));
  EXPECT_EQ(json["level"], "info");
  EXPECT_EQ(json["event"], "stopped");
  EXPECT_EQ(json["ts"], "t");
  EXPECT_EQ(json["field.level"], "x");
  EXPECT_EQ(json["field.event"], "y");
  EXPECT_EQ(json["field.ts"], "z");
  EXPECT_EQ(json["drained"], true);
  EXPECT_EQ(json["text"], "and then some");
}

// What a client sends reaches a log line through the escaper: a newline in it cannot start
// a second JSON object, whatever it holds.
TEST(LogJsonTest, AClientsNewlineCannotForgeALine) {
  std::string forged = "hi\n{\"ts\":\"x\",\"level\":\"error\",\"event\":\"forged\"}";
  std::string formatted =
      FormatLogLine("bad message session={} detail=\"{}\"", fmt::make_format_args(forged, forged));
  std::string line = LogLineToJson("t", "info", "session", formatted);
  Json json = Parsed(line);
  EXPECT_EQ(json["event"], "bad message");
  EXPECT_EQ(json["session"], forged);
  EXPECT_EQ(json["detail"], forged);
  EXPECT_EQ(json.size(), 6u);
}

TEST(LogJsonTest, AnyBytesGiveOneValidJsonLine) {
  std::mt19937 random(20261204);
  std::uniform_int_distribution<int> byte(0, 255);
  const std::string alphabet = "a= \"\\\nx1-";
  for (int round = 0; round < 2000; ++round) {
    std::string input;
    int length = round % 40;
    for (int i = 0; i < length; ++i) {
      input.push_back(round % 2 == 0 ? static_cast<char>(byte(random))
                                     : alphabet[byte(random) % alphabet.size()]);
    }
    std::string line = LogLineToJson("t", "info", "c", input);
    ASSERT_EQ(line.find('\n'), std::string::npos) << round;
    ASSERT_FALSE(Json::parse(line, nullptr, false).is_discarded()) << round << ": " << line;
  }
}

TEST(LogJsonTest, InvalidUtf8BecomesEscapedBytes) {
  std::string out;
  AppendJsonString(std::string("ok\xff\xc3\xa9\x01", 6), &out);
  EXPECT_EQ(out, "\"ok\\u00ff\xc3\xa9\\u0001\"");
}

TEST(LogJsonTest, InitLoggingRefusesAnUnknownFormat) {
  absl::Status status = InitLogging("info", "yaml");
  EXPECT_FALSE(status.ok());
  EXPECT_NE(std::string(status.message()).find("text or json"), std::string::npos);
}

}  // namespace
}  // namespace streamgate::common
