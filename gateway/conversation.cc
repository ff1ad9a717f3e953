#include "gateway/conversation.h"

namespace streamgate::gateway {

Conversation::Conversation(size_t max_bytes) : max_bytes_(max_bytes) {}

void Conversation::AppendTo(const std::string& user_text,
                            llm::v1::StreamChatRequest* request) const {
  for (const auto& exchange : exchanges_) {
    auto* user = request->add_messages();
    user->set_role(llm::v1::ROLE_USER);
    user->set_content(exchange.user);
    auto* assistant = request->add_messages();
    assistant->set_role(llm::v1::ROLE_ASSISTANT);
    assistant->set_content(exchange.assistant);
  }
  auto* message = request->add_messages();
  message->set_role(llm::v1::ROLE_USER);
  message->set_content(user_text);
}

void Conversation::Record(std::string user_text, std::string assistant_text) {
  if (assistant_text.empty()) return;
  size_t size = user_text.size() + assistant_text.size();
  exchanges_.push_back({std::move(user_text), std::move(assistant_text)});
  bytes_ += size;
  auto first_kept = exchanges_.begin();
  while (bytes_ > max_bytes_ && first_kept != exchanges_.end()) {
    bytes_ -= first_kept->user.size() + first_kept->assistant.size();
    ++first_kept;
  }
  exchanges_.erase(exchanges_.begin(), first_kept);
}

}  // namespace streamgate::gateway
