#pragma once

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

// SplitAfterWhitespace(text).size() without building the pieces: the mock counts every
// message of the history for its usage figures on each call, so this must not allocate.
size_t CountPieces(std::string_view text);

}  // namespace streamgate::llm
