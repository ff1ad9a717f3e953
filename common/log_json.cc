#include "common/log_json.h"

#include <charconv>
#include <cstdint>

#include "common/log_value.h"

namespace streamgate::common {
namespace {

constexpr char kHex[] = "0123456789abcdef";

bool IsKeyChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '.' || c == '-';
}

size_t Utf8Length(std::string_view text) {
  return Utf8SequenceLength(absl::string_view(text.data(), text.size()));
}

bool IsJsonNumber(std::string_view value) {
  if (value.empty() || value.size() > 18) return false;
  int64_t parsed = 0;
  auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), parsed);
  // No leading zeros or '+': what from_chars takes and JSON allows differ only there.
  if (ec != std::errc() || end != value.data() + value.size()) return false;
  std::string_view digits = value[0] == '-' ? value.substr(1) : value;
  return !digits.empty() && (digits.size() == 1 || digits[0] != '0');
}

// The inside of a quoted logfmt value, from just after its opening quote; *end is set past
// the closing quote (or to the end of the line when there is none).
std::string Unquote(std::string_view line, size_t start, size_t* end) {
  std::string out;
  size_t i = start;
  for (; i < line.size() && line[i] != '"'; ++i) {
    if (line[i] != '\\' || i + 1 >= line.size()) {
      out.push_back(line[i]);
      continue;
    }
    char next = line[i + 1];
    switch (next) {
      case '"':
      case '\\':
        out.push_back(next);
        ++i;
        break;
      case 'n':
        out.push_back('\n');
        ++i;
        break;
      case 'r':
        out.push_back('\r');
        ++i;
        break;
      case 't':
        out.push_back('\t');
        ++i;
        break;
      default:
        out.push_back('\\');  // \xNN, \uNNNN: kept as written
    }
  }
  *end = i < line.size() ? i + 1 : i;
  return out;
}

void AppendMember(std::string_view key, std::string_view value, bool raw, std::string* out) {
  out->push_back(',');
  AppendJsonString(key, out);
  out->push_back(':');
  if (raw) {
    out->append(value);
  } else {
    AppendJsonString(value, out);
  }
}

}  // namespace

void AppendJsonString(std::string_view text, std::string* out) {
  out->push_back('"');
  for (size_t i = 0; i < text.size();) {
    auto byte = static_cast<unsigned char>(text[i]);
    size_t length = Utf8Length(text.substr(i));
    if (length == 0) {
      out->append({'\\', 'u', '0', '0', kHex[byte >> 4], kHex[byte & 0xf]});
      ++i;
      continue;
    }
    if (byte == '"' || byte == '\\') {
      out->push_back('\\');
      out->push_back(static_cast<char>(byte));
    } else if (byte == '\n') {
      out->append("\\n");
    } else if (byte == '\r') {
      out->append("\\r");
    } else if (byte == '\t') {
      out->append("\\t");
    } else if (byte < 0x20 || byte == 0x7f) {
      out->append({'\\', 'u', '0', '0', kHex[byte >> 4], kHex[byte & 0xf]});
    } else {
      out->append(text.data() + i, length);
    }
    i += length;
  }
  out->push_back('"');
}

std::string LogLineToJson(std::string_view time, std::string_view level, std::string_view component,
                          std::string_view line) {
  std::string out = "{\"ts\":";
  AppendJsonString(time, &out);
  AppendMember("level", level, false, &out);
  AppendMember("component", component, false, &out);
  std::string event;
  std::string text;
  std::string fields;
  bool in_fields = false;
  size_t i = 0;
  while (i < line.size()) {
    if (line[i] == ' ') {
      ++i;
      continue;
    }
    size_t key_end = i;
    while (key_end < line.size() && IsKeyChar(line[key_end])) ++key_end;
    if (key_end > i && key_end < line.size() && line[key_end] == '=') {
      in_fields = true;
      std::string key(line.substr(i, key_end - i));
      if (key == "ts" || key == "level" || key == "component" || key == "event" || key == "text") {
        key = "field." + key;
      }
      size_t value_start = key_end + 1;
      if (value_start < line.size() && line[value_start] == '"') {
        size_t end = 0;
        std::string value = Unquote(line, value_start + 1, &end);
        AppendMember(key, value, false, &fields);
        i = end;
      } else {
        size_t end = line.find(' ', value_start);
        if (end == std::string_view::npos) end = line.size();
        std::string_view value = line.substr(value_start, end - value_start);
        bool raw = IsJsonNumber(value) || value == "true" || value == "false";
        AppendMember(key, value, raw, &fields);
        i = end;
      }
      continue;
    }
    size_t end = line.find(' ', i);
    if (end == std::string_view::npos) end = line.size();
    std::string& words = in_fields ? text : event;
    if (!words.empty()) words.push_back(' ');
    words.append(line.substr(i, end - i));
    i = end;
  }
  AppendMember("event", event, false, &out);
  out.append(fields);
  if (!text.empty()) AppendMember("text", text, false, &out);
  out.push_back('}');
  return out;
}

}  // namespace streamgate::common
