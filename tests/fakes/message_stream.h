#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace streamgate::fake_claude {

// One server-sent event, ready for the wire ("event: NAME\ndata: JSON\n\n").
struct StreamEvent {
  std::string name;
  std::string wire;
  // Index among the reply's text_delta events, or -1 for any other event.
  int text_delta_index = -1;
  // Any content_block_delta (text, thinking, signature, input_json): paced by slow:MS.
  bool is_delta = false;
};

struct MessageStreamOptions {
  std::string message_id;  // "msg_fake_7"
  std::string model;       // echoed in message_start
  int64_t input_tokens = 0;
  int64_t max_tokens = 1024;
  std::string text;         // the whole reply text; split into one text_delta per word
  bool thinking = false;    // a thinking block (thinking_delta x2 + signature_delta) first
  bool tool_use = false;    // a tool_use block (input_json_delta pieces) after the text
  bool ping_heavy = false;  // a ping after every delta, besides the usual one
};

// The events of one streamed Messages API reply, in the order and shape the real API uses:
//
//   message_start            {"message":{id, model, role, content:[], usage:{input_tokens,
//   output_tokens:1}}} content_block_start      index 0, {"type":"text","text":""}   (after a
//   thinking block: index 1) ping content_block_delta ...  {"type":"text_delta","text":"<word>"},
//   one per word content_block_stop message_delta
//   {"delta":{"stop_reason":...},"usage":{"output_tokens":<deltas>}} message_stop
//
// A "word" is a run of whitespace plus the non-whitespace after it, so the deltas
// concatenate to exactly `text`. At most max_tokens text deltas are sent; if the text has
// more words, it is cut there and stop_reason is "max_tokens" (no tool_use block then);
// otherwise "tool_use" with a tool block, else "end_turn". output_tokens counts every
// content_block_delta.
//
// Pure: the whole event list is built by the constructor. A value type.
class MessageStream {
 public:
  explicit MessageStream(const MessageStreamOptions& options);

  // Every event of the complete reply, message_start to message_stop.
  const std::vector<StreamEvent>& events() const { return events_; }
  int text_deltas() const { return text_deltas_; }

  // The events before the (n+1)-th text delta: message_start, the block starts and exactly
  // min(n, text_deltas()) text deltas (with anything between them, e.g. pings). What a
  // stream that fails "after n deltas" has sent.
  std::vector<StreamEvent> PrefixWithTextDeltas(int n) const;

  // `event: error` with {"type":"error","error":{"type":type,"message":message}}.
  static StreamEvent ErrorEvent(std::string_view type, std::string_view message);

  static std::vector<std::string> SplitWords(std::string_view text);

 private:
  void Add(std::string_view name, const std::string& json, bool is_delta = false,
           bool is_text_delta = false);

  std::vector<StreamEvent> events_;
  int text_deltas_ = 0;
  // Index in events_ of the text block's content_block_stop.
  size_t text_block_stop_ = 0;
};

}  // namespace streamgate::fake_claude
