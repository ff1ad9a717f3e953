#pragma once

#include <grpcpp/support/status.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/trace_context.h"

namespace streamgate::gateway {

// The JSON protocol spoken on /ws, wire-compatible with the original TypeScript server:
// what clients send (parsed here) and what goes wrong (the error codes). The server's frames
// are encoded in server_frames.h. These two files are the only ones of the gateway that
// touch JSON.

// What went wrong, as the client sees it: a stable machine-readable code and a generic
// human-readable text. Details stay in the logs.
enum class ClientError {
  kInvalidJson,          // the frame is not JSON
  kInvalidMessage,       // JSON, but not an object / a field of the wrong type / out of place
  kUnknownType,          // "type" missing or not one we know
  kInvalidContent,       // user_message content missing, not a string, or blank
  kSessionMismatch,      // "sessionId" is not this connection's
  kBusy,                 // a reply is already streaming in this conversation (or too many)
  kNothingToCancel,      // cancel with no reply streaming
  kUnsupportedFrame,     // a binary frame
  kUpstreamUnavailable,  // llm-service (or the model provider) cannot be reached
  kRateLimited,          // the provider's rate limit
  kTimeout,              // the reply took longer than allowed
  kUpstreamError,        // any other failure producing the reply
  kInternal,             // a bug on our side
  kTokenExpired,         // the connection's JWT expired: send `authenticate` or be closed
  kUnauthenticated,      // an `authenticate` whose token was not accepted
  kLimitExceeded,        // too many conversations in this session
  kInterrupted,          // the reply was cut by a gateway restart and cannot continue
  kResumeFailed,         // a `resume` that did not succeed (see ResumeFailure)
  kUnknownConversation,  // get_history / delete_conversation of a conversation not held
};
// The last enumerator, for tests that walk them all.
inline constexpr ClientError kLastClientError = ClientError::kUnknownConversation;
std::string_view ErrorCodeName(ClientError error);
std::string_view ErrorText(ClientError error);

// One mapping from llm-service's status to what the client is told.
ClientError ClientErrorForStatus(const grpc::Status& status);

// Why a `resume` failed: the error's `reason`.
enum class ResumeFailure { kUnknownSession, kBadToken, kExpired, kGap, kAhead };
std::string_view ResumeFailureName(ResumeFailure failure);

inline constexpr std::string_view kDefaultConversation = "default";
// 1-64 of [A-Za-z0-9_-].
bool IsValidConversationId(std::string_view id);

struct ClientMessage {
  enum class Type {
    kUserMessage,
    kCancel,
    kAuthenticate,
    kResume,
    kAck,
    kGetHistory,
    kListConversations,
    kDeleteConversation,
  };
  Type type = Type::kUserMessage;
  // user_message: the text; authenticate: the token; resume: the resume token (secrets).
  std::string content;
  std::string conversation_id{kDefaultConversation};
  std::string session_id;  // resume: the session to take over
  uint64_t seq = 0;        // resume: lastSeq; ack: seq
  // user_message: the client's trace (its `traceparent`, or the upgrade's), when valid.
  std::optional<common::TraceContext> trace;
};

// An `authenticate` token longer than this is refused unparsed (as on the upgrade).
inline constexpr size_t kMaxAuthenticateTokenBytes = 8 * 1024;

struct ParseResult {
  std::optional<ClientMessage> message;  // set on success
  ClientError error = ClientError::kInternal;
  std::string detail;  // for the log: what exactly was wrong (never the input's text)
};

// Parses one text frame from the client whose connection serves `session_id`. A missing
// "sessionId" is accepted: the connection identifies the session (a `resume` names the one
// it wants instead).
ParseResult ParseClientMessage(std::string_view frame, std::string_view session_id);

// The type and conversation of one of our own stored frames, and a stream_chunk's text (a
// restored session finds the reply a crash left unterminated and the text it had). Nullopt
// for anything that is not such a frame.
struct FrameFacts {
  std::string type;
  std::string conversation;
  std::string request_id;  // the reply's, on the frames that name it
  std::string chunk_text;  // stream_chunk only
};
std::optional<FrameFacts> ReadFrameFacts(std::string_view frame);

}  // namespace streamgate::gateway
