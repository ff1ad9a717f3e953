#include "llm-service/claude/claude_event_decoder.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "llm-service/claude/sse_parser.h"

namespace streamgate::llm {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// What a whole response body turned into.
struct Outcome {
  std::vector<v1::StreamChatResponse> messages;
  std::string text;  // every delta, concatenated
  absl::Status status;
};

Outcome DecodeBody(const std::string& body, uint32_t messages_received = 1) {
  SseParser parser;
  ClaudeEventDecoder decoder(messages_received);
  Outcome outcome;
  absl::Status status = parser.Feed(body, [&](const SseEvent& event) -> absl::Status {
    auto decoded = decoder.Decode(event);
    if (!decoded.ok()) return decoded.status();
    if (decoded->has_value()) {
      if ((*decoded)->has_delta()) outcome.text += (*decoded)->delta().text();
      outcome.messages.push_back(**decoded);
    }
    return absl::OkStatus();
  });
  outcome.status = status.ok() ? decoder.Finish() : status;
  return outcome;
}

std::string Sse(const std::string& event, const std::string& data) {
  return "event: " + event + "\ndata: " + data + "\n\n";
}

const std::string kMessageStart = Sse(
    "message_start",
    R"({"type":"message_start","message":{"id":"msg_01abc","type":"message","role":"assistant",)"
    R"("content":[],"model":"claude-test-1","stop_reason":null,"stop_sequence":null,)"
    R"("usage":{"input_tokens":25,"output_tokens":1}}})");
const std::string kPing = Sse("ping", R"({"type": "ping"})");

// A content_block_start event for block `index` whose content_block is `block_json`.
std::string BlockStart(int index, const std::string& block_json) {
  return Sse("content_block_start", R"({"type":"content_block_start","index":)" +
                                        std::to_string(index) + R"(,"content_block":)" +
                                        block_json + "}");
}

// A content_block_delta event for block `index` whose delta is `delta_json`.
std::string BlockDelta(int index, const std::string& delta_json) {
  return Sse("content_block_delta", R"({"type":"content_block_delta","index":)" +
                                        std::to_string(index) + R"(,"delta":)" + delta_json + "}");
}

const std::string kTextStart0 = BlockStart(0, R"({"type":"text","text":""})");

std::string TextDelta(int index, const std::string& text) {
  return Sse("content_block_delta",
             R"({"type":"content_block_delta","index":)" + std::to_string(index) +
                 R"(,"delta":{"type":"text_delta","text":")" + text + R"("}})");
}

std::string BlockStop(int index) {
  return Sse("content_block_stop",
             R"({"type":"content_block_stop","index":)" + std::to_string(index) + "}");
}

std::string MessageDelta(const std::string& stop_reason, int output_tokens) {
  return Sse("message_delta", R"({"type":"message_delta","delta":{"stop_reason":")" + stop_reason +
                                  R"(","stop_sequence":null},"usage":{"output_tokens":)" +
                                  std::to_string(output_tokens) + "}}");
}

const std::string kMessageStop = Sse("message_stop", R"({"type":"message_stop"})");

void ExpectCompleted(const Outcome& outcome, const std::string& stop_reason, uint32_t input,
                     uint32_t output) {
  ASSERT_TRUE(outcome.status.ok()) << outcome.status;
  ASSERT_GE(outcome.messages.size(), 2u);
  EXPECT_TRUE(outcome.messages.front().has_started());
  const v1::StreamChatResponse& last = outcome.messages.back();
  ASSERT_TRUE(last.has_completed());
  EXPECT_EQ(last.completed().stop_reason(), stop_reason);
  EXPECT_EQ(last.completed().usage().input_tokens(), input);
  EXPECT_EQ(last.completed().usage().output_tokens(), output);
}

TEST(ClaudeEventDecoder, PlainTextReply) {
  Outcome outcome =
      DecodeBody(kMessageStart + kTextStart0 + TextDelta(0, "Hello") + TextDelta(0, ", world") +
                 BlockStop(0) + MessageDelta("end_turn", 15) + kMessageStop);
  ExpectCompleted(outcome, "end_turn", 25, 15);
  ASSERT_EQ(outcome.messages.size(), 4u);
  EXPECT_EQ(outcome.messages[0].started().message_id(), "msg_01abc");
  EXPECT_EQ(outcome.messages[0].started().model(), "claude-test-1");
  EXPECT_EQ(outcome.messages[1].delta().text(), "Hello");
  EXPECT_EQ(outcome.messages[2].delta().text(), ", world");
  EXPECT_EQ(outcome.text, "Hello, world");
  EXPECT_EQ(outcome.messages[3].completed().messages_received(), 1u);
}

