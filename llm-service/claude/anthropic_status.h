#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace streamgate::llm {

// The error envelope the Anthropic API uses both for HTTP error bodies and for the `error`
// event of a stream: {"type":"error","error":{"type":"overloaded_error","message":"..."}}.
struct AnthropicError {
  std::string type;     // e.g. "rate_limit_error"; may be empty
  std::string message;  // human-readable, as sent (unbounded; see UpstreamMessageExcerpt)
};

// A request that failed before any HTTP status arrived.
enum class TransportFailure {
  kConnection,  // DNS, connect, TLS, reset, or the body ending mid-transfer
  kTimeout,     // a connect or transfer deadline passed
};

// The one mapping from Anthropic's failures to our status codes; the gRPC status the caller
// sees carries the same code. Free functions, pure and thread-safe.
//
// JSON: the error body is parsed by ClaudeEventDecoder::ParseError, so that
// claude_event_decoder.cc stays the only file in this folder that calls the JSON parser;
// UpstreamHttpStatus calls it for you.

// error.type → code: overloaded_error/api_error → UNAVAILABLE, rate_limit_error →
// RESOURCE_EXHAUSTED, invalid_request_error/request_too_large → INVALID_ARGUMENT,
// authentication_error → UNAUTHENTICATED, permission_error/billing_error →
// PERMISSION_DENIED, not_found_error → NOT_FOUND, timeout_error → DEADLINE_EXCEEDED;
// anything else (a type added later) → UNAVAILABLE.
absl::StatusCode StatusCodeForErrorType(std::string_view error_type);

// HTTP status → code: 400/413 → INVALID_ARGUMENT, 401 → UNAUTHENTICATED, 403 →
// PERMISSION_DENIED, 404 → NOT_FOUND, 429 → RESOURCE_EXHAUSTED, 408 and every 5xx (529
// included) → UNAVAILABLE. For any other status the error type decides (see above), and
// without a known type the answer is UNAVAILABLE.
absl::StatusCode StatusCodeForHttpStatus(int http_status, std::string_view error_type = {});

// The status for a non-2xx response whose (possibly empty, possibly non-JSON) body is
// `body`: "upstream HTTP 429 rate_limit_error: <message excerpt>". Only the envelope's
// type and a bounded excerpt of its message are used, never the raw body.
absl::Status UpstreamHttpStatus(int http_status, std::string_view body);

// The status for an `error` event received in the middle of a stream:
// "upstream error overloaded_error: <message excerpt>".
absl::Status UpstreamStreamErrorStatus(const AnthropicError& error);

// connection → UNAVAILABLE, timeout → DEADLINE_EXCEEDED, with a fixed message.
absl::Status UpstreamTransportStatus(TransportFailure failure);

// At most kMaxUpstreamMessageBytes of `message`, cut at a UTF-8 character boundary, with
// control characters replaced by spaces (keeps log lines single) and "..." appended when
// shortened. Upstream text reaches our statuses only through this.
inline constexpr size_t kMaxUpstreamMessageBytes = 200;
std::string UpstreamMessageExcerpt(std::string_view message);

}  // namespace streamgate::llm
