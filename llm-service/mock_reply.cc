#include "llm-service/mock_reply.h"

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

size_t CountPieces(std::string_view text) {
  size_t pieces = 0;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && !IsSpace(text[i])) ++i;
    while (i < text.size() && IsSpace(text[i])) ++i;
    ++pieces;
  }
  return pieces;
}

}  // namespace streamgate::llm
