#include "llm-service/claude/anthropic_status.h"

#include <array>
#include <utility>

#include "absl/strings/str_cat.h"
#include "llm-service/claude/claude_event_decoder.h"

namespace streamgate::llm {
namespace {

struct TypeCode {
  std::string_view type;
  absl::StatusCode code;
};

constexpr std::array<TypeCode, 10> kErrorTypeCodes = {{
    {"invalid_request_error", absl::StatusCode::kInvalidArgument},
    {"request_too_large", absl::StatusCode::kInvalidArgument},
    {"authentication_error", absl::StatusCode::kUnauthenticated},
    {"permission_error", absl::StatusCode::kPermissionDenied},
    // 402: the key is valid but the account may not use the API until billing is fixed.
    {"billing_error", absl::StatusCode::kPermissionDenied},
    {"not_found_error", absl::StatusCode::kNotFound},
    {"rate_limit_error", absl::StatusCode::kResourceExhausted},
    {"timeout_error", absl::StatusCode::kDeadlineExceeded},
    {"api_error", absl::StatusCode::kUnavailable},
    {"overloaded_error", absl::StatusCode::kUnavailable},
}};

constexpr size_t kMaxErrorTypeBytes = 64;

std::optional<absl::StatusCode> KnownErrorTypeCode(std::string_view error_type) {
  for (const TypeCode& entry : kErrorTypeCodes) {
    if (entry.type == error_type) return entry.code;
  }
  return std::nullopt;
}

// Error types are identifiers; anything else in one (or an absurd length) is dropped, so a
// hostile or broken upstream cannot put arbitrary text into the status this way.
std::string SanitizedErrorType(std::string_view type) {
  std::string out;
  for (char c : type.substr(0, kMaxErrorTypeBytes)) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_') {
      out.push_back(c);
    }
  }
  return out;
}

// ": <type>: <excerpt>" or the parts of it that are present.
std::string ErrorDetails(const AnthropicError& error) {
  std::string details;
  const std::string type = SanitizedErrorType(error.type);
  if (!type.empty()) absl::StrAppend(&details, " ", type);
  if (!error.message.empty())
    absl::StrAppend(&details, ": ", UpstreamMessageExcerpt(error.message));
  return details;
}

}  // namespace

absl::StatusCode StatusCodeForErrorType(std::string_view error_type) {
  return KnownErrorTypeCode(error_type).value_or(absl::StatusCode::kUnavailable);
}

absl::StatusCode StatusCodeForHttpStatus(int http_status, std::string_view error_type) {
  switch (http_status) {
    case 400:
    case 413:
      return absl::StatusCode::kInvalidArgument;
    case 401:
      return absl::StatusCode::kUnauthenticated;
    case 403:
      return absl::StatusCode::kPermissionDenied;
    case 404:
      return absl::StatusCode::kNotFound;
    case 429:
      return absl::StatusCode::kResourceExhausted;
    case 408:
      return absl::StatusCode::kUnavailable;
    default:
      break;
  }
  if (http_status >= 500) return absl::StatusCode::kUnavailable;
  return StatusCodeForErrorType(error_type);
}

absl::Status UpstreamHttpStatus(int http_status, std::string_view body) {
  const AnthropicError error = ClaudeEventDecoder::ParseError(body).value_or(AnthropicError{});
  return absl::Status(StatusCodeForHttpStatus(http_status, error.type),
                      absl::StrCat("upstream HTTP ", http_status, ErrorDetails(error)));
}

absl::Status UpstreamStreamErrorStatus(const AnthropicError& error) {
  return absl::Status(StatusCodeForErrorType(error.type),
                      absl::StrCat("upstream error", ErrorDetails(error)));
}

absl::Status UpstreamTransportStatus(TransportFailure failure) {
  switch (failure) {
    case TransportFailure::kConnection:
      return absl::UnavailableError("upstream connection failed");
    case TransportFailure::kTimeout:
      return absl::DeadlineExceededError("upstream request timed out");
  }
  return absl::UnavailableError("upstream request failed");
}

std::string UpstreamMessageExcerpt(std::string_view message) {
  const bool shortened = message.size() > kMaxUpstreamMessageBytes;
  if (shortened) {
    size_t cut = kMaxUpstreamMessageBytes;
    // Back up over UTF-8 continuation bytes (10xxxxxx) so no character is split.
    while (cut > 0 && (static_cast<unsigned char>(message[cut]) & 0xC0) == 0x80) --cut;
    message = message.substr(0, cut);
  }
  std::string out(message);
  for (char& c : out) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7F) c = ' ';
  }
  if (shortened) out.append("...");
  return out;
}

}  // namespace streamgate::llm
