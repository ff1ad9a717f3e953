#include "gateway/store/store_write_queue.h"

#include <algorithm>
#include <utility>

#include "absl/strings/string_view.h"

namespace streamgate::gateway {
namespace {

// Approximate heap bytes of a list node holding a StoreOp, and of a session's map slot.
constexpr uint64_t kOpOverheadBytes = 64;
constexpr uint64_t kSessionOverheadBytes = 160;

absl::string_view Key(std::string_view id) { return absl::string_view(id.data(), id.size()); }

uint64_t Bytes(const StoredSession& s) {
  return s.id.size() + s.identity.size() + s.token_hash.size() + s.previous_token_hash.size() +
         sizeof(StoredSession);
}

uint64_t OpBytes(const StoreOp& op) {
  struct Visitor {
    uint64_t operator()(const PutSessionOp& o) const { return Bytes(o.session); }
    uint64_t operator()(const PutConversationOp& o) const {
      return o.conversation.session_id.size() + o.conversation.conversation_id.size() +
             o.conversation.history.size() + sizeof(StoredConversation);
    }
    uint64_t operator()(const DeleteConversationOp& o) const {
      return o.conversation_id.size() + sizeof(o);
    }
    uint64_t operator()(const AppendFramesOp& o) const {
      uint64_t bytes = 0;
      for (const StoredFrame& frame : o.frames) bytes += FrameBytes(frame);
      return bytes;
    }
    uint64_t operator()(const DropFramesBelowOp&) const { return 0; }
    uint64_t operator()(const NoteLossOp&) const { return 0; }
    uint64_t operator()(const DeleteSessionOp&) const { return 0; }
  };
  return kOpOverheadBytes + std::visit(Visitor{}, op);
}

}  // namespace

SessionOps& StoreWriteQueue::SessionOf(std::string_view session_id) {
  auto it = batch_.sessions.find(Key(session_id));
  if (it == batch_.sessions.end()) {
    it = batch_.sessions.emplace(std::string(session_id), SessionOps{}).first;
    pending_bytes_ += kSessionOverheadBytes + session_id.size();
  }
  return it->second;
}

std::list<StoreOp>::iterator StoreWriteQueue::Push(SessionOps& session, StoreOp op) {
  pending_bytes_ += OpBytes(op);
  return session.ops.insert(session.ops.end(), std::move(op));
}

void StoreWriteQueue::Replace(std::list<StoreOp>::iterator at, StoreOp op) {
  pending_bytes_ -= OpBytes(*at);
  pending_bytes_ += OpBytes(op);
  *at = std::move(op);
}

void StoreWriteQueue::Erase(SessionOps& session, std::list<StoreOp>::iterator at) {
  pending_bytes_ -= OpBytes(*at);
  session.ops.erase(at);
}

void StoreWriteQueue::PutSession(const StoredSession& stored) {
  SessionOps& session = SessionOf(stored.id);
  if (session.put_session.has_value()) {
    Replace(*session.put_session, PutSessionOp{stored});
  } else {
    session.put_session = Push(session, PutSessionOp{stored});
  }
}

void StoreWriteQueue::PutConversation(const StoredConversation& conversation) {
  SessionOps& session = SessionOf(conversation.session_id);
  auto it = session.conversation_writes.find(Key(conversation.conversation_id));
  if (it != session.conversation_writes.end()) {
    Replace(it->second, PutConversationOp{conversation});
  } else {
    session.conversation_writes.emplace(conversation.conversation_id,
                                        Push(session, PutConversationOp{conversation}));
  }
}

void StoreWriteQueue::DeleteConversation(std::string_view session_id,
                                         std::string_view conversation_id) {
  SessionOps& session = SessionOf(session_id);
  DeleteConversationOp op{std::string(conversation_id)};
  auto it = session.conversation_writes.find(Key(conversation_id));
  if (it != session.conversation_writes.end()) {
    Replace(it->second, std::move(op));
  } else {
    session.conversation_writes.emplace(std::string(conversation_id), Push(session, std::move(op)));
  }
}

size_t StoreWriteQueue::AppendFrames(std::string_view session_id, std::vector<StoredFrame> frames) {
  if (frames.empty()) return 0;
  SessionOps& session = SessionOf(session_id);
  uint64_t bytes = 0;
  size_t kept = FramesThatFit(frames, queued_bytes() + kOpOverheadBytes, max_bytes_, &bytes);
  size_t dropped = frames.size() - kept;
  ReplayLoss loss;
  if (dropped > 0) {
    loss.Add(frames[kept].seq, frames.back().seq);
    frames.resize(kept);
  }
  if (kept > 0) {
    if (!session.ops.empty() && std::holds_alternative<AppendFramesOp>(session.ops.back())) {
      auto& queued = std::get<AppendFramesOp>(session.ops.back()).frames;
      queued.insert(queued.end(), std::make_move_iterator(frames.begin()),
                    std::make_move_iterator(frames.end()));
      pending_bytes_ += bytes;
    } else {
      Push(session, AppendFramesOp{std::move(frames)});
    }
  }
  if (dropped > 0) {
    dropped_frames_ += dropped;
    if (session.note_loss.has_value()) {
      loss.Add(std::get<NoteLossOp>(**session.note_loss).loss);
      Replace(*session.note_loss, NoteLossOp{loss});
    } else {
      session.note_loss = Push(session, NoteLossOp{loss});
    }
  }
  return dropped;
}

void StoreWriteQueue::DropFramesBelow(std::string_view session_id, uint64_t seq) {
  SessionOps& session = SessionOf(session_id);
  if (session.drop_below.has_value()) {
    seq = std::max(seq, std::get<DropFramesBelowOp>(**session.drop_below).seq);
    Erase(session, *session.drop_below);
  }
  session.drop_below = Push(session, DropFramesBelowOp{seq});
}

void StoreWriteQueue::DeleteSession(std::string_view session_id) {
  SessionOps& session = SessionOf(session_id);
  for (const StoreOp& op : session.ops) pending_bytes_ -= OpBytes(op);
  session = SessionOps{};
  Push(session, DeleteSessionOp{});
}

void StoreWriteQueue::DeleteIdleBefore(int64_t cutoff_ms) {
  // Applied after every session's ops of the batch, so only the largest cutoff matters.
  batch_.delete_idle_before = std::max(batch_.delete_idle_before.value_or(cutoff_ms), cutoff_ms);
}

void StoreWriteQueue::Load(std::string session_id,
                           std::function<void(std::optional<SessionSnapshot>)> done) {
  batch_.loads.push_back(PendingLoad{std::move(session_id), std::move(done)});
}

StoreWriteBatch StoreWriteQueue::Take() {
  StoreWriteBatch taken = std::move(batch_);
  batch_ = StoreWriteBatch{};
  in_flight_bytes_ += pending_bytes_;
  pending_bytes_ = 0;
  return taken;
}

}  // namespace streamgate::gateway
