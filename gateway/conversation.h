#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "streamgate/llm/v1/llm_service.pb.h"

namespace streamgate::gateway {

// One session's conversation history: completed exchanges (a user turn and the assistant
// reply the user saw), oldest first, bounded in bytes. llm-service is stateless, so every
// request carries this history plus the new user message.
//
// Rules: a failed reply leaves no trace; a cancelled one keeps the text the user saw (an
// exchange whose reply is empty is dropped, since a turn without text is no context and
// providers reject empty turns). When the history exceeds its bound, the oldest exchanges
// go first, so user and assistant turns always alternate starting with the user.
//
// The history is kept as the request message itself, so a new request appends one turn
// instead of copying every earlier message into a fresh request (gRPC serializes it when
// the call starts). Nothing is allocated before the first request: idle sessions are many.
//
// Owned by a Session; touched only on its strand.
class Conversation {
 public:
  explicit Conversation(size_t max_bytes);

  // The request for a new user turn: the history followed by `user_text`. Valid until the
  // next call of a non-const method. A turn that is never recorded is dropped by the next
  // Request or Record.
  const llm::v1::StreamChatRequest& Request(std::string_view session_id,
                                            std::string_view request_id,
                                            std::string_view user_text);
  // Records a finished (or cancelled) exchange.
  void Record(std::string user_text, std::string assistant_text);

  size_t exchanges() const { return exchanges_; }
  size_t bytes() const { return bytes_; }

 private:
  llm::v1::StreamChatRequest& request();
  void DropPendingTurn();

  const size_t max_bytes_;
  std::unique_ptr<llm::v1::StreamChatRequest> request_;  // history, then the pending turn
  bool pending_turn_ = false;
  size_t exchanges_ = 0;
  size_t bytes_ = 0;
};

}  // namespace streamgate::gateway
