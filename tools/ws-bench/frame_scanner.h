#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace streamgate::bench {

// The server -> client frame types of the /ws protocol.
enum class FrameType {
  kConnectionEstablished,
  kStreamStart,
  kStreamChunk,
  kStreamEnd,
  kError,
  kSessionResumed,
  kStatus,   // the service behind the gateway changed; seq 0, outside the seq order
  kUnknown,  // a "type" this tool does not know
};

// What ws-bench needs from one server frame. Fields absent from the frame stay empty.
struct ServerFrame {
  FrameType type = FrameType::kUnknown;
  std::string session_id;
  std::string content;  // unescaped; read for stream_chunk only
  std::string code;     // error frames: the machine-readable code ("" from servers without one)
  std::string reason;   // error frames: resume_failed's reason
  std::string resume_token;  // connection_established, session_resumed
  int64_t seq = -1;          // -1: absent (or not a non-negative integer)
  int64_t replayed = -1;     // session_resumed: frames replayed
};

// Reads the top-level string fields "type", "sessionId", "content" (stream_chunk only),
// "code", "reason" and "resumeToken" and the integers "seq" and "replayed" of one JSON object,
// skipping every other value (nested "usage", ...).
//
// Why not a JSON library: with thousands of connections on a 2-core machine the load
// generator competes with the servers it measures, and a single pass that allocates only
// for the fields it keeps costs a fraction of building a DOM per chunk.
//
// Returns false when the frame is not a JSON object or has no string "type".
bool ScanServerFrame(std::string_view frame, ServerFrame* out);

// Appends the JSON string body `escaped` (the text between the quotes) to `out`, decoding
// escapes (\uXXXX and surrogate pairs to UTF-8). Returns false on a malformed escape.
bool AppendUnescaped(std::string_view escaped, std::string* out);

}  // namespace streamgate::bench
