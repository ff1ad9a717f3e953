#include "gateway/client_protocol.h"

#include <nlohmann/json.hpp>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace streamgate::gateway {
namespace {

using Json = nlohmann::json;

ParseResult Failure(ClientError error, std::string detail) {
  ParseResult result;
  result.error = error;
  result.detail = std::move(detail);
  return result;
}

// A string field that must be present.
const std::string* StringField(const Json& json, const char* name) {
  auto it = json.find(name);
  if (it == json.end() || !it->is_string()) return nullptr;
  return &it->get_ref<const std::string&>();
}

// A non-negative integer field.
bool SeqField(const Json& json, const char* name, uint64_t* out) {
  auto it = json.find(name);
  if (it == json.end() || !it->is_number_integer()) return false;
  if (it->is_number_unsigned()) {
    *out = it->get<uint64_t>();
    return true;
  }
  int64_t value = it->get<int64_t>();
  if (value < 0) return false;
  *out = static_cast<uint64_t>(value);
  return true;
}

}  // namespace

bool IsValidConversationId(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-') return false;
  }
  return true;
}

std::string_view ErrorCodeName(ClientError error) {
  switch (error) {
    case ClientError::kInvalidJson:
      return "invalid_json";
    case ClientError::kInvalidMessage:
      return "invalid_message";
    case ClientError::kUnknownType:
      return "unknown_type";
    case ClientError::kInvalidContent:
      return "invalid_content";
    case ClientError::kSessionMismatch:
      return "session_mismatch";
    case ClientError::kBusy:
      return "busy";
    case ClientError::kNothingToCancel:
      return "nothing_to_cancel";
    case ClientError::kUnsupportedFrame:
      return "unsupported_frame";
    case ClientError::kUpstreamUnavailable:
      return "upstream_unavailable";
    case ClientError::kRateLimited:
      return "rate_limited";
    case ClientError::kTimeout:
      return "timeout";
    case ClientError::kUpstreamError:
      return "upstream_error";
    case ClientError::kInternal:
      return "internal";
    case ClientError::kTokenExpired:
      return "token_expired";
    case ClientError::kUnauthenticated:
      return "unauthenticated";
    case ClientError::kLimitExceeded:
      return "limit_exceeded";
    case ClientError::kInterrupted:
      return "interrupted";
    case ClientError::kResumeFailed:
      return "resume_failed";
    case ClientError::kUnknownConversation:
      return "unknown_conversation";
  }
  return "internal";
}

std::string_view ErrorText(ClientError error) {
  switch (error) {
    case ClientError::kInvalidJson:
      return "Invalid JSON format";
    case ClientError::kInvalidMessage:
      return "Message must be a JSON object with string fields";
    case ClientError::kUnknownType:
      return "Unknown or missing message type";
    case ClientError::kInvalidContent:
      return "Field \"content\" must be a non-empty string";
    case ClientError::kSessionMismatch:
      return "Field \"sessionId\" does not match this session";
    case ClientError::kBusy:
      return "A reply is already streaming; wait for it or cancel it";
    case ClientError::kNothingToCancel:
      return "There is no reply to cancel";
    case ClientError::kUnsupportedFrame:
      return "Binary frames are not supported; send JSON text";
    case ClientError::kUpstreamUnavailable:
      return "The assistant is unavailable; try again shortly";
    case ClientError::kRateLimited:
      return "Too many requests; try again shortly";
    case ClientError::kTimeout:
      return "The reply took too long and was stopped";
    case ClientError::kUpstreamError:
      return "The assistant could not reply";
    case ClientError::kInternal:
      return "Internal server error";
    case ClientError::kTokenExpired:
      return "Your token expired; send a fresh one with authenticate or reconnect";
    case ClientError::kUnauthenticated:
      return "Authentication failed";
    case ClientError::kLimitExceeded:
      return "Too many conversations in this session";
    case ClientError::kInterrupted:
      return "The reply was interrupted; send your message again";
    case ClientError::kResumeFailed:
      return "The session could not be resumed";
    case ClientError::kUnknownConversation:
      return "There is no such conversation";
  }
  return "Internal server error";
}

std::string_view ResumeFailureName(ResumeFailure failure) {
  switch (failure) {
    case ResumeFailure::kUnknownSession:
      return "unknown_session";
    case ResumeFailure::kBadToken:
      return "bad_token";
    case ResumeFailure::kExpired:
      return "expired";
    case ResumeFailure::kGap:
      return "gap";
    case ResumeFailure::kAhead:
      return "ahead";
  }
  return "unknown_session";
}

ClientError ClientErrorForStatus(const grpc::Status& status) {
  switch (status.error_code()) {
    case grpc::StatusCode::UNAVAILABLE:
      return ClientError::kUpstreamUnavailable;
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return ClientError::kRateLimited;
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return ClientError::kTimeout;
    case grpc::StatusCode::OK:
      return ClientError::kInternal;
    default:
      return ClientError::kUpstreamError;
  }
}

