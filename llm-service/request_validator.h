#pragma once

#include <cstddef>
#include <string_view>

#include "absl/status/status.h"
#include "streamgate/llm/v1/llm_service.pb.h"

namespace streamgate::llm {

// session_id and request_id appear in every log line of a call, so each is empty or at most
// this many bytes of printable ASCII without spaces (0x21-0x7e): no id can forge a log line
// or make one huge.
inline constexpr size_t kMaxIdBytes = 128;
// Anthropic's limit on messages per request; the mock keeps it too.
inline constexpr int kMaxMessages = 100000;
// A model name is at most this many bytes of [A-Za-z0-9._:@/-] (Anthropic, Bedrock and
// Vertex ids all fit).
inline constexpr size_t kMaxModelBytes = 256;

// True when `id` may be written into a log line as it is (see kMaxIdBytes).
bool IsLoggableId(std::string_view id);

// True when `text` is well-formed UTF-8 (no overlong forms, surrogates or code points above
// U+10FFFF): what protobuf requires of a proto3 string.
bool IsValidUtf8(std::string_view text);

// The one set of request rules, applied by LlmStreamService before any provider starts, so
// the mock refuses exactly what Claude would (llm_service.proto states them):
//   - session_id, request_id: empty or printable ASCII ids (kMaxIdBytes);
//   - messages: 1..kMaxMessages, roles ROLE_USER/ROLE_ASSISTANT strictly alternating,
//     starting and ending with ROLE_USER; content valid UTF-8, not empty, not only
//     whitespace (Unicode White_Space);
//   - system: optional; when non-empty, valid UTF-8 and not only whitespace;
//   - model: optional; empty means the default, else a model name (kMaxModelBytes);
//   - max_tokens: optional; at least 1;
//   - temperature: optional; within [0, 1] (NaN is not).
// Fails with INVALID_ARGUMENT and a message "<field>[<index>]...: <rule>" that names the
// field and never quotes what the caller sent. Pure; any thread.
absl::Status ValidateRequest(const v1::StreamChatRequest& request);

}  // namespace streamgate::llm
