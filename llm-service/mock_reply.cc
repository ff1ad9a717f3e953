#include "llm-service/mock_reply.h"

#include <algorithm>
#include <array>

namespace streamgate::llm {
namespace {

constexpr std::array<std::string_view, 19> kFiller = {
    "lorem",  "ipsum", "dolor",  "sit",     "amet",   "consectetur", "adipiscing",
    "elit",   "sed",   "do",     "eiusmod", "tempor", "incididunt",  "ut",
    "labore", "et",    "dolore", "magna",   "aliqua"};

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

}  // namespace

std::string MockReplyText(const v1::StreamChatRequest& request, int extra_words) {
  std::string text = "Echo: ";
  for (auto it = request.messages().rbegin(); it != request.messages().rend(); ++it) {
    if (it->role() == v1::ROLE_USER) {
      text += it->content();
      break;
    }
  }
  for (int i = 0; i < extra_words; ++i) {
    text += ' ';
    text += kFiller[static_cast<size_t>(i) % kFiller.size()];
  }
  return text;
}

std::vector<std::string_view> SplitAfterWhitespace(std::string_view text) {
  std::vector<std::string_view> pieces;
  size_t start = 0;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && !IsSpace(text[i])) ++i;
    while (i < text.size() && IsSpace(text[i])) ++i;
    pieces.push_back(text.substr(start, i - start));
    start = i;
  }
  return pieces;
}

MockReplyPieces::MockReplyPieces(const v1::StreamChatRequest& request, int extra_words)
    : head_(MockReplyText(request, 0)), filler_(static_cast<size_t>(std::max(extra_words, 0))) {
  // Filler words are joined by single spaces: the first one's space ends the echoed part's
  // last piece, and every filler piece but the last is a word and its space.
  if (filler_ > 0) head_ += ' ';
  head_pieces_ = SplitAfterWhitespace(head_);
}

std::string_view MockReplyPieces::operator[](size_t i) const {
  if (i < head_pieces_.size()) return head_pieces_[i];
  static const std::array<std::string, kFiller.size()> kSpaced = [] {
    std::array<std::string, kFiller.size()> spaced;
    for (size_t w = 0; w < kFiller.size(); ++w) spaced[w] = std::string(kFiller[w]) + ' ';
    return spaced;
  }();
  const size_t word = i - head_pieces_.size();
  const size_t which = word % kFiller.size();
  return word + 1 < filler_ ? std::string_view(kSpaced[which]) : kFiller[which];
}

uint32_t EstimateInputTokens(const v1::StreamChatRequest& request) {
  uint64_t tokens = 0;
  for (const auto& message : request.messages()) tokens += (message.content().size() + 3) / 4;
  return static_cast<uint32_t>(std::min<uint64_t>(tokens, UINT32_MAX));
}

}  // namespace streamgate::llm
