#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace streamgate::llm {

// One dispatched Server-Sent Event.
struct SseEvent {
  // The `event:` field, or "message" when the event had none (as the WHATWG spec says).
  std::string event;
  // Every `data:` line of the event joined with '\n'.
  std::string data;
  // The last `id:` seen on the stream so far (ids are sticky across events); empty if none.
  std::string last_event_id;

  friend bool operator==(const SseEvent&, const SseEvent&) = default;
};

struct SseParserOptions {
  // Longest line the parser will buffer. A longer one means a broken upstream, and the
  // parser fails rather than grow without bound.
  size_t max_line_bytes = size_t{1} << 20;
  // Largest `data` one event may accumulate over all its lines, for the same reason.
  size_t max_data_bytes = size_t{1} << 20;
};

// Incremental parser for a text/event-stream body, following the WHATWG HTML "event stream
// interpretation" rules: CR, LF and CRLF line endings (a CRLF may be split across Feed
// calls), one optional leading BOM, comment lines, unknown fields ignored, an event with no
// data is not dispatched, and an unterminated event at end of stream is discarded.
//
// Bytes are passed through as they are: UTF-8 is not validated here (the JSON parser that
// reads `data` does that).
//
// Owned by one upstream transfer and called only from the thread running that transfer;
// not thread-safe. Buffers at most one partial line plus one event's data, both bounded by
// SseParserOptions. After any error the parser stays failed and returns that error.
class SseParser {
 public:
  // Receives each complete event. A non-OK return stops parsing and is returned by Feed.
  using EventSink = absl::FunctionRef<absl::Status(const SseEvent& event)>;

  explicit SseParser(SseParserOptions options = {});

  // Consumes the next bytes of the stream, calling `on_event` for every event they
  // complete, in order. Returns UNAVAILABLE when a line or an event exceeds its bound.
  absl::Status Feed(std::string_view bytes, EventSink on_event);

  // Convenience form that collects the completed events.
  absl::StatusOr<std::vector<SseEvent>> Feed(std::string_view bytes);

  // The reconnection time from the last valid `retry:` field, if any. Informational: the
  // Anthropic API does not send it, and our retries follow RetryPolicy.
  std::optional<int64_t> retry_ms() const { return retry_ms_; }

  // True when part of an event (a partial line or data lines) has been read but not yet
  // dispatched; at end of stream such an event is incomplete and is dropped.
  bool HasPendingInput() const;

 private:
  absl::Status FeedLines(std::string_view bytes, EventSink on_event);
  absl::Status ProcessLine(std::string_view line, EventSink on_event);
  absl::Status ProcessField(std::string_view field, std::string_view value);
  absl::Status DispatchEvent(EventSink on_event);
  absl::Status Fail(absl::Status status);

  const SseParserOptions options_;
  // How many bytes of a leading UTF-8 BOM have matched so far; the check ends at the first
  // byte that is not part of the BOM, or after the whole BOM.
  size_t bom_matched_ = 0;
  bool bom_checked_ = false;
  // The previous line ended with CR, so an LF at the start of the next bytes belongs to it.
  bool skip_lf_ = false;
  std::string line_;  // the current incomplete line, at most max_line_bytes
  // Data buffer of the event being read: each data line plus '\n', so it is empty exactly
  // when the event has no data field. At most max_data_bytes.
  std::string data_;
  std::string event_type_;  // event type buffer
  std::string last_event_id_;
  std::optional<int64_t> retry_ms_;
  absl::Status status_;  // first error; once set, every Feed returns it
};

}  // namespace streamgate::llm
