#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace streamgate::cli {

// The gateway's /ws JSON protocol as the CLI speaks it (see the README's protocol tables).
// Pure functions; the only place the CLI parses or builds WebSocket JSON.

// What the CLI needs from one server frame. Fields a frame does not carry stay empty.
struct ServerFrame {
  std::string type;        // connection_established, stream_start, stream_chunk, stream_end, error
  std::string session_id;  // "sessionId"
  std::string content;     // stream_chunk: the text delta
  std::string error;       // error: human text
  std::string code;        // error: machine-readable code
  bool cancelled = false;  // stream_end of a reply stopped by `cancel`
};

// Nullopt when `text` is not a JSON object with a string "type". Fields of an unexpected
// type are treated as absent (extra fields are allowed by the protocol).
std::optional<ServerFrame> ParseServerFrame(std::string_view text);

// Client frames. `session_id` may be empty (the connection identifies the session). Text
// that is not valid UTF-8 has the bad bytes replaced with U+FFFD (the gateway closes the
// connection on an invalid text frame).
std::string EncodeUserMessage(std::string_view content, std::string_view session_id);
std::string EncodeCancel(std::string_view session_id);

// Replaces every byte sequence that is not valid UTF-8 with U+FFFD. The gRPC path needs it
// too: proto3 strings must be UTF-8.
std::string SanitizeUtf8(std::string_view text);

}  // namespace streamgate::cli
