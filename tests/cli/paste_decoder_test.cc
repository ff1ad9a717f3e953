#include "tools/streamgate-cli/paste_decoder.h"

#include <deque>
#include <string>

#include "gtest/gtest.h"

namespace streamgate::cli {
namespace {

// "k:" for keys, "p:" for a paste, one entry per piece.
std::string Describe(const std::deque<PasteDecoder::Piece>& pieces) {
  std::string out;
  for (const auto& piece : pieces) out += (piece.paste ? "p:" : "k:") + piece.bytes + "|";
  return out;
}

std::string Whole(std::string_view bytes) {
  PasteDecoder decoder;
  std::deque<PasteDecoder::Piece> pieces;
  decoder.Feed(bytes, &pieces);
  return Describe(pieces);
}

std::string ByteByByte(std::string_view bytes) {
  PasteDecoder decoder;
  std::deque<PasteDecoder::Piece> pieces;
  for (char c : bytes) decoder.Feed(std::string_view(&c, 1), &pieces);
  return Describe(pieces);
}

struct Case {
  const char* name;
  std::string in;
  std::string pieces;
};

class PasteDecoderTable : public ::testing::TestWithParam<Case> {};

TEST_P(PasteDecoderTable, WholeAndByteByByteGiveTheSamePieces) {
  EXPECT_EQ(Whole(GetParam().in), GetParam().pieces);
  EXPECT_EQ(ByteByByte(GetParam().in), GetParam().pieces);
}

INSTANTIATE_TEST_SUITE_P(
    PasteDecoder, PasteDecoderTable,
    ::testing::Values(
        Case{"keys", "hello\r", "k:hello\r|"},
        Case{"paste_of_three_lines", "\x1B[200~one\rtwo\r\nthree\x1B[201~", "p:one\ntwo\nthree|"},
        Case{"keys_around_a_paste", "ab\x1B[200~x\ny\x1B[201~cd\r", "k:ab|p:x\ny|k:cd\r|"},
        Case{"arrow_keys_are_keys", "\x1B[A\x1B[D", "k:\x1B[A\x1B[D|"},
        Case{"near_marker_is_keys", "\x1B[20x\x1B[2000~", "k:\x1B[20x\x1B[2000~|"},
        Case{"escape_inside_a_paste", "\x1B[200~\x1B[31mred\x1B[2~\x1B[201~",
             "p:\x1B[31mred\x1B[2~|"},
        Case{"esc_then_marker", "\x1B\x1B[200~p\x1B[201~", "k:\x1B|p:p|"},
        Case{"empty_paste", "\x1B[200~\x1B[201~", "p:|"},
        Case{"unfinished_paste_waits", "\x1B[200~half", ""},
        Case{"a_lone_esc_waits", "a\x1B", "k:a|"}),
    [](const ::testing::TestParamInfo<Case>& info) { return std::string(info.param.name); });

TEST(PasteDecoder, AMarkerSplitBetweenReadsIsFound) {
  PasteDecoder decoder;
  std::deque<PasteDecoder::Piece> pieces;
  decoder.Feed("x\x1B[2", &pieces);
  decoder.Feed("00~in", &pieces);
  EXPECT_TRUE(decoder.in_paste());
  decoder.Feed("side\x1B[20", &pieces);
  decoder.Feed("1~", &pieces);
  EXPECT_FALSE(decoder.in_paste());
  EXPECT_EQ(Describe(pieces), "k:x|p:inside|");
}

}  // namespace
}  // namespace streamgate::cli
