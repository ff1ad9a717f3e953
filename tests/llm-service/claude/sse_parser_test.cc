#include "llm-service/claude/sse_parser.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace streamgate::llm {

// Found by gtest through ADL, so it must live in SseEvent's namespace.
void PrintTo(const SseEvent& event, std::ostream* os) {
  *os << "{event=\"" << event.event << "\" data=\"" << event.data << "\" id=\""
      << event.last_event_id << "\"}";
}

namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

SseEvent Event(std::string event, std::string data, std::string id = "") {
  return SseEvent{std::move(event), std::move(data), std::move(id)};
}

// A stream written with '\n' line endings and the events it must produce.
struct Transcript {
  const char* name;
  std::string text;
  std::vector<SseEvent> events;
};

std::vector<Transcript> Transcripts() {
  return {
      {"anthropic_reply",
       "event: message_start\n"
       "data: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\"}}\n"
       "\n"
       "event: ping\n"
       "data: {\"type\": \"ping\"}\n"
       "\n"
       "event: content_block_delta\n"
       "data: {\"type\":\"content_block_delta\",\"delta\":{\"text\":\"Hi: there\"}}\n"
       "\n"
       "event: message_stop\n"
       "data: {\"type\":\"message_stop\"}\n"
       "\n",
       {Event("message_start", R"({"type":"message_start","message":{"id":"msg_1"}})"),
        Event("ping", R"({"type": "ping"})"),
        Event("content_block_delta",
              R"({"type":"content_block_delta","delta":{"text":"Hi: there"}})"),
        Event("message_stop", R"({"type":"message_stop"})")}},
      // The WHATWG spec's own examples.
      {"spec_multiline_data",
       "data: YHOO\ndata: +2\ndata: 10\n\n",
       {Event("message", "YHOO\n+2\n10")}},
      {"spec_ids_and_spaces",
       ": test stream\n\ndata: first event\nid: 1\n\ndata:second event\nid\n\n"
       "data:  third event\n\n",
       {Event("message", "first event", "1"), Event("message", "second event", ""),
        Event("message", " third event", "")}},
      {"spec_empty_data_and_unterminated",
       "data\n\ndata\ndata\n\ndata:",
       {Event("message", ""), Event("message", "\n")}},
      {"spec_optional_space",
       "data:test\n\ndata: test\n\n",
       {Event("message", "test"), Event("message", "test")}},
      // Our own edge cases.
      {"comments_unknown_fields_and_retry",
       ":keep-alive\nfoo: bar\nretry: 3000\nevent: e\n: mid-event comment\ndata: x\nbogus\n\n",
       {Event("e", "x")}},
      {"event_type_resets_after_dispatch",
       "event: a\ndata: 1\n\ndata: 2\n\n",
       {Event("a", "1"), Event("message", "2")}},
      {"event_without_data_not_dispatched",
       "event: lonely\n\n\n\ndata: y\n\n",
       {Event("message", "y")}},
      {"id_is_sticky",
       "id: 7\ndata: a\n\ndata: b\n\nid: 8\ndata: c\n\n",
       {Event("message", "a", "7"), Event("message", "b", "7"), Event("message", "c", "8")}},
      {"colon_in_value_and_extra_space",
       "data:  two spaces: kept\nevent:x:y\n\n",
       {Event("x:y", " two spaces: kept")}},
      {"trailing_partial_event_discarded",
       "data: done\n\nevent: half\ndata: never",
       {Event("message", "done")}},
  };
}

std::string WithLineEnding(const std::string& text, const std::string& ending) {
  std::string out;
  for (char c : text) {
    if (c == '\n') {
      out += ending;
    } else {
      out += c;
    }
  }
  return out;
}

