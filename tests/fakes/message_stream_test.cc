#include "tests/fakes/message_stream.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "llm-service/claude/claude_event_decoder.h"
#include "llm-service/claude/sse_parser.h"

namespace streamgate::fake_claude {
namespace {

// What the colleague's parser and decoder make of a body: the contract that matters.
struct Decoded {
  std::string text;
  int deltas = 0;
  std::optional<llm::v1::StreamChatResponse> completed;
  absl::Status status;
};

Decoded Decode(const std::vector<StreamEvent>& events) {
  std::string body;
  for (const auto& event : events) body += event.wire;
  llm::SseParser parser;
  llm::ClaudeEventDecoder decoder;
  Decoded decoded;
  absl::Status status = parser.Feed(body, [&](const llm::SseEvent& event) -> absl::Status {
    auto message = decoder.Decode(event);
    if (!message.ok()) return message.status();
    if (message->has_value() && (*message)->has_delta()) {
      decoded.text += (*message)->delta().text();
      ++decoded.deltas;
    }
    if (message->has_value() && (*message)->has_completed()) decoded.completed = **message;
    return absl::OkStatus();
  });
  decoded.status = status.ok() ? decoder.Finish() : status;
  return decoded;
}

MessageStreamOptions Options(std::string text) {
  return {.message_id = "msg_fake_1",
          .model = "claude-test",
          .input_tokens = 3,
          .max_tokens = 1000,
          .text = std::move(text)};
}

TEST(MessageStream, WordsConcatenateToTheExactText) {
  for (const std::string text :
       {"Claude echo: hi", "  lead", "trail  ", "a\n\nb\tc", "héllo wörld", "one"}) {
    std::string joined;
    for (const auto& word : MessageStream::SplitWords(text)) joined += word;
    EXPECT_EQ(joined, text);
  }
  EXPECT_EQ(MessageStream::SplitWords("Claude echo: hi"),
            (std::vector<std::string>{"Claude", " echo:", " hi"}));
}

TEST(MessageStream, NormalReplyDecodesToTheTextAndUsage) {
  MessageStream stream(Options("Claude echo: hello there"));
  std::vector<std::string> names;
  for (const auto& event : stream.events()) names.push_back(event.name);
  EXPECT_EQ(names, (std::vector<std::string>{
                       "message_start", "content_block_start", "ping", "content_block_delta",
                       "content_block_delta", "content_block_delta", "content_block_delta",
                       "content_block_stop", "message_delta", "message_stop"}));
  Decoded decoded = Decode(stream.events());
  ASSERT_TRUE(decoded.status.ok()) << decoded.status;
  EXPECT_EQ(decoded.text, "Claude echo: hello there");
  ASSERT_TRUE(decoded.completed.has_value());
  EXPECT_EQ(decoded.completed->completed().stop_reason(), "end_turn");
  EXPECT_EQ(decoded.completed->completed().usage().input_tokens(), 3u);
  EXPECT_EQ(decoded.completed->completed().usage().output_tokens(), 4u);
}

TEST(MessageStream, ThinkingToolUseAndPingsDoNotChangeTheText) {
  MessageStreamOptions options = Options("Claude echo: \"quoted\" text");
  options.thinking = true;
  options.tool_use = true;
  options.ping_heavy = true;
  MessageStream stream(options);
  Decoded decoded = Decode(stream.events());
  ASSERT_TRUE(decoded.status.ok()) << decoded.status;
  EXPECT_EQ(decoded.text, "Claude echo: \"quoted\" text");
  EXPECT_EQ(decoded.completed->completed().stop_reason(), "tool_use");
  std::string body;
  for (const auto& event : stream.events()) body += event.wire;
  EXPECT_NE(body.find("thinking_delta"), std::string::npos);
  EXPECT_NE(body.find("signature_delta"), std::string::npos);
  EXPECT_NE(body.find("input_json_delta"), std::string::npos);
  EXPECT_NE(body.find(R"("type":"tool_use")"), std::string::npos);
}

TEST(MessageStream, MaxTokensCutsTheTextAndSaysSo) {
  MessageStreamOptions options = Options("a b c d e");
  options.max_tokens = 2;
  Decoded decoded = Decode(MessageStream(options).events());
  ASSERT_TRUE(decoded.status.ok()) << decoded.status;
  EXPECT_EQ(decoded.text, "a b");
  EXPECT_EQ(decoded.completed->completed().stop_reason(), "max_tokens");
}

TEST(MessageStream, PrefixStopsBeforeTheNextTextDelta) {
  MessageStreamOptions options = Options("w1 w2 w3 w4");
  options.ping_heavy = true;
  MessageStream stream(options);
  auto prefix = stream.PrefixWithTextDeltas(2);
  int text_deltas = 0;
  for (const auto& event : prefix) {
    text_deltas += event.text_delta_index >= 0;
    EXPECT_NE(event.name, "content_block_stop");
  }
  EXPECT_EQ(text_deltas, 2);
  EXPECT_EQ(stream.PrefixWithTextDeltas(0).back().name, "ping");
  // More than there are: every text delta, still without the block's end.
  auto all = stream.PrefixWithTextDeltas(100);
  EXPECT_EQ(all.back().name, "ping");
  Decoded decoded = Decode(stream.PrefixWithTextDeltas(2));
  EXPECT_EQ(decoded.text, "w1 w2");
  EXPECT_EQ(decoded.status.code(), absl::StatusCode::kUnavailable);  // ended early
}

TEST(MessageStream, ErrorEventIsTheApiEnvelope) {
  StreamEvent event = MessageStream::ErrorEvent("overloaded_error", "Overloaded");
  EXPECT_EQ(event.wire,
            "event: error\ndata: "
            R"({"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}})"
            "\n\n");
}

}  // namespace
}  // namespace streamgate::fake_claude
