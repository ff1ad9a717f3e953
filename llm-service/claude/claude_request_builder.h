#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "streamgate/llm/v1/llm_service.pb.h"

namespace streamgate::llm {

struct ClaudeRequestOptions {
  // Used when a request names no model. Required.
  std::string default_model;
  // Used when a request sets no max_tokens. Must be positive.
  uint32_t default_max_tokens = 1024;
  // Sent as the anthropic-version header.
  std::string anthropic_version = "2023-06-01";
};

// Builds the POST /v1/messages request for one StreamChat call: the JSON body and the
// header lines. The request was already validated (ValidateRequest in llm-service, the same
// rules for every provider), so the body is built as it comes.
//
// Created once by the Claude provider at startup and shared by every call; immutable, so
// any thread may use it. It never holds the API key: the key is passed to BuildHeaders,
// which puts it in the x-api-key header line and nowhere else.
class ClaudeRequestBuilder {
 public:
  // Fails with INVALID_ARGUMENT on a bad configuration (empty model, zero max_tokens, a
  // version that is not a plain header token).
  static absl::StatusOr<ClaudeRequestBuilder> Create(ClaudeRequestOptions options);

  // The body: {"model", "max_tokens", "system"?, "messages": [{"role","content"}],
  // "temperature"?, "stream": true}, for a request ValidateRequest accepted. `system` is sent
  // only when non-empty and `temperature` only when the request sets it. Does not fail
  // today; the Status leaves room for a body the API cannot take.
  absl::StatusOr<std::string> BuildBody(const v1::StreamChatRequest& request) const;

  // "x-api-key: <key>", "anthropic-version: <version>", "content-type: application/json",
  // "accept: text/event-stream", in that order, ready for curl_slist_append. Fails with
  // INVALID_ARGUMENT (without quoting the key) when the key is empty or holds a character
  // that is not visible ASCII, which would otherwise allow header injection.
  absl::StatusOr<std::vector<std::string>> BuildHeaders(std::string_view api_key) const;

  const ClaudeRequestOptions& options() const { return options_; }

 private:
  explicit ClaudeRequestBuilder(ClaudeRequestOptions options);

  ClaudeRequestOptions options_;
};

}  // namespace streamgate::llm
