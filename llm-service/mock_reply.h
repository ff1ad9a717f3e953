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

// MockReplyText cut as SplitAfterWhitespace cuts it, piece by piece without building the
// text: the echoed part is kept, each filler piece is made when asked for, so a reply of a
// million filler words costs its request's size, not tens of MB. A pure value; owned by
// one mock reply, on the mock thread.
class MockReplyPieces {
 public:
  MockReplyPieces(const v1::StreamChatRequest& request, int extra_words);
  size_t size() const { return head_pieces_.size() + filler_; }
  // Piece `i` (< size()); valid while this object lives.
  std::string_view operator[](size_t i) const;

 private:
  std::string head_;  // "Echo: " + the message, and the first filler word's space
  std::vector<std::string_view> head_pieces_;
  size_t filler_ = 0;
};

// The mock's usage.input_tokens: a model counts tokens, the mock estimates four bytes per
// token and message, which costs one step per message instead of a scan of the whole
// history on every call. Saturates at UINT32_MAX.
uint32_t EstimateInputTokens(const v1::StreamChatRequest& request);

}  // namespace streamgate::llm
