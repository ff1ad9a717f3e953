#include "common/log.h"

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>

#include <sstream>
#include <string>
#include <vector>

#include "common/log_value.h"

namespace streamgate::common {
namespace {

struct ValueCase {
  std::string raw;
  std::string logged;  // what follows "key="
};

TEST(LogValue, PlainTokensStayBareEverythingElseIsQuotedAndEscaped) {
  const std::vector<ValueCase> cases = {
      {"abc-123_x.y:z/w", "abc-123_x.y:z/w"},
      {"3f2a9c1e-0b4d-4c7e-9a51-2d6f8e0b1c3a", "3f2a9c1e-0b4d-4c7e-9a51-2d6f8e0b1c3a"},
      {"::1", "::1"},
      {"caf\xc3\xa9", "caf\xc3\xa9"},                                    // UTF-8 text stays text
      {"\xe2\x82\xac\xf0\x9f\x98\x80", "\xe2\x82\xac\xf0\x9f\x98\x80"},  // 3 and 4 bytes
      {"", "\"\""},
      {"two words", "\"two words\""},
      {"a=b", "\"a=b\""},
      {"say \"hi\"", "\"say \\\"hi\\\"\""},
      {"back\\slash", "\"back\\\\slash\""},
      {"line\nnext", "\"line\\nnext\""},
      {"cr\rlf", "\"cr\\rlf\""},
      {"tab\there", "\"tab\\there\""},
      {std::string("nul\0x", 5), "\"nul\\x00x\""},
      {"esc\x1b[31m", "\"esc\\x1b[31m\""},
      {"del\x7f", "\"del\\x7f\""},
      {"bell\x07", "\"bell\\x07\""},
      {"\x1f", "\"\\x1f\""},
      {"c1\xc2\x85", "\"c1\\u0085\""},      // NEL, a line end to some readers
      {"c1\xc2\x9b", "\"c1\\u009b\""},      // CSI
      {"ls\xe2\x80\xa8", "\"ls\\u2028\""},  // LINE SEPARATOR
      {"ps\xe2\x80\xa9", "\"ps\\u2029\""},  // PARAGRAPH SEPARATOR
      {"\xc2\xa0", "\xc2\xa0"},             // NO-BREAK SPACE is printable
  };
  for (const ValueCase& c : cases) {
    EXPECT_EQ(LogValue(c.raw), c.logged) << "raw: " << c.raw;
  }
}

TEST(LogValue, InvalidUtf8BytesAreEscapedOneByOne) {
  const std::vector<ValueCase> cases = {
      {"\xff", "\"\\xff\""},
      {"a\x80z", "\"a\\x80z\""},                          // lone continuation byte
      {"\xc3", "\"\\xc3\""},                              // truncated sequence at the end
      {"\xc3(", "\"\\xc3(\""},                            // lead without its continuation
      {"\xc0\xaf", "\"\\xc0\\xaf\""},                     // overlong '/'
      {"\xe0\x80\xaf", "\"\\xe0\\x80\\xaf\""},            // overlong, 3 bytes
      {"\xed\xa0\x80", "\"\\xed\\xa0\\x80\""},            // UTF-16 surrogate
      {"\xf4\x90\x80\x80", "\"\\xf4\\x90\\x80\\x80\""},   // above U+10FFFF
      {"\xf0\x9f\x98", "\"\\xf0\\x9f\\x98\""},            // 4-byte sequence cut short
      {"ok\xe2\x82\xac\xfe", "\"ok\xe2\x82\xac\\xfe\""},  // valid text around a bad byte
  };
  for (const ValueCase& c : cases) {
    EXPECT_EQ(LogValue(c.raw), c.logged) << "raw: " << c.raw;
  }
}

TEST(LogValue, BareOnlyWhenNothingNeedsEscaping) {
  EXPECT_TRUE(IsBareLogValue("request-1"));
  EXPECT_TRUE(IsBareLogValue("caf\xc3\xa9"));
  EXPECT_FALSE(IsBareLogValue(""));
  EXPECT_FALSE(IsBareLogValue(" "));
  EXPECT_FALSE(IsBareLogValue("="));
  EXPECT_FALSE(IsBareLogValue("\""));
  EXPECT_FALSE(IsBareLogValue("\\"));
  EXPECT_FALSE(IsBareLogValue("\xff"));
}

TEST(LogValue, QuotedTextEscapesWithoutAddingQuotes) {
  std::string out = "detail=\"";
  AppendQuotedLogText("a \"b\" = c\\\n\xff", &out);
  out += "\"";
  EXPECT_EQ(out, "detail=\"a \\\"b\\\" = c\\\\\\n\\xff\"");
}

TEST(LogValue, PrintableTokenIsShortPrintableAsciiWithoutSpaces) {
  EXPECT_TRUE(IsPrintableToken("r-1", 8));
  EXPECT_TRUE(IsPrintableToken("!~", 2));
  EXPECT_FALSE(IsPrintableToken("", 8));
  EXPECT_FALSE(IsPrintableToken("123456789", 8));
  EXPECT_FALSE(IsPrintableToken("a b", 8));
  EXPECT_FALSE(IsPrintableToken("a\x7f", 8));
  EXPECT_FALSE(IsPrintableToken("caf\xc3\xa9", 8));
}

template <typename... Args>
std::string Line(fmt::format_string<Args...> format, Args&&... args) {
  return FormatLogLine(fmt::string_view(format), fmt::make_format_args(args...));
}

TEST(FormatLogLine, EachArgumentIsOneValue) {
  EXPECT_EQ(Line("reply start session={} request={} history={}", std::string("s-1"), "r-1", 3),
            "reply start session=s-1 request=r-1 history=3");
  // A client-chosen value cannot add a field...
  EXPECT_EQ(Line("session open session={} identity={}", "s-1", std::string("bob admin=true")),
            "session open session=s-1 identity=\"bob admin=true\"");
  // ...nor a line.
  EXPECT_EQ(Line("bad client message code={}", "x\n2026-12-02T00:00:00.000Z info session forged"),
            "bad client message code=\"x\\n2026-12-02T00:00:00.000Z info session forged\"");
  EXPECT_EQ(Line("none"), "none");
}

TEST(FormatLogLine, InsideTheFormatsQuotesValuesAreEscapedNotQuotedAgain) {
  EXPECT_EQ(Line("failed detail=\"{}\" code={}", "say \"x\" and\r\nmore", "internal"),
            "failed detail=\"say \\\"x\\\" and\\r\\nmore\" code=internal");
  EXPECT_EQ(Line("reason=\"max concurrent calls ({}) reached\" repeated={}", 8, 0),
            "reason=\"max concurrent calls (8) reached\" repeated=0");
  // Two fields in one quoted text, and a field after the quotes close again.
  EXPECT_EQ(Line("error=\"{}: {}\" peer={}", "a b", "c", "d e"), "error=\"a b: c\" peer=\"d e\"");
}

TEST(FormatLogLine, FormatSpecsApplyBeforeEscaping) {
  EXPECT_EQ(Line("ratio={:.2f} hex={:#x} padded=[{:>4}]", 0.5, 255, "ab"),
            "ratio=0.50 hex=0xff padded=[\"  ab\"]");
  EXPECT_EQ(Line("width={:{}}|", 7, 3), "width=\"  7\"|");
  EXPECT_EQ(Line("second={1} first={0}", "a", "b"), "second=b first=a");
}

TEST(FormatLogLine, BracesAndTypesFormatAsFmtDoes) {
  EXPECT_EQ(Line("{{literal}} x={}", true), "{literal} x=true");
  EXPECT_EQ(Line("peer={}:{}", "::1", 8080), "peer=::1:8080");
  EXPECT_EQ(Line("msg={}", absl::string_view("a b")), "msg=\"a b\"");
  EXPECT_EQ(Line("empty={} after", ""), "empty=\"\" after");
}

TEST(ComponentLogger, OneCallIsOneLineWithItsValuesEscaped) {
  std::ostringstream written;
  ComponentLogger logger("test", std::make_shared<spdlog::sinks::ostream_sink_st>(written));
  logger.set_pattern("%l %n %v");
  logger.set_level(spdlog::level::info);
  logger.info("session open identity={} tls={}", "eve\ninfo session forged=1", false);
  logger.warn("reply failed detail=\"{}\"", "quote \" and \x1b[2J");
  logger.log(spdlog::level::err, "x={}", "a b");
  logger.debug("not at info x={}", 1);
  EXPECT_EQ(written.str(),
            "info test session open identity=\"eve\\ninfo session forged=1\" tls=false\n"
            "warning test reply failed detail=\"quote \\\" and \\x1b[2J\"\n"
            "error test x=\"a b\"\n");
}

TEST(ComponentLogger, OneLoggerPerComponent) {
  EXPECT_EQ(Logger("log-test-a"), Logger("log-test-a"));
  EXPECT_NE(Logger("log-test-a"), Logger("log-test-b"));
  EXPECT_EQ(Logger("log-test-a")->name(), "log-test-a");
}

}  // namespace
}  // namespace streamgate::common
