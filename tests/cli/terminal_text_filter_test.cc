#include "tools/streamgate-cli/terminal_text_filter.h"

#include <string>

#include "gtest/gtest.h"

namespace streamgate::cli {
namespace {

constexpr char kR[] = "\xEF\xBF\xBD";  // U+FFFD

std::string R(int n = 1) {
  std::string out;
  for (int i = 0; i < n; ++i) out += kR;
  return out;
}

// The filter's output when `text` arrives one byte per chunk.
std::string ByteByByte(std::string_view text) {
  TerminalTextFilter filter;
  std::string out;
  for (char c : text) out += filter.Filter(std::string_view(&c, 1));
  return out + filter.Finish();
}

struct Case {
  const char* name;
  std::string in;
  std::string out;
};

class TerminalTextFilterTable : public ::testing::TestWithParam<Case> {};

TEST_P(TerminalTextFilterTable, WholeAndByteByByteGiveTheSameSafeText) {
  const Case& c = GetParam();
  EXPECT_EQ(SanitizeForTerminal(c.in), c.out) << c.name;
  EXPECT_EQ(ByteByByte(c.in), c.out) << c.name;
}

INSTANTIATE_TEST_SUITE_P(
    TerminalTextFilter, TerminalTextFilterTable,
    ::testing::Values(
        Case{"plain", "hello, world", "hello, world"},
        Case{"newlines_and_tabs", "a\n\tb\n", "a\n\tb\n"},
        Case{"crlf_is_lf", "a\r\nb\r\n", "a\nb\n"},
        Case{"lone_cr", "secret\rshown", "secret" + R() + "shown"},
        Case{"trailing_cr", "end\r", "end" + R()}, Case{"cr_cr_lf", "a\r\r\n", "a" + R() + "\n"},
        Case{"utf8_kept", "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80",
             "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"},
        Case{"csi_colour", "\x1B[31mred\x1B[0m", R() + "[31mred" + R() + "[0m"},
        Case{"csi_clear_screen", "\x1B[2J\x1B[H", R() + "[2J" + R() + "[H"},
        Case{"osc_title_bel", "\x1B]0;owned\x07", R() + "]0;owned" + R()},
        Case{"osc52_clipboard_st", "\x1B]52;c;ZXZpbA==\x1B\\", R() + "]52;c;ZXZpbA==" + R() + "\\"},
        Case{"bel", "ding\x07", "ding" + R()},
        Case{"backspace_and_nul", std::string("ab\x08\0c", 5), "ab" + R(2) + "c"},
        Case{"del", "a\x7F", "a" + R()},
        Case{"c1_csi_8bit_utf8",
             "\xC2\x9B"
             "2J",
             R() + "2J"},
        Case{"c1_osc_and_nel", "\xC2\x9D\xC2\x85", R(2)},
        Case{"nbsp_is_not_c1", "\xC2\xA0", "\xC2\xA0"},
        Case{"raw_c1_byte",
             "\x9B"
             "31m",
             R() + "31m"},
        Case{"invalid_lead_bytes", "\xC0\xC1\xF5\xFF", R(4)},
        Case{"stray_continuation",
             "a\x80"
             "b",
             "a" + R() + "b"},
        Case{"truncated_then_ascii",
             "\xE2\x82"
             "x",
             R() + "x"},
        Case{"truncated_at_end", "x\xF0\x9F\x98", "x" + R()},
        Case{"overlong", "\xE0\x80\xAF", R(3)}, Case{"surrogate", "\xED\xA0\x80", R(3)},
        Case{"above_max", "\xF4\x90\x80\x80", R(4)}),
    [](const ::testing::TestParamInfo<Case>& info) { return std::string(info.param.name); });

TEST(TerminalTextFilter, ACharacterSplitBetweenChunksIsKeptWhole) {
  TerminalTextFilter filter;
  EXPECT_EQ(filter.Filter("caf\xC3"), "caf");
  EXPECT_EQ(filter.Filter("\xA9!"), "\xC3\xA9!");
  EXPECT_EQ(filter.Finish(), "");
}

TEST(TerminalTextFilter, ACrlfSplitBetweenChunksIsOneNewline) {
  TerminalTextFilter filter;
  EXPECT_EQ(filter.Filter("line\r"), "line");
  EXPECT_EQ(filter.Filter("\nnext"), "\nnext");
  EXPECT_EQ(filter.Finish(), "");
}

TEST(TerminalTextFilter, AnEscSplitFromItsSequenceIsStillReplaced) {
  TerminalTextFilter filter;
  EXPECT_EQ(filter.Filter("a\x1B"), "a" + R());
  EXPECT_EQ(filter.Filter("[2Jb"), "[2Jb");
}

}  // namespace
}  // namespace streamgate::cli
