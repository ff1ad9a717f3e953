#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace streamgate::cli {

// The gateway's /ws JSON protocol as the CLI speaks it (see the README's protocol tables and
// docs/sessions.md). Pure functions; the only place the CLI parses or builds WebSocket JSON.

// What the CLI needs from one server frame. Fields a frame does not carry stay empty (0).
struct ServerFrame {
  std::string type;             // connection_established, stream_chunk, session_resumed, ...
  std::string session_id;       // "sessionId"
  uint64_t seq = 0;             // "seq": per session, across its connections; 0 when absent
  std::string conversation_id;  // "conversationId" of reply frames and their errors
  std::string content;          // stream_chunk: the text delta
  std::string error;            // error: human text
  std::string code;             // error: machine-readable code
  std::string reason;           // error resume_failed: why (unknown_session, bad_token, ...)
  std::string resume_token;     // connection_established, session_resumed: a secret
  int64_t retry_after_ms = -1;  // going_away: when to come back; -1 when absent
  int64_t replayed = 0;         // session_resumed: frames replayed
  bool cancelled = false;       // stream_end of a reply stopped by `cancel`
};

// Nullopt when `text` is not a JSON object with a string "type". Fields of an unexpected
// type are treated as absent (extra fields are allowed by the protocol).
std::optional<ServerFrame> ParseServerFrame(std::string_view text);

// `text` for printing (--json): every "resumeToken" field's value replaced with
// "<redacted>", the rest (field order included) as received. Frames without one are
// returned unchanged.
std::string RedactSecrets(std::string_view text);
inline constexpr std::string_view kRedacted = "<redacted>";

// The conversation every frame without a "conversationId" belongs to.
inline constexpr std::string_view kDefaultConversation = "default";
// A conversation id is 1-64 of [A-Za-z0-9_-]; InvalidArgument (naming the rule) otherwise.
absl::Status ValidateConversationId(std::string_view id);

// Client frames. `session_id` may be empty (the connection identifies the session), and so
// may `conversation_id` (the default conversation; the field is then left out). Text that
// is not valid UTF-8 has the bad bytes replaced with U+FFFD (the gateway closes the
// connection on an invalid text frame).
std::string EncodeUserMessage(std::string_view content, std::string_view session_id,
                              std::string_view conversation_id = {});
std::string EncodeCancel(std::string_view session_id, std::string_view conversation_id = {});
// The first frame of a connection that takes session `session_id` back.
std::string EncodeResume(std::string_view session_id, std::string_view resume_token,
                         uint64_t last_seq);

// Replaces every byte sequence that is not valid UTF-8 with U+FFFD. The gRPC path needs it
// too: proto3 strings must be UTF-8.
std::string SanitizeUtf8(std::string_view text);

}  // namespace streamgate::cli
