#include "gateway/conversation.h"

#include "absl/strings/ascii.h"
#include "streamgate/llm/v1/llm_service.pb.h"

namespace streamgate::gateway {

namespace {

// Appends one `messages` entry (field 3 of StreamChatRequest), encoded.
void AppendMessage(std::string* wire, llm::v1::Role role, std::string_view text) {
  llm::v1::StreamChatRequest holder;
  auto* message = holder.add_messages();
  message->set_role(role);
  message->set_content(std::string(text));
  holder.AppendToString(wire);
}

}  // namespace

Conversation::Conversation(size_t max_bytes) : max_bytes_(max_bytes) {}

std::string Conversation::Request(std::string_view session_id, std::string_view request_id,
                                  std::string_view user_text, uint32_t max_tokens) const {
  llm::v1::StreamChatRequest ids;
  ids.set_session_id(std::string(session_id));
  ids.set_request_id(std::string(request_id));
  if (max_tokens > 0) ids.set_max_tokens(max_tokens);
  std::string out;
  out.reserve(ids.ByteSizeLong() + (history_ ? history_->wire.size() : 0) + user_text.size() + 16);
  ids.AppendToString(&out);
  if (history_) out += history_->wire;
  AppendMessage(&out, llm::v1::ROLE_USER, user_text);
  return out;
}

void Conversation::Record(std::string_view user_text, std::string_view assistant_text) {
  // llm-service refuses a blank turn (as Claude does), so a reply of nothing but whitespace
  // kept here would make every later message of this conversation fail.
  if (absl::StripAsciiWhitespace({assistant_text.data(), assistant_text.size()}).empty()) return;
  if (!history_) history_ = std::make_unique<History>();
  History& history = *history_;
  size_t wire_before = history.wire.size();
  AppendMessage(&history.wire, llm::v1::ROLE_USER, user_text);
  AppendMessage(&history.wire, llm::v1::ROLE_ASSISTANT, assistant_text);
  size_t text_bytes = user_text.size() + assistant_text.size();
  history.exchanges.push_back({text_bytes, history.wire.size() - wire_before});
  history.text_bytes += text_bytes;

  size_t dropped = 0;
  size_t dropped_wire = 0;
  while (history.text_bytes > max_bytes_ && dropped < history.exchanges.size()) {
    history.text_bytes -= history.exchanges[dropped].text_bytes;
    dropped_wire += history.exchanges[dropped].wire_bytes;
    ++dropped;
  }
  if (dropped == 0) return;
  history.exchanges.erase(history.exchanges.begin(), history.exchanges.begin() + dropped);
  history.wire.erase(0, dropped_wire);
  if (history.exchanges.empty()) history_.reset();
}

std::vector<Conversation::Turn> Conversation::Turns() const {
  std::vector<Turn> turns;
  if (!history_) return turns;
  llm::v1::StreamChatRequest parsed;
  if (!parsed.ParseFromString(history_->wire)) return turns;
  turns.reserve(static_cast<size_t>(parsed.messages_size()));
  for (const auto& message : parsed.messages()) {
    turns.push_back(Turn{message.role() == llm::v1::ROLE_USER, message.content()});
  }
  return turns;
}

std::string Conversation::SerializeWithPending(std::string_view user_text) const {
  std::string out = Serialize();
  AppendMessage(&out, llm::v1::ROLE_USER, user_text);
  return out;
}

bool Conversation::Restore(std::string_view blob, std::string* pending_user) {
  history_.reset();
  if (pending_user != nullptr) pending_user->clear();
  if (blob.empty()) return true;
  llm::v1::StreamChatRequest parsed;
  if (!parsed.ParseFromArray(blob.data(), static_cast<int>(blob.size()))) return false;
  const auto& messages = parsed.messages();
  int i = 0;
  for (; i + 1 < messages.size(); i += 2) {
    if (messages[i].role() != llm::v1::ROLE_USER ||
        messages[i + 1].role() != llm::v1::ROLE_ASSISTANT) {
      history_.reset();
      return false;
    }
    Record(messages[i].content(), messages[i + 1].content());
  }
  if (i < messages.size()) {
    // A user turn with no reply after it: the one a reply was running for.
    if (messages[i].role() != llm::v1::ROLE_USER) {
      history_.reset();
      return false;
    }
    if (pending_user != nullptr) *pending_user = messages[i].content();
  }
  return true;
}

}  // namespace streamgate::gateway
