#include "gateway/conversation.h"

namespace streamgate::gateway {

namespace {

void AddMessage(llm::v1::StreamChatRequest* request, llm::v1::Role role, std::string text) {
  auto* message = request->add_messages();
  message->set_role(role);
  message->set_content(std::move(text));
}

}  // namespace

Conversation::Conversation(size_t max_bytes) : max_bytes_(max_bytes) {}

llm::v1::StreamChatRequest& Conversation::request() {
  if (!request_) request_ = std::make_unique<llm::v1::StreamChatRequest>();
  return *request_;
}

void Conversation::DropPendingTurn() {
  if (!pending_turn_) return;
  request_->mutable_messages()->RemoveLast();
  pending_turn_ = false;
}

const llm::v1::StreamChatRequest& Conversation::Request(std::string_view session_id,
                                                        std::string_view request_id,
                                                        std::string_view user_text) {
  DropPendingTurn();
  auto& out = request();
  out.set_session_id(std::string(session_id));
  out.set_request_id(std::string(request_id));
  AddMessage(&out, llm::v1::ROLE_USER, std::string(user_text));
  pending_turn_ = true;
  return out;
}

void Conversation::Record(std::string user_text, std::string assistant_text) {
  if (request_) DropPendingTurn();
  if (assistant_text.empty()) return;
  bytes_ += user_text.size() + assistant_text.size();
  ++exchanges_;
  auto& history = request();
  AddMessage(&history, llm::v1::ROLE_USER, std::move(user_text));
  AddMessage(&history, llm::v1::ROLE_ASSISTANT, std::move(assistant_text));
  int dropped = 0;
  while (bytes_ > max_bytes_ && exchanges_ > 0) {
    bytes_ -=
        history.messages(dropped).content().size() + history.messages(dropped + 1).content().size();
    --exchanges_;
    dropped += 2;
  }
  if (dropped > 0) history.mutable_messages()->DeleteSubrange(0, dropped);
}

}  // namespace streamgate::gateway
