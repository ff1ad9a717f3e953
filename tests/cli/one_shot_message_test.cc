#include "tools/streamgate-cli/one_shot_message.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace streamgate::cli {
namespace {

using Words = std::vector<std::string>;

TEST(OneShotMessage, NoWordsIsInteractiveWhateverStdinIs) {
  for (bool terminal : {true, false}) {
    auto plan = PlanMessage({}, terminal);
    ASSERT_TRUE(plan.ok());
    EXPECT_TRUE(plan->interactive);
    EXPECT_FALSE(plan->read_stdin);
  }
}

TEST(OneShotMessage, WordsFromATerminalAreTheMessage) {
  auto plan = PlanMessage(Words{"what", "is", "it?"}, /*stdin_is_terminal=*/true);
  ASSERT_TRUE(plan.ok());
  EXPECT_FALSE(plan->interactive);
  EXPECT_FALSE(plan->read_stdin);
  EXPECT_EQ(plan->question, "what is it?");
}

TEST(OneShotMessage, PipedTextComesFirstThenABlankLineThenTheQuestion) {
  auto plan = PlanMessage(Words{"summarise", "this"}, /*stdin_is_terminal=*/false);
  ASSERT_TRUE(plan.ok());
  EXPECT_TRUE(plan->read_stdin);
  EXPECT_EQ(*ComposeMessage(*plan, "line 1\nline 2\n\n"), "line 1\nline 2\n\nsummarise this");
}

TEST(OneShotMessage, NothingPipedLeavesTheQuestionAlone) {
  auto plan = PlanMessage(Words{"q"}, /*stdin_is_terminal=*/false);
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(*ComposeMessage(*plan, ""), "q");
  EXPECT_EQ(*ComposeMessage(*plan, " \n\r\n"), "q");
}

TEST(OneShotMessage, DashMakesStdinTheMessage) {
  for (bool terminal : {true, false}) {
    auto plan = PlanMessage(Words{"-"}, terminal);
    ASSERT_TRUE(plan.ok());
    EXPECT_TRUE(plan->read_stdin);
    EXPECT_FALSE(plan->interactive);
    EXPECT_EQ(*ComposeMessage(*plan, "the whole\nmessage\n"), "the whole\nmessage");
  }
}

TEST(OneShotMessage, DashWithNothingOnStdinIsAnError) {
  auto plan = PlanMessage(Words{"-"}, false);
  ASSERT_TRUE(plan.ok());
  auto message = ComposeMessage(*plan, "\n");
  ASSERT_FALSE(message.ok());
  EXPECT_EQ(message.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(OneShotMessage, DashAmongOtherWordsIsAnError) {
  auto plan = PlanMessage(Words{"explain", "-"}, false);
  ASSERT_FALSE(plan.ok());
  EXPECT_NE(plan.status().message().find("takes no other words"), std::string::npos);
}

TEST(OneShotMessage, AWordThatMerelyStartsWithADashIsText) {
  auto plan = PlanMessage(Words{"-v", "-", "x"}, true);
  EXPECT_FALSE(plan.ok());
  plan = PlanMessage(Words{"-v", "--"}, true);
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->question, "-v --");
}

}  // namespace
}  // namespace streamgate::cli
