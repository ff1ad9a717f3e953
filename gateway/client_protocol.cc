#include "gateway/client_protocol.h"

#include <nlohmann/json.hpp>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "gateway/json_text.h"

namespace streamgate::gateway {
namespace {

using Json = nlohmann::json;

ParseResult Failure(ClientError error, std::string detail) {
  ParseResult result;
  result.error = error;
  result.detail = std::move(detail);
  return result;
}

// Starts a frame: {"type":"<type>","sessionId":"<id>","seq":<seq>
std::string Begin(std::string_view type, std::string_view session_id, uint64_t seq,
                  size_t extra_capacity) {
  std::string out;
  out.reserve(64 + type.size() + session_id.size() + extra_capacity);
  out.append("{\"type\":\"").append(type).append("\",\"sessionId\":");
  AppendJsonString(&out, session_id);
  absl::StrAppend(&out, ",\"seq\":", seq);
  return out;
}

void AppendField(std::string* out, std::string_view name, std::string_view value) {
  out->append(",\"").append(name).append("\":");
  AppendJsonString(out, value);
}

}  // namespace

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
  }
  return "Internal server error";
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
  // The one place the gateway parses JSON; no exceptions escape it.
  Json json = Json::parse(frame, /*cb=*/nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) return Failure(ClientError::kInvalidJson, "not parseable as JSON");
  if (!json.is_object()) {
    return Failure(ClientError::kInvalidMessage, absl::StrCat("top level is ", json.type_name()));
  }
  auto type = json.find("type");
  if (type == json.end() || !type->is_string()) {
    return Failure(ClientError::kUnknownType, "\"type\" missing or not a string");
  }
  if (auto id = json.find("sessionId"); id != json.end()) {
    if (!id->is_string()) {
      return Failure(ClientError::kInvalidMessage,
                     absl::StrCat("\"sessionId\" is ", id->type_name()));
    }
    if (id->get_ref<const std::string&>() != session_id) {
      return Failure(ClientError::kSessionMismatch, "\"sessionId\" names another session");
    }
  }
  const auto& type_name = type->get_ref<const std::string&>();
  ParseResult result;
  if (type_name == "user_message") {
    auto content = json.find("content");
    if (content == json.end() || !content->is_string()) {
      return Failure(ClientError::kInvalidContent, "\"content\" missing or not a string");
    }
    auto& text = content->get_ref<std::string&>();
    if (absl::StripAsciiWhitespace(text).empty()) {
      return Failure(ClientError::kInvalidContent, "\"content\" is blank");
    }
    result.message = ClientMessage{ClientMessage::Type::kUserMessage, std::move(text)};
  } else if (type_name == "cancel") {
    result.message = ClientMessage{ClientMessage::Type::kCancel, {}};
  } else if (type_name == "authenticate") {
    auto token = json.find("token");
    if (token == json.end() || !token->is_string() || token->get_ref<std::string&>().empty() ||
        token->get_ref<std::string&>().size() > kMaxAuthenticateTokenBytes) {
      return Failure(ClientError::kInvalidMessage, "\"token\" missing, not a string or too long");
    }
    result.message = ClientMessage{ClientMessage::Type::kAuthenticate,
                                   std::move(token->get_ref<std::string&>())};
  } else {
    // The type is client input: log its length, not its text.
    return Failure(ClientError::kUnknownType,
                   absl::StrCat("unknown type of ", type_name.size(), " bytes"));
  }
  return result;
}

std::string EncodeConnectionEstablished(std::string_view session_id, uint64_t seq) {
  std::string out = Begin("connection_established", session_id, seq, 32);
  out.append(",\"content\":\"Connected to server\"}");
  return out;
}

std::string EncodeStreamStart(std::string_view session_id, uint64_t seq,
                              std::string_view request_id) {
  std::string out = Begin("stream_start", session_id, seq, 96);
  AppendField(&out, "requestId", request_id);
  out.append(",\"content\":\"Starting response stream\"}");
  return out;
}

std::string EncodeStreamChunk(std::string_view session_id, uint64_t seq, std::string_view text) {
  std::string out = Begin("stream_chunk", session_id, seq, text.size() + 16);
  AppendField(&out, "content", text);
  out.push_back('}');
  return out;
}

std::string EncodeStreamEnd(std::string_view session_id, uint64_t seq, std::string_view request_id,
                            std::string_view stop_reason, const Usage& usage) {
  std::string out = Begin("stream_end", session_id, seq, 160);
  AppendField(&out, "requestId", request_id);
  AppendField(&out, "stopReason", stop_reason);
  absl::StrAppend(&out, ",\"usage\":{\"inputTokens\":", usage.input_tokens,
                  ",\"outputTokens\":", usage.output_tokens, "}");
  out.append(",\"content\":\"Response stream complete\"}");
  return out;
}

std::string EncodeStreamCancelled(std::string_view session_id, uint64_t seq,
                                  std::string_view request_id) {
  std::string out = Begin("stream_end", session_id, seq, 128);
  AppendField(&out, "requestId", request_id);
  out.append(",\"stopReason\":\"cancelled\",\"cancelled\":true");
  out.append(",\"content\":\"Response stream cancelled\"}");
  return out;
}

std::string EncodeLimitError(std::string_view session_id, uint64_t seq, std::string_view limit,
                             int64_t retry_after_ms) {
  std::string out = Begin("error", session_id, seq, 128);
  AppendField(&out, "error", ErrorText(ClientError::kRateLimited));
  AppendField(&out, "code", ErrorCodeName(ClientError::kRateLimited));
  AppendField(&out, "limit", limit);
  absl::StrAppend(&out, ",\"retryAfterMs\":", retry_after_ms, "}");
  return out;
}

std::string EncodeAuthenticated(std::string_view session_id, uint64_t seq, int64_t expires_in_ms) {
  std::string out = Begin("authenticated", session_id, seq, 32);
  absl::StrAppend(&out, ",\"expiresInMs\":", expires_in_ms, "}");
  return out;
}

std::string EncodeError(std::string_view session_id, uint64_t seq, ClientError error) {
  std::string out = Begin("error", session_id, seq, 96);
  AppendField(&out, "error", ErrorText(error));
  AppendField(&out, "code", ErrorCodeName(error));
  out.push_back('}');
  return out;
}

}  // namespace streamgate::gateway
