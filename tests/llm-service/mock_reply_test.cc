#include "llm-service/mock_reply.h"

#include "gtest/gtest.h"

namespace streamgate::llm {
namespace {

std::string Join(const std::vector<std::string_view>& pieces) {
  std::string out;
  for (auto piece : pieces) out += piece;
  return out;
}

TEST(MockReply, SplitsAfterEachRunOfWhitespace) {
  auto pieces = SplitAfterWhitespace("Echo: hello  world\n");
  EXPECT_EQ(pieces, (std::vector<std::string_view>{"Echo: ", "hello  ", "world\n"}));
}

TEST(MockReply, SplitConcatenatesBackExactly) {
  for (std::string text : {"", " ", "a", " leading", "trailing ", "a\tb\r\nc  d", "x\v\fy",
                           "caf\xC3\xA9 \xF0\x9F\x98\x80 ok"}) {
    EXPECT_EQ(Join(SplitAfterWhitespace(text)), text) << text;
  }
}

TEST(MockReply, EchoesTheLastUserMessage) {
  v1::StreamChatRequest request;
  auto add = [&](v1::Role role, std::string text) {
    auto* message = request.add_messages();
    message->set_role(role);
    message->set_content(std::move(text));
  };
  add(v1::ROLE_USER, "first");
  add(v1::ROLE_ASSISTANT, "Echo: first");
  add(v1::ROLE_USER, "second question");
  EXPECT_EQ(MockReplyText(request, 0), "Echo: second question");
}

TEST(MockReply, AppendsDeterministicFillerWords) {
  v1::StreamChatRequest request;
  auto* message = request.add_messages();
  message->set_role(v1::ROLE_USER);
  message->set_content("hi");
  std::string text = MockReplyText(request, 21);
  EXPECT_EQ(text.rfind("Echo: hi lorem ipsum dolor", 0), 0u) << text;
  EXPECT_EQ(SplitAfterWhitespace(text).size(), 2u + 21u);
  EXPECT_EQ(text, MockReplyText(request, 21));
  // The filler list wraps around after its 19 words.
  EXPECT_TRUE(text.ends_with(" aliqua lorem ipsum")) << text;
}

// The pieces the mock sends, made one by one, are exactly the reply text cut after each run
// of whitespace, whatever the message ends with and however many filler words follow.
TEST(MockReply, PiecesMadeOneByOneAreTheSplitText) {
  for (std::string content : {"hi", "two words", "ends in space ", "tab\t", "new\nline\n", "x",
                              "  leading", "caf\xC3\xA9"}) {
    for (int extra : {0, 1, 2, 18, 19, 20, 40}) {
      v1::StreamChatRequest request;
      auto* message = request.add_messages();
      message->set_role(v1::ROLE_USER);
      message->set_content(content);
      MockReplyPieces pieces(request, extra);
      std::vector<std::string_view> made;
      for (size_t i = 0; i < pieces.size(); ++i) made.push_back(pieces[i]);
      std::string text = MockReplyText(request, extra);
      EXPECT_EQ(made, SplitAfterWhitespace(text)) << "[" << content << "] + " << extra;
      EXPECT_EQ(Join(made), text);
    }
  }
}

TEST(MockReply, InputTokensAreEstimatedAtFourBytesPerMessageRoundedUp) {
  v1::StreamChatRequest request;
  EXPECT_EQ(EstimateInputTokens(request), 0u);
  for (const char* content : {"", "abcd", "abcde", "a"}) {
    request.add_messages()->set_content(content);
  }
  EXPECT_EQ(EstimateInputTokens(request), 0u + 1u + 2u + 1u);
}

}  // namespace
}  // namespace streamgate::llm
