#include "tools/ws-bench/frame_scanner.h"

#include <cstdint>

namespace streamgate::bench {
namespace {

bool IsJsonSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// A cursor over the frame; every method leaves `pos` on the first byte it did not consume.
struct Cursor {
  std::string_view text;
  size_t pos = 0;

  bool AtEnd() const { return pos >= text.size(); }
  char Peek() const { return text[pos]; }
  void SkipSpace() {
    while (!AtEnd() && IsJsonSpace(text[pos])) ++pos;
  }

  // At an opening quote: sets `body` to the raw text between the quotes.
  bool ReadString(std::string_view* body) {
    if (AtEnd() || text[pos] != '"') return false;
    size_t start = ++pos;
    while (!AtEnd()) {
      char c = text[pos];
      if (c == '\\') {
        pos += 2;
        continue;
      }
      if (c == '"') {
        *body = text.substr(start, pos - start);
        ++pos;
        return true;
      }
      ++pos;
    }
    return false;
  }

  // Skips one value of any kind; nested containers are matched by depth, not validated.
  bool SkipValue() {
    if (AtEnd()) return false;
    char c = text[pos];
    if (c == '"') {
      std::string_view ignored;
      return ReadString(&ignored);
    }
    if (c == '{' || c == '[') {
      int depth = 0;
      while (!AtEnd()) {
        c = text[pos];
        if (c == '"') {
          std::string_view ignored;
          if (!ReadString(&ignored)) return false;
          continue;
        }
        if (c == '{' || c == '[') ++depth;
        if (c == '}' || c == ']') --depth;
        ++pos;
        if (depth == 0) return true;
      }
      return false;
    }
    // A number, true, false or null: runs to the next delimiter.
    size_t start = pos;
    while (!AtEnd() && text[pos] != ',' && text[pos] != '}' && text[pos] != ']' &&
           !IsJsonSpace(text[pos])) {
      ++pos;
    }
    return pos > start;
  }
};

FrameType TypeFromName(std::string_view name) {
  if (name == "stream_chunk") return FrameType::kStreamChunk;
  if (name == "stream_start") return FrameType::kStreamStart;
  if (name == "stream_end") return FrameType::kStreamEnd;
  if (name == "connection_established") return FrameType::kConnectionEstablished;
  if (name == "error") return FrameType::kError;
  if (name == "session_resumed") return FrameType::kSessionResumed;
  if (name == "status") return FrameType::kStatus;
  return FrameType::kUnknown;
}

void AppendUtf8(uint32_t code_point, std::string* out) {
  if (code_point < 0x80) {
    out->push_back(static_cast<char>(code_point));
  } else if (code_point < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (code_point >> 6)));
    out->push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
  } else if (code_point < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (code_point >> 12)));
    out->push_back(static_cast<char>(0x80 | ((code_point >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (code_point >> 18)));
    out->push_back(static_cast<char>(0x80 | ((code_point >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((code_point >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
  }
}

bool ReadHex4(std::string_view text, size_t at, uint32_t* value) {
  if (at + 4 > text.size()) return false;
  *value = 0;
  for (size_t i = at; i < at + 4; ++i) {
    char c = text[i];
    uint32_t digit;
    if (c >= '0' && c <= '9') {
      digit = static_cast<uint32_t>(c - '0');
    } else if (c >= 'a' && c <= 'f') {
      digit = static_cast<uint32_t>(c - 'a' + 10);
    } else if (c >= 'A' && c <= 'F') {
      digit = static_cast<uint32_t>(c - 'A' + 10);
    } else {
      return false;
    }
    *value = *value * 16 + digit;
  }
  return true;
}

// A non-negative JSON integer, or -1 for anything else (a fraction, a sign, too many digits).
int64_t ParseCount(std::string_view raw) {
  if (raw.empty() || raw.size() > 18) return -1;
  int64_t value = 0;
  for (char c : raw) {
    if (c < '0' || c > '9') return -1;
    value = value * 10 + (c - '0');
  }
  return value;
}

}  // namespace

bool AppendUnescaped(std::string_view escaped, std::string* out) {
  size_t i = 0;
  while (i < escaped.size()) {
    size_t backslash = escaped.find('\\', i);
    if (backslash == std::string_view::npos) {
      out->append(escaped.substr(i));
      return true;
    }
    out->append(escaped.substr(i, backslash - i));
    if (backslash + 1 >= escaped.size()) return false;
    char kind = escaped[backslash + 1];
    i = backslash + 2;
    switch (kind) {
      case '"':
        out->push_back('"');
        break;
      case '\\':
        out->push_back('\\');
        break;
      case '/':
        out->push_back('/');
        break;
      case 'b':
        out->push_back('\b');
        break;
      case 'f':
        out->push_back('\f');
        break;
      case 'n':
        out->push_back('\n');
        break;
      case 'r':
        out->push_back('\r');
        break;
      case 't':
        out->push_back('\t');
        break;
      case 'u': {
        uint32_t unit = 0;
        if (!ReadHex4(escaped, i, &unit)) return false;
        i += 4;
        // A high surrogate must be followed by an escaped low one; together they are one
        // code point beyond the BMP.
        if (unit >= 0xD800 && unit <= 0xDBFF) {
          uint32_t low = 0;
          if (i + 6 > escaped.size() || escaped[i] != '\\' || escaped[i + 1] != 'u' ||
              !ReadHex4(escaped, i + 2, &low) || low < 0xDC00 || low > 0xDFFF) {
            return false;
          }
          i += 6;
          unit = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00);
        } else if (unit >= 0xDC00 && unit <= 0xDFFF) {
          return false;
        }
        AppendUtf8(unit, out);
        break;
      }
      default:
        return false;
    }
  }
  return true;
}

bool ScanServerFrame(std::string_view frame, ServerFrame* out) {
  *out = ServerFrame{};
  Cursor cursor{frame};
  cursor.SkipSpace();
  if (cursor.AtEnd() || cursor.Peek() != '{') return false;
  ++cursor.pos;
  bool have_type = false;
  // "content" may come before "type" (any key order is valid JSON), so keep its raw text
  // and decode it once the type is known.
  std::string_view content_raw;
  for (bool first = true;; first = false) {
    cursor.SkipSpace();
    if (cursor.AtEnd()) return false;
    if (first && cursor.Peek() == '}') break;  // {} (a comma must be followed by a member)
    std::string_view key;
    if (!cursor.ReadString(&key)) return false;
    cursor.SkipSpace();
    if (cursor.AtEnd() || cursor.Peek() != ':') return false;
    ++cursor.pos;
    cursor.SkipSpace();
    if (cursor.AtEnd()) return false;
    bool is_string = cursor.Peek() == '"';
    std::string_view value;
    size_t value_start = cursor.pos;
    if (is_string) {
      if (!cursor.ReadString(&value)) return false;
    } else if (!cursor.SkipValue()) {
      return false;
    }
    if (!is_string && (key == "seq" || key == "replayed")) {
      int64_t count = ParseCount(cursor.text.substr(value_start, cursor.pos - value_start));
      (key == "seq" ? out->seq : out->replayed) = count;
    } else if (is_string) {
      if (key == "type") {
        out->type = TypeFromName(value);
        have_type = true;
      } else if (key == "sessionId") {
        if (!AppendUnescaped(value, &out->session_id)) return false;
      } else if (key == "content") {
        content_raw = value;
      } else if (key == "code") {
        if (!AppendUnescaped(value, &out->code)) return false;
      } else if (key == "reason") {
        if (!AppendUnescaped(value, &out->reason)) return false;
      } else if (key == "resumeToken") {
        if (!AppendUnescaped(value, &out->resume_token)) return false;
      }
    }
    cursor.SkipSpace();
    if (cursor.AtEnd()) return false;
    if (cursor.Peek() == ',') {
      ++cursor.pos;
      continue;
    }
    if (cursor.Peek() != '}') return false;
    break;
  }
  if (!have_type) return false;
  if (out->type == FrameType::kStreamChunk && !AppendUnescaped(content_raw, &out->content)) {
    return false;
  }
  return true;
}

}  // namespace streamgate::bench
