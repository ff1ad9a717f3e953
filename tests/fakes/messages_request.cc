#include "tests/fakes/messages_request.h"

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"

namespace streamgate::fake_claude {
namespace {

using nlohmann::json;

const json* Member(const json& object, const char* key) {
  auto it = object.find(key);
  return it == object.end() ? nullptr : &*it;
}

absl::Status Invalid(std::string_view message) {
  return absl::InvalidArgumentError(absl::string_view(message.data(), message.size()));
}

// The text of a `content` (or `system`) value: a string, or the concatenated `text` of the
// text blocks of an array. `where` names the field in error messages.
absl::StatusOr<std::string> ContentText(const json& content, const std::string& where) {
  if (content.is_string()) return content.get<std::string>();
  if (!content.is_array()) return Invalid(where + ": must be a string or an array of blocks");
  std::string text;
  for (size_t i = 0; i < content.size(); ++i) {
    const json& block = content[i];
    const json* type = block.is_object() ? Member(block, "type") : nullptr;
    if (type == nullptr || !type->is_string()) {
      return Invalid(absl::StrCat(where, ".", i, ".type: Field required"));
    }
    if (*type != "text") continue;
    const json* block_text = Member(block, "text");
    if (block_text == nullptr || !block_text->is_string()) {
      return Invalid(absl::StrCat(where, ".", i, ".text: Field required"));
    }
    text += block_text->get_ref<const std::string&>();
  }
  return text;
}

}  // namespace

absl::StatusOr<MessagesRequest> MessagesRequest::Parse(std::string_view body) {
  json root = json::parse(body.begin(), body.end(), /*cb=*/nullptr, /*allow_exceptions=*/false);
  if (root.is_discarded()) return Invalid("There was an error parsing the body as JSON");
  if (!root.is_object()) return Invalid("body: Input should be an object");

  MessagesRequest request;
  const json* model = Member(root, "model");
  if (model == nullptr) return Invalid("model: Field required");
  if (!model->is_string() || model->get_ref<const std::string&>().empty()) {
    return Invalid("model: Input should be a non-empty string");
  }
  request.model_ = model->get<std::string>();

  const json* max_tokens = Member(root, "max_tokens");
  if (max_tokens == nullptr) return Invalid("max_tokens: Field required");
  if (!max_tokens->is_number_integer() || max_tokens->get<int64_t>() <= 0) {
    return Invalid("max_tokens: Input should be a positive integer");
  }
  request.max_tokens_ = max_tokens->get<int64_t>();

  const json* messages = Member(root, "messages");
  if (messages == nullptr) return Invalid("messages: Field required");
  if (!messages->is_array() || messages->empty()) {
    return Invalid("messages: Input should be a non-empty array");
  }
  bool has_user = false;
  for (size_t i = 0; i < messages->size(); ++i) {
    const json& message = (*messages)[i];
    std::string where = absl::StrCat("messages.", i);
    if (!message.is_object()) return Invalid(where + ": Input should be an object");
    const json* role = Member(message, "role");
    if (role == nullptr || !role->is_string() || (*role != "user" && *role != "assistant")) {
      return Invalid(where + ".role: Input should be 'user' or 'assistant'");
    }
    const json* content = Member(message, "content");
    if (content == nullptr) return Invalid(where + ".content: Field required");
    absl::StatusOr<std::string> text = ContentText(*content, where + ".content");
    if (!text.ok()) return text.status();
    if (*role == "user") {
      has_user = true;
      request.last_user_text_ = *std::move(text);
    }
  }
  if (!has_user) return Invalid("messages: at least one message must have the user role");
  request.message_count_ = static_cast<int64_t>(messages->size());

  const json* system = Member(root, "system");
  if (system != nullptr) {
    absl::StatusOr<std::string> text = ContentText(*system, "system");
    if (!text.ok()) return text.status();
  }
  const json* temperature = Member(root, "temperature");
  if (temperature != nullptr &&
      (!temperature->is_number() || !(temperature->get<double>() >= 0.0) ||
       temperature->get<double>() > 1.0)) {
    return Invalid("temperature: Input should be a number in [0, 1]");
  }
  const json* stream = Member(root, "stream");
  if (stream == nullptr || !stream->is_boolean() || !stream->get<bool>()) {
    return Invalid("stream: the fake Claude server only implements \"stream\": true");
  }

  json key = json::array({*model, system != nullptr ? *system : json(), *messages});
  request.conversation_key_ = key.dump(-1, ' ', false, json::error_handler_t::replace);
  return request;
}

}  // namespace streamgate::fake_claude
