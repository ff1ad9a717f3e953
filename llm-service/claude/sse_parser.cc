#include "llm-service/claude/sse_parser.h"

#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace streamgate::llm {
namespace {

constexpr std::string_view kBom = "\xEF\xBB\xBF";

bool AllAsciiDigits(std::string_view text) {
  if (text.empty()) return false;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

}  // namespace

SseParser::SseParser(SseParserOptions options) : options_(options) {}

absl::StatusOr<std::vector<SseEvent>> SseParser::Feed(std::string_view bytes) {
  std::vector<SseEvent> events;
  absl::Status status = Feed(bytes, [&events](const SseEvent& event) {
    events.push_back(event);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return events;
}

absl::Status SseParser::Feed(std::string_view bytes, EventSink on_event) {
  if (!status_.ok()) return status_;
  // The BOM may arrive split across calls, so match it byte by byte before anything else.
  while (!bom_checked_ && !bytes.empty()) {
    if (bytes.front() == kBom[bom_matched_]) {
      bytes.remove_prefix(1);
      if (++bom_matched_ == kBom.size()) bom_checked_ = true;
      continue;
    }
    bom_checked_ = true;
    // A partial match was ordinary text after all (none of its bytes ends a line).
    line_.assign(kBom.substr(0, bom_matched_));
  }
  if (bytes.empty()) return absl::OkStatus();
  absl::Status status = FeedLines(bytes, on_event);
  if (!status.ok()) return Fail(std::move(status));
  return absl::OkStatus();
}

absl::Status SseParser::FeedLines(std::string_view bytes, EventSink on_event) {
  while (!bytes.empty()) {
    if (skip_lf_) {
      skip_lf_ = false;
      if (bytes.front() == '\n') {
        bytes.remove_prefix(1);
        continue;
      }
    }
    const size_t end = bytes.find_first_of("\r\n");
    const size_t line_bytes = line_.size() + (end == std::string_view::npos ? bytes.size() : end);
    if (line_bytes > options_.max_line_bytes) {
      return absl::UnavailableError(absl::StrCat("upstream event stream has a line longer than ",
                                                 options_.max_line_bytes, " bytes"));
    }
    if (end == std::string_view::npos) {
      line_.append(bytes);
      return absl::OkStatus();
    }
    // Process a line in place when it arrived whole; copy only lines split across calls.
    std::string_view line = bytes.substr(0, end);
    if (!line_.empty()) {
      line_.append(line);
      line = line_;
    }
    skip_lf_ = bytes[end] == '\r';
    bytes.remove_prefix(end + 1);
    absl::Status status = ProcessLine(line, on_event);
    line_.clear();
    if (!status.ok()) return status;
  }
  return absl::OkStatus();
}

absl::Status SseParser::ProcessLine(std::string_view line, EventSink on_event) {
  if (line.empty()) return DispatchEvent(on_event);
  if (line.front() == ':') return absl::OkStatus();  // comment, e.g. a keep-alive
  const size_t colon = line.find(':');
  if (colon == std::string_view::npos) return ProcessField(line, {});
  std::string_view value = line.substr(colon + 1);
  if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  return ProcessField(line.substr(0, colon), value);
}

absl::Status SseParser::ProcessField(std::string_view field, std::string_view value) {
  if (field == "data") {
    if (data_.size() + value.size() + 1 > options_.max_data_bytes) {
      return absl::UnavailableError(absl::StrCat("upstream event stream has an event larger than ",
                                                 options_.max_data_bytes, " bytes"));
    }
    data_.append(value);
    data_.push_back('\n');
  } else if (field == "event") {
    event_type_.assign(value);
  } else if (field == "id") {
    // The spec ignores ids containing NUL, which would otherwise poison Last-Event-ID.
    if (value.find('\0') == std::string_view::npos) last_event_id_.assign(value);
  } else if (field == "retry") {
    int64_t retry_ms = 0;
    if (AllAsciiDigits(value) &&
        absl::SimpleAtoi(absl::string_view(value.data(), value.size()), &retry_ms)) {
      retry_ms_ = retry_ms;
    }
  }
  // Any other field is ignored, as the spec requires.
  return absl::OkStatus();
}

absl::Status SseParser::DispatchEvent(EventSink on_event) {
  if (data_.empty()) {
    // No data field: nothing is dispatched, and the event type does not carry over.
    event_type_.clear();
    return absl::OkStatus();
  }
  data_.pop_back();  // the '\n' added after the last data line
  SseEvent event;
  event.event = event_type_.empty() ? "message" : std::move(event_type_);
  event.data = std::move(data_);
  event.last_event_id = last_event_id_;
  event_type_.clear();
  data_.clear();
  return on_event(event);
}

bool SseParser::HasPendingInput() const {
  return !line_.empty() || !data_.empty() || !event_type_.empty() ||
         (!bom_checked_ && bom_matched_ > 0);
}

absl::Status SseParser::Fail(absl::Status status) {
  status_ = std::move(status);
  line_.clear();
  data_.clear();
  event_type_.clear();
  return status_;
}

}  // namespace streamgate::llm
