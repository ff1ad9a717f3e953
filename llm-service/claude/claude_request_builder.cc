#include "llm-service/claude/claude_request_builder.h"

#include <charconv>
#include <cmath>
#include <nlohmann/json.hpp>
#include <utility>

#include "absl/strings/str_cat.h"

namespace streamgate::llm {
namespace {

// Keeps the members in the documented order, which makes logged bodies easier to read.
using ordered_json = nlohmann::ordered_json;

// Visible ASCII only: no spaces, no control characters, nothing that could end a header.
bool IsHeaderToken(std::string_view text) {
  if (text.empty()) return false;
  for (char c : text) {
    if (c < 0x21 || c > 0x7E) return false;
  }
  return true;
}

const char* RoleName(v1::Role role) { return role == v1::ROLE_USER ? "user" : "assistant"; }

// The proto carries temperature as a float; widening 0.7f gives 0.699999988079071. Going
// through the float's shortest decimal form sends the value the caller wrote.
double FloatAsShortestDouble(float value) {
  char buffer[32];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof(buffer), value);
  if (ec != std::errc()) return value;
  double widened = value;
  std::from_chars(buffer, end, widened);
  return widened;
}

}  // namespace

absl::StatusOr<ClaudeRequestBuilder> ClaudeRequestBuilder::Create(ClaudeRequestOptions options) {
  if (options.default_model.empty()) {
    return absl::InvalidArgumentError("Claude default model must not be empty");
  }
  if (options.default_max_tokens == 0) {
    return absl::InvalidArgumentError("Claude default max_tokens must be positive");
  }
  if (!IsHeaderToken(options.anthropic_version)) {
    return absl::InvalidArgumentError("anthropic-version must be a non-empty header token");
  }
  return ClaudeRequestBuilder(std::move(options));
}

ClaudeRequestBuilder::ClaudeRequestBuilder(ClaudeRequestOptions options)
    : options_(std::move(options)) {}

absl::StatusOr<std::string> ClaudeRequestBuilder::BuildBody(
    const v1::StreamChatRequest& request) const {
  ordered_json body = ordered_json::object();
  body["model"] =
      request.has_model() && !request.model().empty() ? request.model() : options_.default_model;
  body["max_tokens"] =
      request.has_max_tokens() ? request.max_tokens() : options_.default_max_tokens;
  if (request.has_system() && !request.system().empty()) body["system"] = request.system();
  ordered_json messages = ordered_json::array();
  for (const v1::ChatMessage& message : request.messages()) {
    messages.push_back({{"role", RoleName(message.role())}, {"content", message.content()}});
  }
  body["messages"] = std::move(messages);
  if (request.has_temperature()) body["temperature"] = FloatAsShortestDouble(request.temperature());
  body["stream"] = true;
  // dump() throws on invalid UTF-8 by default; protobuf setters do not check it, so replace
  // bad bytes with U+FFFD instead.
  return body.dump(-1, ' ', /*ensure_ascii=*/false, ordered_json::error_handler_t::replace);
}

absl::StatusOr<std::vector<std::string>> ClaudeRequestBuilder::BuildHeaders(
    std::string_view api_key) const {
  if (!IsHeaderToken(api_key)) {
    return absl::InvalidArgumentError(
        "API key is empty or contains characters not allowed in an HTTP header");
  }
  std::vector<std::string> headers;
  headers.reserve(4);
  headers.push_back(absl::StrCat("x-api-key: ", absl::string_view(api_key.data(), api_key.size())));
  headers.push_back(absl::StrCat("anthropic-version: ", options_.anthropic_version));
  headers.push_back("content-type: application/json");
  headers.push_back("accept: text/event-stream");
  return headers;
}

}  // namespace streamgate::llm
