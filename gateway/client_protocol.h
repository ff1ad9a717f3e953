#pragma once

#include <grpcpp/support/status.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace streamgate::gateway {

// The JSON protocol spoken on /ws, wire-compatible with the original TypeScript server.
// Parsing client frames and encoding server frames both live here; no other file of the
// gateway touches JSON.

// What went wrong, as the client sees it: a stable machine-readable code and a generic
// human-readable text. Details stay in the logs.
enum class ClientError {
  kInvalidJson,          // the frame is not JSON
  kInvalidMessage,       // JSON, but not an object / a field of the wrong type
  kUnknownType,          // "type" missing or not one we know
  kInvalidContent,       // user_message content missing, not a string, or blank
  kSessionMismatch,      // "sessionId" is not this connection's
  kBusy,                 // a reply is already streaming on this session
  kNothingToCancel,      // cancel with no reply streaming
  kUnsupportedFrame,     // a binary frame
  kUpstreamUnavailable,  // llm-service (or the model provider) cannot be reached
  kRateLimited,          // the provider's rate limit
  kTimeout,              // the reply took longer than allowed
  kUpstreamError,        // any other failure producing the reply
  kInternal,             // a bug on our side
  kTokenExpired,         // the connection's JWT expired: send `authenticate` or be closed
  kUnauthenticated,      // an `authenticate` whose token was not accepted (keep last)
};
std::string_view ErrorCodeName(ClientError error);
std::string_view ErrorText(ClientError error);

// One mapping from llm-service's status to what the client is told.
ClientError ClientErrorForStatus(const grpc::Status& status);

struct ClientMessage {
  enum class Type { kUserMessage, kCancel, kAuthenticate };
  Type type = Type::kUserMessage;
  std::string content;  // user_message: the text; authenticate: the token (a secret)
};

// An `authenticate` token longer than this is refused unparsed (as on the upgrade).
inline constexpr size_t kMaxAuthenticateTokenBytes = 8 * 1024;

struct ParseResult {
  std::optional<ClientMessage> message;  // set on success
  ClientError error = ClientError::kInternal;
  std::string detail;  // for the log: what exactly was wrong (may quote the input's shape)
};

// Parses one text frame from the client whose connection owns `session_id`. A missing
// "sessionId" is accepted: the connection identifies the session.
ParseResult ParseClientMessage(std::string_view frame, std::string_view session_id);

// Server -> client frames. Every frame carries the session id and the session's `seq`,
// which increases by one per frame sent.
struct Usage {
  uint32_t input_tokens = 0;
  uint32_t output_tokens = 0;
};
std::string EncodeConnectionEstablished(std::string_view session_id, uint64_t seq);
std::string EncodeStreamStart(std::string_view session_id, uint64_t seq,
                              std::string_view request_id);
std::string EncodeStreamChunk(std::string_view session_id, uint64_t seq, std::string_view text);
// A reply stopped by the client's `cancel` ends with stop_reason "cancelled" and
// "cancelled":true, so clients that only know stream_end still finish cleanly.
std::string EncodeStreamEnd(std::string_view session_id, uint64_t seq, std::string_view request_id,
                            std::string_view stop_reason, const Usage& usage);
std::string EncodeStreamCancelled(std::string_view session_id, uint64_t seq,
                                  std::string_view request_id);
std::string EncodeError(std::string_view session_id, uint64_t seq, ClientError error);
// A request refused by one of the gateway's own limits: `error` with code rate_limited,
// the limit's name in `limit` and when to retry in `retryAfterMs`.
std::string EncodeLimitError(std::string_view session_id, uint64_t seq, std::string_view limit,
                             int64_t retry_after_ms);
// The answer to an accepted `authenticate`: the new credential holds for expiresInMs.
std::string EncodeAuthenticated(std::string_view session_id, uint64_t seq, int64_t expires_in_ms);

}  // namespace streamgate::gateway