TEST(ClaudeEventDecoder, PingsAnywhereAreIgnored) {
  Outcome outcome = DecodeBody(kMessageStart + kPing + kTextStart0 + kPing + TextDelta(0, "a") +
                               kPing + TextDelta(0, "b") + BlockStop(0) + kPing +
                               MessageDelta("end_turn", 2) + kMessageStop);
  ExpectCompleted(outcome, "end_turn", 25, 2);
  EXPECT_EQ(outcome.text, "ab");
  EXPECT_EQ(outcome.messages.size(), 4u);
}

TEST(ClaudeEventDecoder, ThinkingBlockBeforeTextIsSkipped) {
  const std::string thinking =
      BlockStart(0, R"({"type":"thinking","thinking":""})") +
      BlockDelta(0, R"({"type":"thinking_delta","thinking":"Let me think"})") +
      BlockDelta(0, R"({"type":"signature_delta","signature":"EqQBCgIYAh"})") + BlockStop(0);
  const std::string text = BlockStart(1, R"({"type":"text","text":""})") +
                           TextDelta(1, "The answer") + TextDelta(1, " is 4.") + BlockStop(1);
  Outcome outcome =
      DecodeBody(kMessageStart + thinking + text + MessageDelta("end_turn", 40) + kMessageStop);
  ExpectCompleted(outcome, "end_turn", 25, 40);
  EXPECT_EQ(outcome.text, "The answer is 4.");
  EXPECT_THAT(outcome.text, Not(HasSubstr("think")));
}

TEST(ClaudeEventDecoder, ToolUseBlockAndInputJsonDeltasAreSkipped) {
  const std::string tool =
      BlockStart(1, R"({"type":"tool_use","id":"toolu_1","name":"get_weather","input":{}})") +
      BlockDelta(1, R"({"type":"input_json_delta","partial_json":""})") +
      BlockDelta(1, R"({"type":"input_json_delta","partial_json":"{\"location\": \"Par"})") +
      BlockDelta(1, R"({"type":"input_json_delta","partial_json":"is\"}"})") + BlockStop(1);
  Outcome outcome = DecodeBody(kMessageStart + kTextStart0 + TextDelta(0, "Checking the weather.") +
                               BlockStop(0) + tool + MessageDelta("tool_use", 89) + kMessageStop);
  ExpectCompleted(outcome, "tool_use", 25, 89);
  EXPECT_EQ(outcome.text, "Checking the weather.");
}

TEST(ClaudeEventDecoder, CitationsDeltaAndUnknownBlockTypesAreSkipped) {
  Outcome outcome =
      DecodeBody(kMessageStart + kTextStart0 + TextDelta(0, "Per the doc") +
                 BlockDelta(0, R"({"type":"citations_delta","citation":{"cited_text":"x"}})") +
                 BlockStop(0) + BlockStart(1, R"({"type":"server_tool_use","id":"s1"})") +
                 // Even a text_delta cannot leak out of a block announced as non-text.
                 TextDelta(1, "LEAK") + BlockStop(1) + MessageDelta("end_turn", 5) + kMessageStop);
  ExpectCompleted(outcome, "end_turn", 25, 5);
  EXPECT_EQ(outcome.text, "Per the doc");
}

TEST(ClaudeEventDecoder, InitialTextOfATextBlockIsDelivered) {
  Outcome outcome = DecodeBody(kMessageStart + BlockStart(0, R"({"type":"text","text":"Pre"})") +
                               TextDelta(0, "fix") + MessageDelta("end_turn", 2) + kMessageStop);
  ExpectCompleted(outcome, "end_turn", 25, 2);
  EXPECT_EQ(outcome.text, "Prefix");
}

TEST(ClaudeEventDecoder, MidStreamErrorEndsWithMappedStatus) {
  Outcome outcome = DecodeBody(
      kMessageStart + kTextStart0 + TextDelta(0, "Partial") +
      Sse("error",
          R"({"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}})") +
      TextDelta(0, " never"));
  EXPECT_EQ(outcome.status.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(outcome.status.message(), "upstream error overloaded_error: Overloaded");
  EXPECT_EQ(outcome.text, "Partial");
}

