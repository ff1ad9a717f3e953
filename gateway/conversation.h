#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace streamgate::gateway {

// One session's conversation history: completed exchanges (a user turn and the assistant
// reply the user saw), oldest first, bounded in bytes of text. llm-service is stateless, so
// every request carries this history plus the new user message.
//
// Rules: a failed reply leaves no trace; a cancelled one keeps the text the user saw (an
// exchange whose reply is empty is dropped, since a turn without text is no context and
// providers reject empty turns). When the history exceeds its bound, the oldest exchanges
// go first, so user and assistant turns always alternate starting with the user.
//
// The history is kept already encoded, as the `messages` entries of a StreamChatRequest:
// protobuf encodes a repeated field's elements one after another and a parser appends what
// it finds, so a request is the ids, the stored bytes and the new turn, concatenated. Each
// exchange is encoded once, when recorded, not again for every later request. Nothing is
// allocated before the first exchange: idle sessions are the many.
//
// Owned by a Session; touched only on its loop.
class Conversation {
 public:
  explicit Conversation(size_t max_bytes);

  // The encoded llm.v1.StreamChatRequest for a new user turn: the ids, the history, then
  // `user_text`; `max_tokens` when not 0.
  std::string Request(std::string_view session_id, std::string_view request_id,
                      std::string_view user_text, uint32_t max_tokens = 0) const;
  // Records a finished (or cancelled) exchange.
  void Record(std::string_view user_text, std::string_view assistant_text);
  // Whether an exchange of `text_bytes` (user and assistant text) can be kept at all: a
  // running reply past it need not be held for Record, however long it goes on.
  bool Fits(size_t text_bytes) const { return text_bytes <= max_bytes_; }
  // Records an exchange that outgrew the bound while it ran (its text was let go): what
  // Record does with one that large, which leaves no exchange behind.
  void RecordOversized() { history_.reset(); }

  size_t exchanges() const { return history_ ? history_->exchanges.size() : 0; }
  size_t bytes() const { return history_ ? history_->text_bytes : 0; }

  // The history's turns, oldest first (user, assistant, user, ...), for `get_history`.
  struct Turn {
    bool from_user = true;
    std::string content;
  };
  std::vector<Turn> Turns() const;
  // The stored form (the encoded `messages` entries), and back: what the session store keeps.
  // Restore rebuilds the exchanges from it under this conversation's bound; a blob that does
  // not parse restores nothing and returns false.
  std::string Serialize() const { return history_ ? history_->wire : std::string(); }
  // The stored form while a reply to `user_text` runs: the history and that user turn, so
  // that a crash before the reply ends still knows what was asked (Restore hands it back
  // through `pending_user`; without one it is dropped).
  std::string SerializeWithPending(std::string_view user_text) const;
  bool Restore(std::string_view blob, std::string* pending_user = nullptr);

 private:
  struct Exchange {
    size_t text_bytes;  // what the bound counts
    size_t wire_bytes;  // its share of History::wire
  };
  struct History {
    std::string wire;  // encoded `messages` entries, oldest first
    std::vector<Exchange> exchanges;
    size_t text_bytes = 0;
  };

  const size_t max_bytes_;
  std::unique_ptr<History> history_;
};

}  // namespace streamgate::gateway