ParseResult ParseClientMessage(std::string_view frame, std::string_view session_id) {
  // One of the two places the gateway parses JSON; no exceptions escape it.
  Json json = Json::parse(frame, /*cb=*/nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) return Failure(ClientError::kInvalidJson, "not parseable as JSON");
  if (!json.is_object()) {
    return Failure(ClientError::kInvalidMessage, absl::StrCat("top level is ", json.type_name()));
  }
  const std::string* type = StringField(json, "type");
  if (type == nullptr)
    return Failure(ClientError::kUnknownType, "\"type\" missing or not a string");
  bool resume = *type == "resume";
  if (auto id = json.find("sessionId"); id != json.end()) {
    if (!id->is_string()) {
      return Failure(ClientError::kInvalidMessage,
                     absl::StrCat("\"sessionId\" is ", id->type_name()));
    }
    // A resume names the session it wants; everything else must name this one.
    if (!resume && id->get_ref<const std::string&>() != session_id) {
      return Failure(ClientError::kSessionMismatch, "\"sessionId\" names another session");
    }
  }
  ClientMessage message;
  if (auto conversation = json.find("conversationId"); conversation != json.end()) {
    if (!conversation->is_string() ||
        !IsValidConversationId(conversation->get_ref<const std::string&>())) {
      return Failure(ClientError::kInvalidMessage,
                     "\"conversationId\" must be 1-64 of A-Z a-z 0-9 _ -");
    }
    message.conversation_id = conversation->get_ref<const std::string&>();
  }
  ParseResult result;
  if (*type == "user_message") {
    auto content = json.find("content");
    if (content == json.end() || !content->is_string()) {
      return Failure(ClientError::kInvalidContent, "\"content\" missing or not a string");
    }
    auto& text = content->get_ref<std::string&>();
    if (absl::StripAsciiWhitespace(text).empty()) {
      return Failure(ClientError::kInvalidContent, "\"content\" is blank");
    }
    message.type = ClientMessage::Type::kUserMessage;
    message.content = std::move(text);
    // Optional and never a reason to refuse the message: a value that is no valid
    // traceparent is ignored (W3C Trace Context) and the gateway starts a trace.
    if (auto trace = json.find("traceparent"); trace != json.end() && trace->is_string()) {
      if (auto parsed = common::ParseTraceparent(trace->get_ref<const std::string&>())) {
        message.trace = *std::move(parsed);
      }
    }
  } else if (*type == "cancel") {
    message.type = ClientMessage::Type::kCancel;
  } else if (*type == "authenticate") {
    const std::string* token = StringField(json, "token");
    if (token == nullptr || token->empty() || token->size() > kMaxAuthenticateTokenBytes) {
      return Failure(ClientError::kInvalidMessage, "\"token\" missing, not a string or too long");
    }
    message.type = ClientMessage::Type::kAuthenticate;
    message.content = *token;
  } else if (resume) {
    const std::string* id = StringField(json, "sessionId");
    const std::string* token = StringField(json, "resumeToken");
    if (id == nullptr || token == nullptr || token->empty() || token->size() > 256 ||
        !SeqField(json, "lastSeq", &message.seq)) {
      return Failure(ClientError::kInvalidMessage,
                     "resume needs sessionId, resumeToken and a non-negative lastSeq");
    }
    message.type = ClientMessage::Type::kResume;
    message.session_id = *id;
    message.content = *token;
  } else if (*type == "ack") {
    if (!SeqField(json, "seq", &message.seq)) {
      return Failure(ClientError::kInvalidMessage, "ack needs a non-negative seq");
    }
    message.type = ClientMessage::Type::kAck;
  } else if (*type == "get_history") {
    message.type = ClientMessage::Type::kGetHistory;
  } else if (*type == "list_conversations") {
    message.type = ClientMessage::Type::kListConversations;
  } else if (*type == "delete_conversation") {
    if (json.find("conversationId") == json.end()) {
      return Failure(ClientError::kInvalidMessage, "delete_conversation needs conversationId");
    }
    message.type = ClientMessage::Type::kDeleteConversation;
  } else {
    // The type is client input: log its length, not its text.
    return Failure(ClientError::kUnknownType,
                   absl::StrCat("unknown type of ", type->size(), " bytes"));
  }
  result.message = std::move(message);
  return result;
}

std::optional<FrameFacts> ReadFrameFacts(std::string_view frame) {
  Json json = Json::parse(frame, /*cb=*/nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded() || !json.is_object()) return std::nullopt;
  const std::string* type = StringField(json, "type");
  if (type == nullptr) return std::nullopt;
  FrameFacts facts{*type, {}, {}, {}};
  if (const std::string* conversation = StringField(json, "conversationId")) {
    facts.conversation = *conversation;
  }
  if (const std::string* request = StringField(json, "requestId")) facts.request_id = *request;
  if (facts.type == "stream_chunk") {
    if (const std::string* content = StringField(json, "content")) facts.chunk_text = *content;
  }
  return facts;
}

}  // namespace streamgate::gateway