TEST(ClaudeEventDecoder, ErrorEventTypesMapToCodes) {
  const std::vector<std::pair<std::string, absl::StatusCode>> cases = {
      {"overloaded_error", absl::StatusCode::kUnavailable},
      {"api_error", absl::StatusCode::kUnavailable},
      {"rate_limit_error", absl::StatusCode::kResourceExhausted},
      {"invalid_request_error", absl::StatusCode::kInvalidArgument},
      {"authentication_error", absl::StatusCode::kUnauthenticated},
      {"permission_error", absl::StatusCode::kPermissionDenied},
      {"not_found_error", absl::StatusCode::kNotFound},
      {"request_too_large", absl::StatusCode::kInvalidArgument},
      {"timeout_error", absl::StatusCode::kDeadlineExceeded},
      {"brand_new_error", absl::StatusCode::kUnavailable},
  };
  for (const auto& [type, code] : cases) {
    ClaudeEventDecoder decoder;
    auto result = decoder.Decode(
        "error", R"({"type":"error","error":{"type":")" + type + R"(","message":"m"}})");
    EXPECT_EQ(result.status().code(), code) << type;
    EXPECT_THAT(result.status().message(), HasSubstr(type));
  }
}

TEST(ClaudeEventDecoder, ErrorBeforeMessageStartIsReported) {
  Outcome outcome = DecodeBody(Sse(
      "error", R"({"type":"error","error":{"type":"rate_limit_error","message":"slow down"}})"));
  EXPECT_EQ(outcome.status.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_TRUE(outcome.messages.empty());
}

TEST(ClaudeEventDecoder, TruncatedStreamIsUnavailableNotSuccess) {
  Outcome outcome = DecodeBody(kMessageStart + kTextStart0 + TextDelta(0, "Half a sen"));
  EXPECT_EQ(outcome.status.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(outcome.status.message(), "upstream stream ended early");
  EXPECT_EQ(outcome.text, "Half a sen");
}

TEST(ClaudeEventDecoder, StreamEndingAfterMessageDeltaWithoutStopIsUnavailable) {
  Outcome outcome = DecodeBody(kMessageStart + kTextStart0 + TextDelta(0, "x") + BlockStop(0) +
                               MessageDelta("end_turn", 1));
  EXPECT_EQ(outcome.status.code(), absl::StatusCode::kUnavailable);
}

TEST(ClaudeEventDecoder, EmptyStreamIsUnavailable) {
  ClaudeEventDecoder decoder;
  EXPECT_FALSE(decoder.complete());
  EXPECT_FALSE(decoder.started());
  EXPECT_EQ(decoder.Finish().code(), absl::StatusCode::kUnavailable);
}

TEST(ClaudeEventDecoder, MalformedJsonInKnownEventIsUnavailableWithoutEchoingIt) {
  ClaudeEventDecoder decoder;
  ASSERT_TRUE(decoder.Decode("message_start", R"({"type":"message_start","message":{}})").ok());
  auto result =
      decoder.Decode("content_block_delta", R"({"type":"content_block_delta","index":0,SECRET)");
  EXPECT_EQ(result.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(result.status().message(), "upstream sent a malformed content_block_delta event");
  EXPECT_THAT(result.status().message(), Not(HasSubstr("SECRET")));
  // Sticky: the decoder stays failed, and Finish reports the same error.
  EXPECT_EQ(decoder.Decode("message_stop", R"({"type":"message_stop"})").status(), result.status());
  EXPECT_EQ(decoder.Finish(), result.status());
}

TEST(ClaudeEventDecoder, MissingRequiredMembersAreMalformed) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"message_start", R"({"type":"message_start"})"},
      {"message_start", R"([1,2])"},
      {"content_block_start", R"({"type":"content_block_start","content_block":{"type":"text"}})"},
      {"content_block_start", R"({"type":"content_block_start","index":0})"},
      {"content_block_delta", R"({"type":"content_block_delta","index":0})"},
      {"content_block_delta",
       R"({"type":"content_block_delta","index":"0","delta":{"type":"text_delta","text":"x"}})"},
      {"content_block_delta",
       R"({"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":7}})"},
      {"error", R"({"type":"error"})"},
      {"message_stop", ""},
  };
  for (const auto& [event, data] : cases) {
    ClaudeEventDecoder decoder;
    if (event != "message_start") {
      ASSERT_TRUE(decoder.Decode("message_start", R"({"message":{}})").ok());
    }
    auto result = decoder.Decode(event, data);
    EXPECT_EQ(result.status().code(), absl::StatusCode::kUnavailable) << event << " " << data;
    EXPECT_THAT(result.status().message(), HasSubstr("malformed")) << data;
  }
}

