#include "llm-service/claude/claude_event_decoder.h"

#include <algorithm>
#include <array>
#include <limits>
#include <nlohmann/json.hpp>
#include <utility>

#include "absl/strings/str_cat.h"

namespace streamgate::llm {
namespace {

using nlohmann::json;

// A real reply has a handful of blocks; this only stops a broken upstream from growing the
// block table without bound.
constexpr size_t kMaxContentBlocks = 1024;

// Event types this decoder reads (and so validates). Others, `ping` included, are skipped
// unparsed: the API documents that new event types may appear at any time.
constexpr std::array<std::string_view, 7> kDecodedEvents = {"message_start",
                                                            "content_block_start",
                                                            "content_block_delta",
                                                            "content_block_stop",
                                                            "message_delta",
                                                            "message_stop",
                                                            "error"};

bool IsDecodedEvent(std::string_view name) {
  for (std::string_view known : kDecodedEvents) {
    if (known == name) return true;
  }
  return false;
}

absl::Status Malformed(std::string_view event_name) {
  // `event_name` is one of kDecodedEvents (or "unnamed"), never upstream text.
  return absl::UnavailableError(
      absl::StrCat("upstream sent a malformed ",
                   absl::string_view(event_name.data(), event_name.size()), " event"));
}

absl::Status OutOfOrder() {
  return absl::UnavailableError("upstream stream is out of order (content before message_start)");
}

std::optional<json> ParseJson(std::string_view text) {
  json value = json::parse(text.begin(), text.end(), /*cb=*/nullptr, /*allow_exceptions=*/false);
  if (value.is_discarded()) return std::nullopt;
  return value;
}

// Member access that never throws (nlohmann's operator[] and value() can).
const json* Member(const json& object, const char* key) {
  if (!object.is_object()) return nullptr;
  auto it = object.find(key);
  return it == object.end() ? nullptr : &*it;
}

std::optional<std::string_view> StringMember(const json& object, const char* key) {
  const json* value = Member(object, key);
  if (value == nullptr || !value->is_string()) return std::nullopt;
  return std::string_view(value->get_ref<const std::string&>());
}

const json* ObjectMember(const json& object, const char* key) {
  const json* value = Member(object, key);
  return value != nullptr && value->is_object() ? value : nullptr;
}

std::optional<int64_t> IndexMember(const json& object, const char* key) {
  const json* value = Member(object, key);
  if (value == nullptr || !value->is_number_integer()) return std::nullopt;
  if (value->is_number_unsigned()) {
    const auto index = value->get<uint64_t>();
    if (index > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return std::nullopt;
    return static_cast<int64_t>(index);
  }
  return value->get<int64_t>();
}

// Token counts are non-negative integers; they saturate at the proto's uint32.
std::optional<uint32_t> TokenCount(const json* usage, const char* key) {
  if (usage == nullptr) return std::nullopt;
  const json* value = Member(*usage, key);
  if (value == nullptr || !value->is_number_unsigned()) return std::nullopt;
  const auto count = value->get<uint64_t>();
  return static_cast<uint32_t>(std::min<uint64_t>(count, std::numeric_limits<uint32_t>::max()));
}

std::optional<AnthropicError> ErrorFromJson(const json& envelope) {
  const json* error = ObjectMember(envelope, "error");
  if (error == nullptr) return std::nullopt;
  std::optional<std::string_view> type = StringMember(*error, "type");
  if (!type.has_value()) return std::nullopt;
  AnthropicError result;
  result.type = std::string(*type);
  result.message = std::string(StringMember(*error, "message").value_or(""));
  return result;
}

v1::StreamChatResponse DeltaMessage(std::string_view text) {
  v1::StreamChatResponse message;
  message.mutable_delta()->set_text(std::string(text));
  return message;
}

}  // namespace

ClaudeEventDecoder::ClaudeEventDecoder(uint32_t messages_received)
    : messages_received_(messages_received) {}

std::optional<AnthropicError> ClaudeEventDecoder::ParseError(std::string_view json_text) {
  std::optional<json> envelope = ParseJson(json_text);
  if (!envelope.has_value()) return std::nullopt;
  return ErrorFromJson(*envelope);
}

absl::StatusOr<std::optional<v1::StreamChatResponse>> ClaudeEventDecoder::Decode(
    std::string_view event_name, std::string_view data) {
  if (!status_.ok()) return status_;
  if (complete_) return std::nullopt;  // the reply is whole; trailing events change nothing
  Result result = Dispatch(event_name, data);
  if (!result.ok()) status_ = result.status();
  return result;
}

absl::Status ClaudeEventDecoder::Finish() const {
  if (!status_.ok()) return status_;
  if (!complete_) return absl::UnavailableError("upstream stream ended early");
  return absl::OkStatus();
}

ClaudeEventDecoder::Result ClaudeEventDecoder::Dispatch(std::string_view event_name,
                                                        std::string_view data) {
  const bool named = !event_name.empty() && event_name != "message";
  if (named && !IsDecodedEvent(event_name)) return std::nullopt;

  std::optional<json> event = ParseJson(data);
  if (!event.has_value() || !event->is_object()) return Malformed(named ? event_name : "unnamed");
  std::string type(event_name);
  if (!named) {
    std::optional<std::string_view> json_type = StringMember(*event, "type");
    if (!json_type.has_value()) return Malformed("unnamed");
    if (!IsDecodedEvent(*json_type)) return std::nullopt;
    type = std::string(*json_type);
  }

  if (type == "error") {
    std::optional<AnthropicError> error = ErrorFromJson(*event);
    if (!error.has_value()) return Malformed("error");
    return UpstreamStreamErrorStatus(*error);
  }
  if (type == "message_start") return OnMessageStart(*event);
  if (!started_) return OutOfOrder();
  if (type == "content_block_start") return OnContentBlockStart(*event);
  if (type == "content_block_delta") return OnContentBlockDelta(*event);
  if (type == "message_delta") return OnMessageDelta(*event);
  if (type == "message_stop") return OnMessageStop();
  return std::nullopt;  // content_block_stop: nothing to send
}

ClaudeEventDecoder::Result ClaudeEventDecoder::OnMessageStart(const json& event) {
  if (started_) {
    return absl::UnavailableError("upstream stream is out of order (second message_start)");
  }
  const json* message = ObjectMember(event, "message");
  if (message == nullptr) return Malformed("message_start");
  input_tokens_ = TokenCount(ObjectMember(*message, "usage"), "input_tokens").value_or(0);
  output_tokens_ = TokenCount(ObjectMember(*message, "usage"), "output_tokens").value_or(0);
  started_ = true;
  v1::StreamChatResponse response;
  auto* started = response.mutable_started();
  started->set_message_id(std::string(StringMember(*message, "id").value_or("")));
  started->set_model(std::string(StringMember(*message, "model").value_or("")));
  return response;
}

ClaudeEventDecoder::Result ClaudeEventDecoder::OnContentBlockStart(const json& event) {
  std::optional<int64_t> index = IndexMember(event, "index");
  const json* block = ObjectMember(event, "content_block");
  std::optional<std::string_view> block_type =
      block == nullptr ? std::nullopt : StringMember(*block, "type");
  if (!index.has_value() || !block_type.has_value()) return Malformed("content_block_start");
  if (block_is_text_.size() >= kMaxContentBlocks && !block_is_text_.contains(*index)) {
    return absl::UnavailableError("upstream stream has too many content blocks");
  }
  const bool is_text = *block_type == "text";
  block_is_text_[*index] = is_text;
  // A text block normally starts empty, but any initial text is part of the reply.
  if (is_text) {
    std::optional<std::string_view> text = StringMember(*block, "text");
    if (text.has_value() && !text->empty()) return DeltaMessage(*text);
  }
  return std::nullopt;
}

ClaudeEventDecoder::Result ClaudeEventDecoder::OnContentBlockDelta(const json& event) {
  std::optional<int64_t> index = IndexMember(event, "index");
  const json* delta = ObjectMember(event, "delta");
  std::optional<std::string_view> delta_type =
      delta == nullptr ? std::nullopt : StringMember(*delta, "type");
  if (!index.has_value() || !delta_type.has_value()) return Malformed("content_block_delta");
  if (*delta_type != "text_delta") return std::nullopt;  // thinking, tool input, citations, ...
  // A text_delta names its own kind; a block announced as non-text still never leaks text.
  auto block = block_is_text_.find(*index);
  if (block != block_is_text_.end() && !block->second) return std::nullopt;
  std::optional<std::string_view> text = StringMember(*delta, "text");
  if (!text.has_value()) return Malformed("content_block_delta");
  if (text->empty()) return std::nullopt;
  return DeltaMessage(*text);
}

ClaudeEventDecoder::Result ClaudeEventDecoder::OnMessageDelta(const json& event) {
  if (const json* delta = ObjectMember(event, "delta")) {
    // stop_reason is null until the model has stopped.
    if (auto stop_reason = StringMember(*delta, "stop_reason")) stop_reason_ = *stop_reason;
  }
  // message_delta's usage is cumulative; newer API versions repeat input_tokens here.
  const json* usage = ObjectMember(event, "usage");
  if (auto output = TokenCount(usage, "output_tokens")) output_tokens_ = *output;
  if (auto input = TokenCount(usage, "input_tokens")) input_tokens_ = *input;
  return std::nullopt;
}

ClaudeEventDecoder::Result ClaudeEventDecoder::OnMessageStop() {
  complete_ = true;
  v1::StreamChatResponse response;
  auto* completed = response.mutable_completed();
  completed->set_stop_reason(stop_reason_);
  completed->mutable_usage()->set_input_tokens(input_tokens_);
  completed->mutable_usage()->set_output_tokens(output_tokens_);
  completed->set_messages_received(messages_received_);
  return response;
}

}  // namespace streamgate::llm
