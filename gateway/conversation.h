#pragma once

#include <cstddef>
#include <string>
#include <vector>

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
// Owned by a Session; touched only on its strand.
class Conversation {
 public:
  explicit Conversation(size_t max_bytes);

  // Fills `request`'s messages with the history followed by `user_text`.
  void AppendTo(const std::string& user_text, llm::v1::StreamChatRequest* request) const;
  // Records a finished (or cancelled) exchange.
  void Record(std::string user_text, std::string assistant_text);

  size_t exchanges() const { return exchanges_.size(); }
  size_t bytes() const { return bytes_; }

 private:
  struct Exchange {
    std::string user;
    std::string assistant;
  };

  const size_t max_bytes_;
  // A vector, not a deque: libstdc++'s deque allocates ~600 bytes up front, which every idle
  // connection would pay. Dropping the oldest shifts the rest, but that is rare and short.
  std::vector<Exchange> exchanges_;
  size_t bytes_ = 0;
};

}  // namespace streamgate::gateway
