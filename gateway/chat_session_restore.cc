// ChatSession: a session from the store after a restart (Restore), detached until a resume.
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/log.h"
#include "gateway/chat_session.h"
#include "gateway/chat_session_state.h"
#include "gateway/gateway_config.h"
#include "gateway/store/session_store.h"

namespace streamgate::gateway {

void ChatSession::Restore(SessionSnapshot snapshot) {
  StoredSession& stored = snapshot.session;
  id_ = stored.id;
  tokens_.Restore(stored.token_hash, stored.previous_token_hash);
  life().created_at_ms = stored.created_at_ms;
  life().reserved_seq = stored.seq_reserved;
  restored_ = true;
  stored_ = true;
  // Revoked (its window passed here) or its window passed while no process held it.
  bool window_passed =
      NowMs() - stored.last_seen_ms > absl::ToInt64Milliseconds(services_.config->resume_window);
  state_ = tokens_.revoked() || window_passed ? State::kClosed : State::kDetached;
  // Conversations whose reply was running when the last process stopped: a stored pending
  // user turn (the reply had not ended: its turn is stored before its first frame and
  // cleared before its last), or a stream_start with no end after it (a restore recorded
  // the exchange already, and the process stopped again before a resume).
  struct Unended {
    std::string conversation;
    std::string user_text;   // the pending turn, if stored
    std::string text;        // the chunks after the last stream_start the store has
    std::string request_id;  // that stream_start's
    bool open = false;       // that stream_start has no end after it
  };
  std::vector<Unended> unended;
  auto find_unended = [&](std::string_view cid) {
    auto it = std::find_if(unended.begin(), unended.end(),
                           [&](const Unended& u) { return u.conversation == cid; });
    if (it != unended.end()) return it;
    Unended entry;
    entry.conversation = std::string(cid);
    unended.push_back(std::move(entry));
    return unended.end() - 1;
  };
  for (auto& saved : snapshot.conversations) {
    ConversationState* conversation = ConversationFor(saved.conversation_id, /*create=*/true);
    if (conversation == nullptr) break;
    std::string pending;
    conversation->history.Restore(saved.history, &pending);
    conversation->last_activity_ms = saved.last_activity_ms;
    if (!pending.empty()) find_unended(saved.conversation_id)->user_text = std::move(pending);
  }
  std::vector<ReplayLog::Frame> frames;
  uint64_t last = 0;
  bool usable = stored.replay_lost_from == 0;
  for (auto& frame : snapshot.replay) {
    last = std::max(last, frame.seq);
    if (frame.frame.empty()) {
      frames.push_back(ReplayLog::Frame{frame.seq, nullptr});
      continue;
    }
    if (auto facts = ReadFrameFacts(frame.frame)) {
      // A reply's error names its request; a `busy` or `limit_exceeded` names none and ends
      // nothing.
      bool ends_reply =
          facts->type == "stream_end" || (facts->type == "error" && !facts->request_id.empty());
      if (facts->type == "stream_start") {
        auto it = find_unended(facts->conversation);
        it->open = true;
        it->text.clear();
        it->request_id = std::move(facts->request_id);
      } else if (facts->type == "stream_chunk") {
        auto it = find_unended(facts->conversation);
        if (it->open) it->text += facts->chunk_text;
      } else if (ends_reply) {
        auto it = find_unended(facts->conversation);
        it->open = false;
        it->text.clear();
      }
    }
    frames.push_back(
        ReplayLog::Frame{frame.seq, std::make_shared<const std::string>(std::move(frame.frame))});
  }
  if (!usable) {
    // Frames from replay_lost_from on may be missing (the store's queue was full), and any
    // number of them may have been sent after it, up to the reservation: no replay at all,
    // and a client that has not seen every frame that may have been sent gets `gap` (even
    // one that saw the first lost frame itself).
    frames.clear();
    last = std::max({last, stored.replay_lost_from, stored.seq_reserved});
  }
  log_.Restore(last, std::move(frames));
  life().persisted_seq = last;
  life().dropped_below = log_.oldest_seq();
  for (Unended& reply : unended) {
    bool pending = !reply.user_text.empty();
    if (!pending && !reply.open) continue;
    ConversationState* conversation = FindConversation(reply.conversation);
    if (pending && conversation != nullptr) {
      // Kept as a drain deadline keeps it: what was asked and the text the client can get
      // (none when the store has none of the reply's frames: nothing of it can be replayed).
      if (reply.open && usable) conversation->history.Record(reply.user_text, reply.text);
      if (state_ != State::kClosed) PersistConversation(*conversation);
    }
    life().interrupted.push_back(
        {std::move(reply.conversation), reply.open ? std::move(reply.request_id) : ""});
  }
  if (state_ == State::kDetached) StartWindow();
}

}  // namespace streamgate::gateway
