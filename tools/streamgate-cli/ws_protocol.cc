#include "tools/streamgate-cli/ws_protocol.h"

#include <nlohmann/json.hpp>

namespace streamgate::cli {
namespace {

using Json = nlohmann::json;

std::string StringField(const Json& object, const char* key) {
  auto it = object.find(key);
  if (it == object.end() || !it->is_string()) return "";
  return it->get<std::string>();
}

std::string Dump(const Json& message) {
  // `replace` never throws: invalid UTF-8 (already sanitized, but cheap insurance) becomes
  // U+FFFD instead of an exception.
  return message.dump(-1, ' ', false, Json::error_handler_t::replace);
}

// Length of the valid UTF-8 sequence starting at text[i], or 0 when it is not one.
size_t ValidSequenceLength(std::string_view text, size_t i) {
  auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
  unsigned char lead = byte(i);
  if (lead < 0x80) return 1;
  size_t length = 0;
  unsigned min_second = 0x80, max_second = 0xBF;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0) min_second = 0xA0;  // overlong
    if (lead == 0xED) max_second = 0x9F;  // surrogates
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0) min_second = 0x90;  // overlong
    if (lead == 0xF4) max_second = 0x8F;  // above U+10FFFF
  } else {
    return 0;
  }
  if (i + length > text.size()) return 0;
  if (byte(i + 1) < min_second || byte(i + 1) > max_second) return 0;
  for (size_t k = 2; k < length; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
  }
  return length;
}

}  // namespace

std::optional<ServerFrame> ParseServerFrame(std::string_view text) {
  Json parsed = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded() || !parsed.is_object()) return std::nullopt;
  ServerFrame frame;
  frame.type = StringField(parsed, "type");
  if (frame.type.empty()) return std::nullopt;
  frame.session_id = StringField(parsed, "sessionId");
  frame.content = StringField(parsed, "content");
  frame.error = StringField(parsed, "error");
  frame.code = StringField(parsed, "code");
  auto cancelled = parsed.find("cancelled");
  frame.cancelled = cancelled != parsed.end() && cancelled->is_boolean() && cancelled->get<bool>();
  return frame;
}

std::string EncodeUserMessage(std::string_view content, std::string_view session_id) {
  Json message = {{"type", "user_message"}, {"content", SanitizeUtf8(content)}};
  if (!session_id.empty()) message["sessionId"] = std::string(session_id);
  return Dump(message);
}

std::string EncodeCancel(std::string_view session_id) {
  Json message = {{"type", "cancel"}};
  if (!session_id.empty()) message["sessionId"] = std::string(session_id);
  return Dump(message);
}

std::string SanitizeUtf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    size_t length = ValidSequenceLength(text, i);
    if (length == 0) {
      out.append("\xEF\xBF\xBD");
      ++i;
    } else {
      out.append(text.substr(i, length));
      i += length;
    }
  }
  return out;
}

}  // namespace streamgate::cli
