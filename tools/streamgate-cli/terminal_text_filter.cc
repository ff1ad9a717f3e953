#include "tools/streamgate-cli/terminal_text_filter.h"

namespace streamgate::cli {
namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

// The length a UTF-8 sequence with this lead byte has, or 0 for a byte that cannot lead one.
size_t SequenceLength(unsigned char lead) {
  if (lead >= 0xC2 && lead <= 0xDF) return 2;
  if (lead >= 0xE0 && lead <= 0xEF) return 3;
  if (lead >= 0xF0 && lead <= 0xF4) return 4;
  return 0;
}

// Whether `byte` may follow `sequence` (a lead and 0-2 continuation bytes): the second byte's
// range rules out overlong forms, surrogates and code points above U+10FFFF.
bool MayContinue(std::string_view sequence, unsigned char byte) {
  if (byte < 0x80 || byte > 0xBF) return false;
  if (sequence.size() != 1) return true;
  auto lead = static_cast<unsigned char>(sequence[0]);
  if (lead == 0xE0) return byte >= 0xA0;
  if (lead == 0xED) return byte <= 0x9F;
  if (lead == 0xF0) return byte >= 0x90;
  if (lead == 0xF4) return byte <= 0x8F;
  return true;
}

bool IsC1(std::string_view sequence) {
  // U+0080-U+009F are encoded C2 80 - C2 9F.
  return sequence.size() == 2 && static_cast<unsigned char>(sequence[0]) == 0xC2 &&
         static_cast<unsigned char>(sequence[1]) <= 0x9F;
}

}  // namespace

std::string TerminalTextFilter::Filter(std::string_view chunk) {
  std::string out;
  out.reserve(chunk.size());
  for (char c : chunk) Append(static_cast<unsigned char>(c), &out);
  return out;
}

std::string TerminalTextFilter::Finish() {
  std::string out;
  if (!pending_.empty()) {
    out.append(kReplacement);  // a character cut off by the end of the text
    pending_.clear();
  }
  if (pending_cr_) out.append(kReplacement);
  pending_cr_ = false;
  return out;
}

void TerminalTextFilter::Append(unsigned char byte, std::string* out) {
  if (!pending_.empty()) {
    if (MayContinue(pending_, byte)) {
      pending_.push_back(static_cast<char>(byte));
      return Settle(out);
    }
    // The sequence broke off: one replacement for it, then `byte` on its own.
    out->append(kReplacement);
    pending_.clear();
  }
  if (pending_cr_) {
    pending_cr_ = false;
    if (byte == '\n') {
      out->push_back('\n');
      return;
    }
    out->append(kReplacement);  // a lone "\r" would return to the start of the line
  }
  if (byte == '\n' || byte == '\t' || (byte >= 0x20 && byte < 0x7F)) {
    out->push_back(static_cast<char>(byte));
  } else if (byte == '\r') {
    pending_cr_ = true;
  } else if (SequenceLength(byte) > 0) {
    pending_.push_back(static_cast<char>(byte));
  } else {
    out->append(
        kReplacement);  // C0 controls, DEL, a stray continuation byte, C0/C1/F5-FF (never UTF-8)
  }
}

void TerminalTextFilter::Settle(std::string* out) {
  if (pending_.size() < SequenceLength(static_cast<unsigned char>(pending_[0]))) return;
  if (IsC1(pending_)) {
    out->append(kReplacement);
  } else {
    out->append(pending_);
  }
  pending_.clear();
}

std::string SanitizeForTerminal(std::string_view text) {
  TerminalTextFilter filter;
  std::string out = filter.Filter(text);
  out.append(filter.Finish());
  return out;
}

}  // namespace streamgate::cli
