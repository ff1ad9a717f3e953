#pragma once

#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "llm-service/claude/anthropic_status.h"
#include "llm-service/claude/sse_parser.h"
#include "streamgate/llm/v1/llm_service.pb.h"

namespace streamgate::llm {

// Turns the events of one Anthropic Messages streaming response into what our gRPC stream
// carries: `message_start` → a `started` message, text deltas of text blocks → `delta`
// messages, `message_stop` → a `completed` message (stop reason and usage gathered from
// `message_start` and `message_delta`). Everything that is not reply text (ping, thinking,
// tool_use and other non-text blocks and their deltas, content_block_stop, event types
// added later) is skipped. An `error` event becomes the status from AnthropicStatus.
//
// The event's SSE name selects the handler; the JSON "type" member is consulted only when
// the event has no name (SSE default "message"), so either form works.
//
// Failures are UNAVAILABLE ("the upstream is failing", in the proto's words) with a fixed
// message that never quotes the payload: malformed JSON or a missing required member in a
// known event, content before `message_start`, a second `message_start`. Finish() reports a
// stream that ended without `message_stop` as UNAVAILABLE too, never as success.
//
// Owned by one upstream transfer and called only from the thread that runs it; not
// thread-safe. Once it has failed, every call returns the same error; once it is complete,
// later events are ignored. This file is the only one in llm-service/claude that parses
// JSON (nlohmann, with exceptions disabled for the parse).
class ClaudeEventDecoder {
 public:
  // `messages_received` is copied into the `completed` message (see the proto).
  explicit ClaudeEventDecoder(uint32_t messages_received = 0);

  // Decodes one event. Returns the message to send next, nullopt when the event carries
  // nothing for the client, or the failure that ends the reply.
  absl::StatusOr<std::optional<v1::StreamChatResponse>> Decode(std::string_view event_name,
                                                               std::string_view data);
  absl::StatusOr<std::optional<v1::StreamChatResponse>> Decode(const SseEvent& event) {
    return Decode(event.event, event.data);
  }

  // Call when the response body has ended: OK if `message_stop` was decoded, the earlier
  // error if one was returned, otherwise UNAVAILABLE "upstream stream ended early".
  absl::Status Finish() const;

  // `message_stop` has been decoded: the reply is whole.
  bool complete() const { return complete_; }
  // `message_start` has been decoded (the caller may still hold the `started` message back).
  bool started() const { return started_; }

  // Parses Anthropic's error envelope {"type":"error","error":{"type":..,"message":..}}.
  // Returns nullopt when `json` is not such an envelope (not JSON, an HTML error page, ...).
  // Shared with UpstreamHttpStatus so that JSON parsing stays in this file.
  static std::optional<AnthropicError> ParseError(std::string_view json);

 private:
  using Result = absl::StatusOr<std::optional<v1::StreamChatResponse>>;

  Result Dispatch(std::string_view event_name, std::string_view data);
  Result OnMessageStart(const nlohmann::json& event);
  Result OnContentBlockStart(const nlohmann::json& event);
  Result OnContentBlockDelta(const nlohmann::json& event);
  Result OnMessageDelta(const nlohmann::json& event);
  Result OnMessageStop();

  const uint32_t messages_received_;
  bool started_ = false;
  bool complete_ = false;
  absl::Status status_;  // first failure; sticky
  // Whether the content block at each index is a text block; only those deltas are text.
  std::unordered_map<int64_t, bool> block_is_text_;
  std::string stop_reason_;
  uint32_t input_tokens_ = 0;
  uint32_t output_tokens_ = 0;
};

}  // namespace streamgate::llm