TEST(ClaudeEventDecoder, UnknownEventTypesAreIgnoredEvenIfNotJson) {
  Outcome outcome = DecodeBody(kMessageStart + Sse("future_event", "not json at all") +
                               kTextStart0 + TextDelta(0, "ok") + Sse("ping", "garbage") +
                               MessageDelta("end_turn", 1) + kMessageStop);
  ExpectCompleted(outcome, "end_turn", 25, 1);
  EXPECT_EQ(outcome.text, "ok");
}

TEST(ClaudeEventDecoder, UnnamedEventsAreDecodedFromTheirJsonType) {
  ClaudeEventDecoder decoder;
  auto started = decoder.Decode("message", R"({"type":"message_start","message":{"id":"m"}})");
  ASSERT_TRUE(started.ok());
  ASSERT_TRUE(started->has_value());
  EXPECT_EQ((*started)->started().message_id(), "m");
  auto delta = decoder.Decode(
      "", R"({"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"t"}})");
  ASSERT_TRUE(delta.ok());
  ASSERT_TRUE(delta->has_value());
  EXPECT_EQ((*delta)->delta().text(), "t");
  auto unknown = decoder.Decode("message", R"({"type":"something_new"})");
  ASSERT_TRUE(unknown.ok());
  EXPECT_FALSE(unknown->has_value());
  EXPECT_EQ(decoder.Decode("message", R"({"no_type":1})").status().code(),
            absl::StatusCode::kUnavailable);
}

TEST(ClaudeEventDecoder, ContentBeforeMessageStartIsOutOfOrder) {
  ClaudeEventDecoder decoder;
  auto result = decoder.Decode(
      "content_block_delta",
      R"({"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"x"}})");
  EXPECT_EQ(result.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(result.status().message(), HasSubstr("out of order"));
  EXPECT_EQ(ClaudeEventDecoder().Decode("message_stop", "{}").status().code(),
            absl::StatusCode::kUnavailable);
}

TEST(ClaudeEventDecoder, SecondMessageStartIsOutOfOrder) {
  ClaudeEventDecoder decoder;
  ASSERT_TRUE(decoder.Decode("message_start", R"({"message":{}})").ok());
  EXPECT_EQ(decoder.Decode("message_start", R"({"message":{}})").status().code(),
            absl::StatusCode::kUnavailable);
}

TEST(ClaudeEventDecoder, EventsAfterMessageStopAreIgnored) {
  ClaudeEventDecoder decoder;
  ASSERT_TRUE(decoder.Decode("message_start", R"({"message":{}})").ok());
  ASSERT_TRUE(decoder.Decode("message_stop", "{}").ok());
  EXPECT_TRUE(decoder.complete());
  auto late = decoder.Decode("error", R"({"error":{"type":"api_error"}})");
  ASSERT_TRUE(late.ok());
  EXPECT_FALSE(late->has_value());
  EXPECT_TRUE(decoder.Finish().ok());
}

TEST(ClaudeEventDecoder, UsageComesFromMessageStartAndCumulativeMessageDelta) {
  // No message_delta: counts from message_start stand.
  Outcome start_only = DecodeBody(kMessageStart + kMessageStop);
  ExpectCompleted(start_only, "", 25, 1);
  // A message_delta that repeats input_tokens (newer API versions) wins.
  Outcome cumulative = DecodeBody(
      kMessageStart +
      Sse("message_delta", R"({"type":"message_delta","delta":{"stop_reason":"max_tokens"},)"
                           R"("usage":{"input_tokens":30,"output_tokens":7}})") +
      kMessageStop);
  ExpectCompleted(cumulative, "max_tokens", 30, 7);
}

TEST(ClaudeEventDecoder, TokenCountsSaturateAndIgnoreNonsense) {
  ClaudeEventDecoder decoder;
  ASSERT_TRUE(
      decoder
          .Decode("message_start",
                  R"({"message":{"usage":{"input_tokens":99999999999,"output_tokens":-3}}})")
          .ok());
  auto completed = decoder.Decode("message_stop", "{}");
  ASSERT_TRUE(completed.ok());
  ASSERT_TRUE(completed->has_value());
  EXPECT_EQ((*completed)->completed().usage().input_tokens(), 4294967295u);
  EXPECT_EQ((*completed)->completed().usage().output_tokens(), 0u);
}

