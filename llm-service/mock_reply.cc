#include "llm-service/mock_reply.h"

#include <algorithm>
#include <array>

namespace streamgate::llm {
namespace {

constexpr std::array<std::string_view, 19> kFiller = {
    "lorem", "ipsum",   "dolor",  "sit",    "amet", "consectetur", "adipiscing",
    "elit",  "sed",     "do",     "eiusmod", "tempor", "incididunt", "ut",
    "labore", "et",     "dolore", "magna",  "aliqua"};

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

uint32_t EstimateInputTokens(const v1::StreamChatRequest& request) {
  uint64_t tokens = 0;
  for (const auto& message : request.messages()) tokens += (message.content().size() + 3) / 4;
  return static_cast<uint32_t>(std::min<uint64_t>(tokens, UINT32_MAX));
}

}  // namespace streamgate::llm
