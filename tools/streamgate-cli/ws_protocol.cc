#include "tools/streamgate-cli/ws_protocol.h"

#include <nlohmann/json.hpp>
#include <vector>

namespace streamgate::cli {
namespace {

using Json = nlohmann::json;

std::string StringField(const Json& object, const char* key) {
  auto it = object.find(key);
  if (it == object.end() || !it->is_string()) return "";
  return it->get<std::string>();
}

// An integer field, or `absent` when missing, not an integer or negative.
int64_t IntField(const Json& object, const char* key, int64_t absent) {
  auto it = object.find(key);
  if (it == object.end() || !it->is_number_integer()) return absent;
  if (it->is_number_unsigned()) {
    uint64_t value = it->get<uint64_t>();
    return value > static_cast<uint64_t>(INT64_MAX) ? absent : static_cast<int64_t>(value);
  }
  int64_t value = it->get<int64_t>();
  return value < 0 ? absent : value;
}

bool IsConversationChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-';
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
  frame.seq = static_cast<uint64_t>(IntField(parsed, "seq", 0));
  frame.conversation_id = StringField(parsed, "conversationId");
  frame.content = StringField(parsed, "content");
  frame.error = StringField(parsed, "error");
  frame.code = StringField(parsed, "code");
  frame.reason = StringField(parsed, "reason");
  frame.resume_token = StringField(parsed, "resumeToken");
  frame.retry_after_ms = IntField(parsed, "retryAfterMs", -1);
  frame.replayed = IntField(parsed, "replayed", 0);
  auto cancelled = parsed.find("cancelled");
  frame.cancelled = cancelled != parsed.end() && cancelled->is_boolean() && cancelled->get<bool>();
  return frame;
}

std::string RedactSecrets(std::string_view text) {
  // Cheap test first: only connection_established and session_resumed carry a token.
  if (text.find("resumeToken") == std::string_view::npos) return std::string(text);
  // Ordered, so the printed frame keeps the gateway's field order.
  auto parsed = nlohmann::ordered_json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) return std::string(kRedacted);  // not JSON: print none of it
  // Every level: a token nested anywhere is still a token.
  std::vector<nlohmann::ordered_json*> pending = {&parsed};
  while (!pending.empty()) {
    nlohmann::ordered_json* value = pending.back();
    pending.pop_back();
    if (value->is_object()) {
      for (auto& [key, member] : value->items()) {
        if (key == "resumeToken") {
          member = std::string(kRedacted);
        } else {
          pending.push_back(&member);
        }
      }
    } else if (value->is_array()) {
      for (auto& member : *value) pending.push_back(&member);
    }
  }
  return parsed.dump(-1, ' ', false, Json::error_handler_t::replace);
}

absl::Status ValidateConversationId(std::string_view id) {
  bool valid = !id.empty() && id.size() <= 64;
  for (char c : id) valid = valid && IsConversationChar(c);
  if (valid) return absl::OkStatus();
  return absl::InvalidArgumentError(
      "a conversation id is 1-64 characters of A-Z, a-z, 0-9, '_' and '-', got '" +
      SanitizeUtf8(id.substr(0, 80)) + (id.size() > 80 ? "...'" : "'"));
}

std::string EncodeUserMessage(std::string_view content, std::string_view session_id,
                              std::string_view conversation_id) {
  Json message = {{"type", "user_message"}, {"content", SanitizeUtf8(content)}};
  if (!session_id.empty()) message["sessionId"] = std::string(session_id);
  if (!conversation_id.empty()) message["conversationId"] = std::string(conversation_id);
  return Dump(message);
}

std::string EncodeCancel(std::string_view session_id, std::string_view conversation_id) {
  Json message = {{"type", "cancel"}};
  if (!session_id.empty()) message["sessionId"] = std::string(session_id);
  if (!conversation_id.empty()) message["conversationId"] = std::string(conversation_id);
  return Dump(message);
}

std::string EncodeResume(std::string_view session_id, std::string_view resume_token,
                         uint64_t last_seq) {
  return Dump({{"type", "resume"},
               {"sessionId", std::string(session_id)},
               {"resumeToken", std::string(resume_token)},
               {"lastSeq", last_seq}});
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