TEST(ClaudeEventDecoder, MessagesReceivedIsCopiedIntoCompleted) {
  Outcome outcome = DecodeBody(kMessageStart + kMessageStop, /*messages_received=*/5);
  ASSERT_TRUE(outcome.status.ok());
  EXPECT_EQ(outcome.messages.back().completed().messages_received(), 5u);
}

TEST(ClaudeEventDecoder, EmptyTextDeltaSendsNothing) {
  ClaudeEventDecoder decoder;
  ASSERT_TRUE(decoder.Decode("message_start", R"({"message":{}})").ok());
  auto result = decoder.Decode(
      "content_block_delta",
      R"({"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":""}})");
  ASSERT_TRUE(result.ok());
  EXPECT_FALSE(result->has_value());
}

TEST(ClaudeEventDecoder, UnicodeAndEscapesInTextAreDecoded) {
  Outcome outcome = DecodeBody(kMessageStart + kTextStart0 + TextDelta(0, R"(caf\u00e9 \"q\"\n)") +
                               TextDelta(0, "日本") + kMessageStop);
  ASSERT_TRUE(outcome.status.ok()) << outcome.status;
  EXPECT_EQ(outcome.text, "café \"q\"\n日本");
}

TEST(ClaudeEventDecoder, TooManyContentBlocksFails) {
  ClaudeEventDecoder decoder;
  ASSERT_TRUE(decoder.Decode("message_start", R"({"message":{}})").ok());
  absl::Status status;
  for (int i = 0; i < 2000 && status.ok(); ++i) {
    status = decoder
                 .Decode("content_block_start", R"({"index":)" + std::to_string(i) +
                                                    R"(,"content_block":{"type":"tool_use"}})")
                 .status();
  }
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable);
}

TEST(ClaudeEventDecoder, DeeplyNestedJsonIsHandledWithoutCrashing) {
  ClaudeEventDecoder decoder;
  const std::string nested =
      R"({"message":)" + std::string(100000, '[') + std::string(100000, ']') + "}";
  EXPECT_EQ(decoder.Decode("message_start", nested).status().code(),
            absl::StatusCode::kUnavailable);
  EXPECT_FALSE(ClaudeEventDecoder::ParseError(std::string(100000, '[')).has_value());
}

TEST(ClaudeEventDecoder, RandomMutationsOfATranscriptNeverCrashOrThrow) {
  // Every outcome is acceptable except a crash, an exception or a silent success on a
  // stream that lost its message_stop.
  const std::string body = kMessageStart + kTextStart0 + TextDelta(0, "Hello") + BlockStop(0) +
                           MessageDelta("end_turn", 3) + kMessageStop;
  std::mt19937 random(12345);
  for (int round = 0; round < 3000; ++round) {
    std::string mutated = body;
    const int edits = 1 + static_cast<int>(random() % 4);
    for (int i = 0; i < edits; ++i) {
      const size_t at = random() % mutated.size();
      switch (random() % 3) {
        case 0:
          mutated[at] = static_cast<char>(random() % 256);
          break;
        case 1:
          mutated.erase(at, 1 + random() % 8);
          break;
        default:
          mutated.insert(at, 1, "{}[]\\\":,\n0-"[random() % 12]);
      }
      if (mutated.empty()) mutated.push_back('x');
    }
    Outcome outcome = DecodeBody(mutated);
    if (outcome.status.ok()) {
      ASSERT_FALSE(outcome.messages.empty());
      EXPECT_TRUE(outcome.messages.back().has_completed()) << mutated;
    }
  }
}

TEST(ClaudeEventDecoder, ParseErrorReadsTheEnvelope) {
  auto error = ClaudeEventDecoder::ParseError(
      R"({"type":"error","error":{"type":"not_found_error","message":"model: nope"}})");
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->type, "not_found_error");
  EXPECT_EQ(error->message, "model: nope");
  auto no_message = ClaudeEventDecoder::ParseError(R"({"error":{"type":"api_error"}})");
  ASSERT_TRUE(no_message.has_value());
  EXPECT_EQ(no_message->message, "");
  EXPECT_FALSE(ClaudeEventDecoder::ParseError("<html>502 Bad Gateway</html>").has_value());
  EXPECT_FALSE(ClaudeEventDecoder::ParseError("").has_value());
  EXPECT_FALSE(ClaudeEventDecoder::ParseError(R"({"error":"text"})").has_value());
  EXPECT_FALSE(ClaudeEventDecoder::ParseError(R"({"error":{"message":"no type"}})").has_value());
}

}  // namespace
}  // namespace streamgate::llm
