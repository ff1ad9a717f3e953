#include "tools/streamgate-cli/paste_decoder.h"

namespace streamgate::cli {
namespace {

constexpr std::string_view kPasteStart = "\x1B[200~";
constexpr std::string_view kPasteEnd = "\x1B[201~";

std::string NormalizeNewlines(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\r') {
      out.push_back(text[i]);
    } else if (i + 1 >= text.size() || text[i + 1] != '\n') {
      out.push_back('\n');
    }
  }
  return out;
}

}  // namespace

void PasteDecoder::Feed(std::string_view bytes, std::deque<Piece>* out) {
  for (char c : bytes) {
    std::string_view marker = in_paste_ ? kPasteEnd : kPasteStart;
    held_.push_back(c);
    if (marker.starts_with(held_)) {
      if (held_.size() < marker.size()) continue;
      held_.clear();
      Emit(out);  // the keys before a paste, or the paste itself
      in_paste_ = !in_paste_;
      continue;
    }
    // Not the marker after all: the held bytes are text, and `c` may begin a marker.
    held_.pop_back();
    current_.append(held_);
    held_.clear();
    if (c == marker[0]) {
      held_.push_back(c);
    } else {
      current_.push_back(c);
    }
  }
  if (!in_paste_) Emit(out);
}

void PasteDecoder::Emit(std::deque<Piece>* out) {
  if (in_paste_) {
    out->push_back(Piece{.paste = true, .bytes = NormalizeNewlines(current_)});
  } else if (!current_.empty()) {
    if (!out->empty() && !out->back().paste) {
      out->back().bytes.append(current_);
    } else {
      out->push_back(Piece{.paste = false, .bytes = current_});
    }
  }
  current_.clear();
}

}  // namespace streamgate::cli