// The same stream with mixed endings: each line break cycles through CRLF, LF and CR. (In
// this order a CR is never followed by an LF ending, which would merge the two into one.)
std::string WithMixedLineEndings(const std::string& text) {
  static const char* kEndings[] = {"\r\n", "\n", "\r"};
  std::string out;
  int next = 0;
  for (char c : text) {
    if (c == '\n') {
      out += kEndings[next++ % 3];
    } else {
      out += c;
    }
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> Variants(const std::string& text) {
  return {{"LF", text},
          {"CRLF", WithLineEnding(text, "\r\n")},
          {"CR", WithLineEnding(text, "\r")},
          {"mixed", WithMixedLineEndings(text)},
          {"BOM+CRLF", "\xEF\xBB\xBF" + WithLineEnding(text, "\r\n")},
          {"BOM+LF", "\xEF\xBB\xBF" + text}};
}

std::vector<SseEvent> FeedPieces(const std::vector<std::string_view>& pieces) {
  SseParser parser;
  std::vector<SseEvent> events;
  for (std::string_view piece : pieces) {
    auto status = parser.Feed(piece, [&events](const SseEvent& event) {
      events.push_back(event);
      return absl::OkStatus();
    });
    EXPECT_TRUE(status.ok()) << status;
  }
  return events;
}

TEST(SseParser, EveryTranscriptWholeWithEveryLineEnding) {
  for (const Transcript& transcript : Transcripts()) {
    for (const auto& [variant, text] : Variants(transcript.text)) {
      EXPECT_EQ(FeedPieces({text}), transcript.events) << transcript.name << " " << variant;
    }
  }
}

TEST(SseParser, EveryTranscriptOneByteAtATime) {
  for (const Transcript& transcript : Transcripts()) {
    for (const auto& [variant, text] : Variants(transcript.text)) {
      std::vector<std::string_view> bytes;
      for (size_t i = 0; i < text.size(); ++i) bytes.push_back(std::string_view(text).substr(i, 1));
      EXPECT_EQ(FeedPieces(bytes), transcript.events) << transcript.name << " " << variant;
    }
  }
}

TEST(SseParser, EventSplitAcrossReadsAtEveryBytePosition) {
  for (const Transcript& transcript : Transcripts()) {
    for (const auto& [variant, text] : Variants(transcript.text)) {
      const std::string_view view(text);
      for (size_t cut = 0; cut <= view.size(); ++cut) {
        EXPECT_EQ(FeedPieces({view.substr(0, cut), view.substr(cut)}), transcript.events)
            << transcript.name << " " << variant << " cut at " << cut;
      }
    }
  }
}

TEST(SseParser, CrlfSplitAcrossFeedsIsOneLineEnding) {
  SseParser parser;
  auto first = parser.Feed("data: a\r");
  ASSERT_TRUE(first.ok());
  EXPECT_THAT(*first, IsEmpty());
  // If the LF were a second line ending, "a" would be dispatched here on its own.
  auto second = parser.Feed("\ndata: b\r");
  ASSERT_TRUE(second.ok());
  EXPECT_THAT(*second, IsEmpty());
  auto third = parser.Feed("\n\r");
  ASSERT_TRUE(third.ok());
  EXPECT_THAT(*third, ElementsAre(Event("message", "a\nb")));
  // The LF after a CR that ended an empty line is still swallowed, not a new empty line.
  auto fourth = parser.Feed("\ndata: c\r\r");
  ASSERT_TRUE(fourth.ok());
  EXPECT_THAT(*fourth, ElementsAre(Event("message", "c")));
}

TEST(SseParser, CrCrIsTwoLineEndings) {
  SseParser parser;
  auto events = parser.Feed("data: a\r\rdata: b\n\n");
  ASSERT_TRUE(events.ok());
  EXPECT_THAT(*events, ElementsAre(Event("message", "a"), Event("message", "b")));
}

TEST(SseParser, BomSplitAcrossFeedsIsSkipped) {
  SseParser parser;
  ASSERT_TRUE(parser.Feed("\xEF").ok());
  ASSERT_TRUE(parser.Feed("\xBB").ok());
  auto events = parser.Feed(
      "\xBF"
      "data: x\n\n");
  ASSERT_TRUE(events.ok());
  EXPECT_THAT(*events, ElementsAre(Event("message", "x")));
}

TEST(SseParser, OnlyOneLeadingBomIsSkipped) {
  SseParser parser;
  auto events = parser.Feed(
      "\xEF\xBB\xBF\xEF\xBB\xBF"
      "data: x\n\ndata: \xEF\xBB\xBFy\n\n");
  ASSERT_TRUE(events.ok());
  // The second BOM starts the line, so the field is "\xEF\xBB\xBFdata" and is ignored.
  EXPECT_THAT(*events, ElementsAre(Event("message", "\xEF\xBB\xBFy")));
}

TEST(SseParser, PartialBomIsOrdinaryText) {
  SseParser parser;
  ASSERT_TRUE(parser.Feed("\xEF\xBB").ok());
  EXPECT_TRUE(parser.HasPendingInput());
  auto events = parser.Feed("data: x\n\ndata: y\n\n");
  ASSERT_TRUE(events.ok());
  // The first line's field name is "\xEF\xBBdata", an unknown field.
  EXPECT_THAT(*events, ElementsAre(Event("message", "y")));
}

TEST(SseParser, RetryFieldRecordsReconnectionTime) {
  SseParser parser;
  EXPECT_EQ(parser.retry_ms(), std::nullopt);
  ASSERT_TRUE(parser.Feed("retry: 2500\n").ok());
  EXPECT_EQ(parser.retry_ms(), 2500);
  ASSERT_TRUE(parser.Feed("retry: 12x\nretry: -1\nretry:\n").ok());  // all ignored
  EXPECT_EQ(parser.retry_ms(), 2500);
}

TEST(SseParser, IdWithNulIsIgnored) {
  SseParser parser;
  std::string stream = "id: 1\ndata: a\n\nid: 2";
  stream += '\0';
  stream += "x\ndata: b\n\n";
  auto events = parser.Feed(stream);
  ASSERT_TRUE(events.ok());
  EXPECT_THAT(*events, ElementsAre(Event("message", "a", "1"), Event("message", "b", "1")));
}

TEST(SseParser, HasPendingInputTracksUndispatchedEvent) {
  SseParser parser;
  EXPECT_FALSE(parser.HasPendingInput());
  ASSERT_TRUE(parser.Feed("data: par").ok());
  EXPECT_TRUE(parser.HasPendingInput());
  ASSERT_TRUE(parser.Feed("tial\n").ok());
  EXPECT_TRUE(parser.HasPendingInput());
  ASSERT_TRUE(parser.Feed("\n").ok());
  EXPECT_FALSE(parser.HasPendingInput());
}

TEST(SseParser, LineAtTheLimitIsAccepted) {
  SseParser parser(SseParserOptions{.max_line_bytes = 16, .max_data_bytes = 1024});
  const std::string line = "data: " + std::string(10, 'x');  // exactly 16 bytes
  auto events = parser.Feed(line + "\n\n");
  ASSERT_TRUE(events.ok()) << events.status();
  EXPECT_THAT(*events, ElementsAre(Event("message", std::string(10, 'x'))));
}

TEST(SseParser, LineOverTheLimitFails) {
  SseParser parser(SseParserOptions{.max_line_bytes = 16, .max_data_bytes = 1024});
  auto events = parser.Feed("data: " + std::string(11, 'x') + "\n\n");
  EXPECT_EQ(events.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(events.status().message(), HasSubstr("longer than 16 bytes"));
}

TEST(SseParser, UnterminatedLineOverTheLimitFailsAcrossFeeds) {
  // A broken upstream that never sends a newline must not grow the buffer without bound.
  SseParser parser(SseParserOptions{.max_line_bytes = 64, .max_data_bytes = 1024});
  absl::Status status;
  int feeds = 0;
  while (status.ok() && feeds < 100) {
    status = parser.Feed("0123456789").status();
    ++feeds;
  }
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(feeds, 7);  // 70 bytes is the first total over 64
}

TEST(SseParser, EventDataOverTheLimitFails) {
  SseParser parser(SseParserOptions{.max_line_bytes = 1024, .max_data_bytes = 20});
  auto events = parser.Feed("data: 0123456789\ndata: 0123456789\n\n");
  EXPECT_EQ(events.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(events.status().message(), HasSubstr("larger than 20 bytes"));
}

TEST(SseParser, DefaultLimitIsOneMebibyte) {
  SseParserOptions options;
  EXPECT_EQ(options.max_line_bytes, size_t{1} << 20);
  SseParser parser;
  auto ok = parser.Feed("data: " + std::string((1 << 20) - 6, 'x') + "\n\n");
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(ok->size(), 1u);
  EXPECT_EQ(parser.Feed("data: " + std::string(1 << 20, 'x')).status().code(),
            absl::StatusCode::kUnavailable);
}

TEST(SseParser, ErrorIsSticky) {
  SseParser parser(SseParserOptions{.max_line_bytes = 8, .max_data_bytes = 8});
  ASSERT_FALSE(parser.Feed("data: too long\n").ok());
  auto again = parser.Feed("data: a\n\n");
  EXPECT_EQ(again.status().code(), absl::StatusCode::kUnavailable);
}

TEST(SseParser, CallbackErrorStopsParsingAndSticks) {
  SseParser parser;
  int calls = 0;
  absl::Status status = parser.Feed("data: 1\n\ndata: 2\n\n", [&calls](const SseEvent&) {
    ++calls;
    return absl::CancelledError("stop");
  });
  EXPECT_EQ(status.code(), absl::StatusCode::kCancelled);
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(parser.Feed("data: 3\n\n").status().code(), absl::StatusCode::kCancelled);
}

TEST(SseParser, EmptyFeedIsHarmless) {
  SseParser parser;
  auto events = parser.Feed("");
  ASSERT_TRUE(events.ok());
  EXPECT_THAT(*events, IsEmpty());
  EXPECT_FALSE(parser.HasPendingInput());
}

}  // namespace
}  // namespace streamgate::llm
