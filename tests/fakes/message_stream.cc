#include "tests/fakes/message_stream.h"

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"

namespace streamgate::fake_claude {
namespace {

// Keeps "type" first, as the real API writes it, which makes captured streams readable.
using ordered_json = nlohmann::ordered_json;

std::string Dump(const ordered_json& value) {
  return value.dump(-1, ' ', /*ensure_ascii=*/false, ordered_json::error_handler_t::replace);
}

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

ordered_json Delta(int index, ordered_json delta) {
  return {{"type", "content_block_delta"}, {"index", index}, {"delta", std::move(delta)}};
}

ordered_json BlockStart(int index, ordered_json block) {
  return {{"type", "content_block_start"}, {"index", index}, {"content_block", std::move(block)}};
}

ordered_json BlockStop(int index) { return {{"type", "content_block_stop"}, {"index", index}}; }

}  // namespace

std::vector<std::string> MessageStream::SplitWords(std::string_view text) {
  std::vector<std::string> words;
  size_t start = 0;
  while (start < text.size()) {
    size_t pos = start;
    while (pos < text.size() && IsSpace(text[pos])) ++pos;
    while (pos < text.size() && !IsSpace(text[pos])) ++pos;
    words.emplace_back(text.substr(start, pos - start));
    start = pos;
  }
  return words;
}

void MessageStream::Add(std::string_view name, const std::string& json, bool is_delta,
                        bool is_text_delta) {
  StreamEvent event;
  event.name = std::string(name);
  event.wire = absl::StrCat("event: ", absl::string_view(name.data(), name.size()),
                            "\ndata: ", json, "\n\n");
  event.is_delta = is_delta;
  event.text_delta_index = is_text_delta ? text_deltas_++ : -1;
  events_.push_back(std::move(event));
}

MessageStream::MessageStream(const MessageStreamOptions& options) {
  ordered_json usage = {{"input_tokens", options.input_tokens}, {"output_tokens", 1}};
  ordered_json message = {{"id", options.message_id},
                          {"type", "message"},
                          {"role", "assistant"},
                          {"model", options.model},
                          {"content", ordered_json::array()},
                          {"stop_reason", nullptr},
                          {"stop_sequence", nullptr},
                          {"usage", usage}};
  Add("message_start", Dump({{"type", "message_start"}, {"message", message}}));
  const std::string ping = Dump({{"type", "ping"}});
  int deltas = 0;
  auto add_delta = [&](int index, ordered_json delta, bool is_text) {
    Add("content_block_delta", Dump(Delta(index, std::move(delta))), true, is_text);
    ++deltas;
    if (options.ping_heavy) Add("ping", ping);
  };

  int index = 0;
  if (options.thinking) {
    Add("content_block_start",
        Dump(BlockStart(index, {{"type", "thinking"}, {"thinking", ""}, {"signature", ""}})));
    Add("ping", ping);
    add_delta(index, {{"type", "thinking_delta"}, {"thinking", "Let me think about"}}, false);
    add_delta(index, {{"type", "thinking_delta"}, {"thinking", " this request."}}, false);
    add_delta(index, {{"type", "signature_delta"}, {"signature", "RmFrZVNpZ25hdHVyZQ=="}}, false);
    Add("content_block_stop", Dump(BlockStop(index)));
    ++index;
  }
  Add("content_block_start", Dump(BlockStart(index, {{"type", "text"}, {"text", ""}})));
  if (!options.thinking) Add("ping", ping);
  std::vector<std::string> words = SplitWords(options.text);
  const bool truncated = static_cast<int64_t>(words.size()) > options.max_tokens;
  if (truncated) words.resize(static_cast<size_t>(options.max_tokens));
  for (const std::string& word : words) {
    add_delta(index, {{"type", "text_delta"}, {"text", word}}, true);
  }
  text_block_stop_ = events_.size();
  Add("content_block_stop", Dump(BlockStop(index)));

  const bool tool_use = options.tool_use && !truncated;
  if (tool_use) {
    ++index;
    Add("content_block_start", Dump(BlockStart(index, {{"type", "tool_use"},
                                                       {"id", "toolu_" + options.message_id},
                                                       {"name", "fake_echo"},
                                                       {"input", ordered_json::object()}})));
    // The input JSON arrives in pieces that are not valid JSON on their own.
    std::string input = Dump({{"text", options.text}});
    const size_t piece = input.size() / 3 + 1;
    add_delta(index, {{"type", "input_json_delta"}, {"partial_json", ""}}, false);
    for (size_t at = 0; at < input.size(); at += piece) {
      add_delta(index, {{"type", "input_json_delta"}, {"partial_json", input.substr(at, piece)}},
                false);
    }
    Add("content_block_stop", Dump(BlockStop(index)));
  }
  const char* stop_reason = truncated ? "max_tokens" : tool_use ? "tool_use" : "end_turn";
  Add("message_delta", Dump({{"type", "message_delta"},
                             {"delta", {{"stop_reason", stop_reason}, {"stop_sequence", nullptr}}},
                             {"usage", {{"output_tokens", deltas}}}}));
  Add("message_stop", Dump({{"type", "message_stop"}}));
}

std::vector<StreamEvent> MessageStream::PrefixWithTextDeltas(int n) const {
  std::vector<StreamEvent> prefix;
  for (size_t i = 0; i < text_block_stop_; ++i) {
    if (events_[i].text_delta_index >= n) break;
    prefix.push_back(events_[i]);
  }
  return prefix;
}

StreamEvent MessageStream::ErrorEvent(std::string_view type, std::string_view message) {
  ordered_json error = {
      {"type", "error"},
      {"error", {{"type", std::string(type)}, {"message", std::string(message)}}}};
  StreamEvent event;
  event.name = "error";
  event.wire = absl::StrCat("event: error\ndata: ", Dump(error), "\n\n");
  return event;
}

}  // namespace streamgate::fake_claude
