#include "tools/streamgate-cli/message_assembler.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace streamgate::cli {
namespace {

// Feeds lines; returns the messages they complete, in order.
std::vector<std::string> Messages(MessageAssembler& assembler,
                                  const std::vector<std::string>& lines) {
  std::vector<std::string> out;
  for (const auto& line : lines) {
    if (auto message = assembler.AddLine(line)) out.push_back(message->text);
  }
  return out;
}

TEST(MessageAssembler, EachLineIsAMessage) {
  MessageAssembler assembler;
  EXPECT_EQ(Messages(assembler, {"one", "two"}), (std::vector<std::string>{"one", "two"}));
  EXPECT_FALSE(assembler.continuing());
}

TEST(MessageAssembler, ASingleTypedLineMayBeACommand) {
  MessageAssembler assembler;
  auto message = assembler.AddLine("/conversation beta");
  ASSERT_TRUE(message.has_value());
  EXPECT_TRUE(message->single_line);
  EXPECT_EQ(message->text, "/conversation beta");
}

TEST(MessageAssembler, ACarriageReturnBeforeTheNewlineIsDropped) {
  MessageAssembler assembler;
  EXPECT_EQ(assembler.AddLine("dos\r")->text, "dos");
}

TEST(MessageAssembler, ATrailingBackslashContinuesOnTheNextLine) {
  MessageAssembler assembler;
  EXPECT_FALSE(assembler.AddLine("first \\").has_value());
  EXPECT_TRUE(assembler.continuing());
  EXPECT_FALSE(assembler.AddLine("second\\").has_value());
  auto message = assembler.AddLine("third");
  ASSERT_TRUE(message.has_value());
  EXPECT_EQ(message->text, "first \nsecond\nthird");
  EXPECT_FALSE(message->single_line);
  EXPECT_FALSE(assembler.continuing());
}

TEST(MessageAssembler, ABackslashNotAtTheEndIsText) {
  MessageAssembler assembler;
  EXPECT_EQ(assembler.AddLine("C:\\dir\\ x")->text, "C:\\dir\\ x");
}

TEST(MessageAssembler, AContinuedCommandIsAMessage) {
  MessageAssembler assembler;
  assembler.AddLine("/conversation \\");
  auto message = assembler.AddLine("beta");
  ASSERT_TRUE(message.has_value());
  EXPECT_FALSE(message->single_line);
}

TEST(MessageAssembler, MultiBlockKeepsBlankLinesAndBackslashesUntilEnd) {
  MessageAssembler assembler;
  EXPECT_FALSE(assembler.AddLine("/multi").has_value());
  EXPECT_TRUE(assembler.continuing());
  EXPECT_EQ(Messages(assembler, {"def f():", "", "    return 1 \\", "  /end  "}),
            std::vector<std::string>{"def f():\n\n    return 1 \\"});
  EXPECT_FALSE(assembler.continuing());
}

TEST(MessageAssembler, MultiInsideAMessageIsText) {
  MessageAssembler assembler;
  assembler.AddLine("look \\");
  EXPECT_EQ(assembler.AddLine("/multi")->text, "look \n/multi");
}

TEST(MessageAssembler, APasteIsSentWithTheNextEnter) {
  MessageAssembler assembler;
  assembler.AddPaste("", "line one\nline two\nline three");
  EXPECT_TRUE(assembler.continuing());
  auto message = assembler.AddLine("");
  ASSERT_TRUE(message.has_value());
  EXPECT_EQ(message->text, "line one\nline two\nline three");
  EXPECT_FALSE(message->single_line);
}

TEST(MessageAssembler, TextTypedAroundAPasteJoinsItsLines) {
  MessageAssembler assembler;
  assembler.AddPaste("see: ", "a\nb");
  EXPECT_EQ(assembler.AddLine(" thanks")->text, "see: a\nb thanks");
}

TEST(MessageAssembler, APasteEndingInANewlineLeavesTheNextLineApart) {
  MessageAssembler assembler;
  assembler.AddPaste("", "a\nb\n");
  EXPECT_EQ(assembler.AddLine("question?")->text, "a\nb\nquestion?");
  assembler.AddPaste("", "c\n\n");
  EXPECT_EQ(assembler.AddLine("")->text, "c") << "trailing newlines are dropped";
}

TEST(MessageAssembler, APastedCommandIsAMessage) {
  MessageAssembler assembler;
  assembler.AddPaste("", "/conversation beta");
  auto message = assembler.AddLine("");
  ASSERT_TRUE(message.has_value());
  EXPECT_FALSE(message->single_line);
}

TEST(MessageAssembler, APasteAfterAContinuedLineStartsAFreshLine) {
  MessageAssembler assembler;
  assembler.AddLine("intro\\");
  assembler.AddPaste("", "x\ny");
  EXPECT_EQ(assembler.AddLine("")->text, "intro\nx\ny");
}

TEST(MessageAssembler, EndOfInputSendsWhatIsPending) {
  MessageAssembler assembler;
  EXPECT_FALSE(assembler.Finish().has_value());
  assembler.AddLine("half \\");
  EXPECT_EQ(assembler.Finish()->text, "half ");
  assembler.AddLine("/multi");
  assembler.AddLine("open block");
  EXPECT_EQ(assembler.Finish()->text, "open block");
  EXPECT_FALSE(assembler.continuing());
}

}  // namespace
}  // namespace streamgate::cli
