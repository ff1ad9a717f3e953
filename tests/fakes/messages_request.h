#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace streamgate::fake_claude {

// The parts of a POST /v1/messages body the fake acts on, after the checks the real API
// makes (as far as a fake needs them):
//   - the body is a JSON object;
//   - `model` is a non-empty string; `max_tokens` a positive integer;
//   - `messages` a non-empty array of {role: "user"|"assistant", content}, where content is
//     a string or an array of content blocks ({"type":"text","text":...} blocks are read,
//     other block types are accepted and ignored), and at least one message is a user's;
//   - `system`, when present, is a string or an array of text blocks;
//   - `temperature`, when present, is a number in [0, 1];
//   - `stream` is true (the fake only implements streaming).
// Anything else is INVALID_ARGUMENT with a message naming the field (the fake's 400
// invalid_request_error). Unknown members are ignored, as the API does.
//
// A value type. This and the tests are the only places in tests/fakes that parse JSON.
class MessagesRequest {
 public:
  static absl::StatusOr<MessagesRequest> Parse(std::string_view body);

  const std::string& model() const { return model_; }
  int64_t max_tokens() const { return max_tokens_; }
  // The number of entries in `messages`: the fake reports it as usage.input_tokens.
  int64_t message_count() const { return message_count_; }
  // The text of the last message whose role is "user" (text blocks concatenated).
  const std::string& last_user_text() const { return last_user_text_; }
  // Identifies "the same request" across retries: model, system and messages, serialized
  // canonically (so key order and whitespace in the body do not matter; max_tokens,
  // temperature, metadata and headers are not part of it).
  const std::string& conversation_key() const { return conversation_key_; }

 private:
  std::string model_;
  int64_t max_tokens_ = 0;
  int64_t message_count_ = 0;
  std::string last_user_text_;
  std::string conversation_key_;
};

}  // namespace streamgate::fake_claude
