#include "llm-service/request_validator.h"

#include <cstdint>
#include <string>

#include "absl/strings/str_cat.h"

namespace streamgate::llm {
namespace {

// Decodes the code point at text[*i] and advances *i; -1 on a malformed sequence.
int32_t NextCodePoint(std::string_view text, size_t* i) {
  const auto byte = [&](size_t k) { return static_cast<uint8_t>(text[k]); };
  const uint8_t lead = byte(*i);
  if (lead < 0x80) {
    ++*i;
    return lead;
  }
  int length;
  int32_t code;
  int32_t min;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2, code = lead & 0x1F, min = 0x80;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3, code = lead & 0x0F, min = 0x800;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4, code = lead & 0x07, min = 0x10000;
  } else {
    return -1;
  }
  if (*i + length > text.size()) return -1;
  for (int k = 1; k < length; ++k) {
    const uint8_t next = byte(*i + k);
    if ((next & 0xC0) != 0x80) return -1;
    code = (code << 6) | (next & 0x3F);
  }
  if (code < min || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) return -1;
  *i += length;
  return code;
}

// Unicode's White_Space property.
bool IsWhiteSpace(int32_t c) {
  return (c >= 0x09 && c <= 0x0D) || c == 0x20 || c == 0x85 || c == 0xA0 || c == 0x1680 ||
         (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F ||
         c == 0x3000;
}

// Call only on valid UTF-8.
bool IsBlank(std::string_view text) {
  for (size_t i = 0; i < text.size();) {
    if (!IsWhiteSpace(NextCodePoint(text, &i))) return false;
  }
  return true;
}

bool IsModelName(std::string_view model) {
  if (model.size() > kMaxModelBytes) return false;
  for (char c : model) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == ':' || c == '@' || c == '/' || c == '-';
    if (!ok) return false;
  }
  return true;
}

absl::Status Invalid(absl::string_view field, absl::string_view rule) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", rule));
}

// "user" or "assistant" words in messages keep them short and close to Anthropic's own.
absl::Status ValidateMessages(const v1::StreamChatRequest& request) {
  const int count = request.messages_size();
  if (count == 0) return Invalid("messages", "at least one message is required");
  if (count > kMaxMessages) {
    return Invalid("messages", absl::StrCat("at most ", kMaxMessages, " messages"));
  }
  for (int i = 0; i < count; ++i) {
    const v1::ChatMessage& message = request.messages(i);
    const std::string field = absl::StrCat("messages[", i, "]");
    const v1::Role role = message.role();
    if (role != v1::ROLE_USER && role != v1::ROLE_ASSISTANT) {
      return Invalid(field + ".role", "must be ROLE_USER or ROLE_ASSISTANT");
    }
    if (i == 0 && role != v1::ROLE_USER) {
      return Invalid(field + ".role", "the first message must be ROLE_USER");
    }
    if (i > 0 && role == request.messages(i - 1).role()) {
      return Invalid(field + ".role", "roles must alternate ROLE_USER/ROLE_ASSISTANT");
    }
    if (!IsValidUtf8(message.content())) return Invalid(field + ".content", "not valid UTF-8");
    if (IsBlank(message.content())) {
      return Invalid(field + ".content", "must not be empty or only whitespace");
    }
  }
  if (request.messages(count - 1).role() != v1::ROLE_USER) {
    return Invalid(absl::StrCat("messages[", count - 1, "].role"),
                   "the last message must be ROLE_USER");
  }
  return absl::OkStatus();
}

}  // namespace

bool IsLoggableId(std::string_view id) {
  if (id.size() > kMaxIdBytes) return false;
  for (char c : id) {
    if (c < 0x21 || c > 0x7E) return false;
  }
  return true;
}

bool IsValidUtf8(std::string_view text) {
  for (size_t i = 0; i < text.size();) {
    if (NextCodePoint(text, &i) < 0) return false;
  }
  return true;
}

absl::Status ValidateRequest(const v1::StreamChatRequest& request) {
  const char* const id_rule = "must be at most 128 bytes of printable ASCII without spaces";
  static_assert(kMaxIdBytes == 128, "update id_rule");
  if (!IsLoggableId(request.session_id())) return Invalid("session_id", id_rule);
  if (!IsLoggableId(request.request_id())) return Invalid("request_id", id_rule);
  if (absl::Status messages = ValidateMessages(request); !messages.ok()) return messages;
  if (request.has_system() && !request.system().empty()) {
    if (!IsValidUtf8(request.system())) return Invalid("system", "not valid UTF-8");
    if (IsBlank(request.system())) {
      return Invalid("system", "must not be only whitespace (leave it unset for none)");
    }
  }
  if (request.has_model() && !IsModelName(request.model())) {
    return Invalid("model", "at most 256 bytes of letters, digits and . _ : @ / -");
  }
  if (request.has_max_tokens() && request.max_tokens() == 0) {
    return Invalid("max_tokens", "must be at least 1 when set");
  }
  // Written so that NaN fails too.
  if (request.has_temperature() &&
      !(request.temperature() >= 0.0f && request.temperature() <= 1.0f)) {
    return Invalid("temperature", "must be within [0, 1]");
  }
  return absl::OkStatus();
}

}  // namespace streamgate::llm
