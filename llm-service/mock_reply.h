#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "streamgate/llm/v1/llm_service.pb.h"

namespace streamgate::llm {

// The mock's deterministic reply text: "Echo: " + the last user message, followed by
// `extra_words` filler words (" lorem ipsum ..."), for long replies in benchmarks.
std::string MockReplyText(const v1::StreamChatRequest& request, int extra_words);

// Splits `text` after each run of whitespace, so that every piece is a word followed by
// the whitespace after it and concatenating the pieces gives back exactly `text`.
std::vector<std::string_view> SplitAfterWhitespace(std::string_view text);

// The mock's usage.input_tokens: a model counts tokens, the mock estimates four bytes per
// token and message, which costs one step per message instead of a scan of the whole
// history on every call. Saturates at UINT32_MAX.
uint32_t EstimateInputTokens(const v1::StreamChatRequest& request);

}  // namespace streamgate::llm
