#include "common/log_value.h"

#include <cstdint>

namespace streamgate::common {
namespace {

constexpr char kHex[] = "0123456789abcdef";

bool IsContinuation(unsigned char byte) { return (byte & 0xc0) == 0x80; }

// The length (1-4) of the well-formed UTF-8 sequence that starts `text` (RFC 3629: no
// overlong forms, no surrogates, nothing above U+10FFFF), with its code point; 0 when the
// first byte starts none.
size_t Utf8Sequence(absl::string_view text, uint32_t* code_point) {
  const auto* bytes = reinterpret_cast<const unsigned char*>(text.data());
  const unsigned char lead = bytes[0];
  if (lead < 0x80) {
    *code_point = lead;
    return 1;
  }
  size_t length;
  unsigned char low = 0x80;  // the range allowed for the second byte
  unsigned char high = 0xbf;
  if (lead >= 0xc2 && lead <= 0xdf) {
    length = 2;
  } else if (lead >= 0xe0 && lead <= 0xef) {
    length = 3;
    if (lead == 0xe0) low = 0xa0;   // overlong
    if (lead == 0xed) high = 0x9f;  // surrogates
  } else if (lead >= 0xf0 && lead <= 0xf4) {
    length = 4;
    if (lead == 0xf0) low = 0x90;   // overlong
    if (lead == 0xf4) high = 0x8f;  // above U+10FFFF
  } else {
    return 0;
  }
  if (text.size() < length || bytes[1] < low || bytes[1] > high) return 0;
  uint32_t value = lead & (0x7f >> length);
  for (size_t i = 1; i < length; ++i) {
    if (!IsContinuation(bytes[i])) return 0;
    value = (value << 6) | (bytes[i] & 0x3f);
  }
  *code_point = value;
  return length;
}

// Code points a reader could take for the end of a line or a terminal command.
bool IsControl(uint32_t code_point) {
  return code_point < 0x20 || code_point == 0x7f || (code_point >= 0x80 && code_point <= 0x9f) ||
         code_point == 0x2028 || code_point == 0x2029;
}

void AppendByteEscape(unsigned char byte, std::string* out) {
  out->append({'\\', 'x', kHex[byte >> 4], kHex[byte & 0xf]});
}

}  // namespace

size_t Utf8SequenceLength(absl::string_view text) {
  uint32_t code_point = 0;
  return text.empty() ? 0 : Utf8Sequence(text, &code_point);
}

bool IsBareLogValue(absl::string_view text) {
  if (text.empty()) return false;
  for (size_t i = 0; i < text.size();) {
    uint32_t code_point;
    size_t length = Utf8Sequence(text.substr(i), &code_point);
    if (length == 0 || IsControl(code_point) || code_point == ' ' || code_point == '=' ||
        code_point == '"' || code_point == '\\') {
      return false;
    }
    i += length;
  }
  return true;
}

void AppendQuotedLogText(absl::string_view text, std::string* out) {
  out->reserve(out->size() + text.size());
  for (size_t i = 0; i < text.size();) {
    uint32_t code_point;
    size_t length = Utf8Sequence(text.substr(i), &code_point);
    if (length == 0) {
      AppendByteEscape(static_cast<unsigned char>(text[i]), out);
      ++i;
      continue;
    }
    switch (code_point) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      default:
        if (code_point < 0x20 || code_point == 0x7f) {
          AppendByteEscape(static_cast<unsigned char>(code_point), out);
        } else if (IsControl(code_point)) {
          out->append({'\\', 'u', kHex[code_point >> 12], kHex[(code_point >> 8) & 0xf],
                       kHex[(code_point >> 4) & 0xf], kHex[code_point & 0xf]});
        } else {
          out->append(text.data() + i, length);
        }
    }
    i += length;
  }
}

void AppendLogValue(absl::string_view text, std::string* out) {
  if (IsBareLogValue(text)) {
    out->append(text.data(), text.size());
    return;
  }
  out->push_back('"');
  AppendQuotedLogText(text, out);
  out->push_back('"');
}

std::string LogValue(absl::string_view text) {
  std::string out;
  AppendLogValue(text, &out);
  return out;
}

bool IsPrintableToken(absl::string_view text, size_t max_bytes) {
  if (text.empty() || text.size() > max_bytes) return false;
  for (char c : text) {
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
}

}  // namespace streamgate::common
