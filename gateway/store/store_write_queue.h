#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <list>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "gateway/store/frame_bound.h"
#include "gateway/store/session_store.h"

namespace streamgate::gateway {

// One queued write of a session; the session id is the key it is queued under.
struct PutSessionOp {
  StoredSession session;
};
struct PutConversationOp {
  StoredConversation conversation;
};
struct DeleteConversationOp {
  std::string conversation_id;
};
struct AppendFramesOp {
  std::vector<StoredFrame> frames;
};
struct DropFramesBelowOp {
  uint64_t seq = 0;
};
// Frames were dropped from a full queue: merge into the session's replay_lost_from.
struct NoteLossOp {
  ReplayLoss loss;
};
struct DeleteSessionOp {};
using StoreOp = std::variant<PutSessionOp, PutConversationOp, DeleteConversationOp, AppendFramesOp,
                             DropFramesBelowOp, NoteLossOp, DeleteSessionOp>;

// The queued writes of one session, in the order they take effect, plus where the writes
// that coalesce sit in that list. A list, because coalescing erases from the middle and
// keeps iterators to the others.
struct SessionOps {
  std::list<StoreOp> ops;
  std::optional<std::list<StoreOp>::iterator> put_session;
  absl::flat_hash_map<std::string, std::list<StoreOp>::iterator> conversation_writes;
  std::optional<std::list<StoreOp>::iterator> drop_below;
  std::optional<std::list<StoreOp>::iterator> note_loss;
};

struct PendingLoad {
  std::string session_id;
  std::function<void(std::optional<SessionSnapshot>)> done;
};

// Everything the store's thread takes from the queue at once and commits as one group.
struct StoreWriteBatch {
  absl::flat_hash_map<std::string, SessionOps> sessions;
  // Applied after every session's ops: a session touched in the same group is judged by
  // its newest last_seen_ms, never deleted for a row the group is about to refresh.
  std::optional<int64_t> delete_idle_before;
  // Answered after the group is committed, so each sees every write queued before it.
  std::vector<PendingLoad> loads;

  bool has_writes() const { return !sessions.empty() || delete_idle_before.has_value(); }
};

// The SQLite store's queue of writes not yet committed: bounded, and coalescing so that
// what it holds besides frames is bounded by the live state.
//  - PutSession / PutConversation / DeleteConversation replace a queued write of the same
//    key in place: the latest value wins, at the place of the first. Nothing between them
//    reads that key, so the result is the same as applying both.
//  - DropFramesBelow replaces a queued one of the session and moves to the end (with the
//    larger seq), since frames appended in between must still be dropped.
//  - AppendFrames extends a queued AppendFrames that is last in the session's list. Frames
//    that would take queued_bytes() past the bound are dropped and counted; the loss is
//    queued as one NoteLossOp per session (merged in place: its effect commutes with the
//    ops around it, and DropFramesBelow can only clear it more conservatively).
//  - DeleteSession discards every queued write of the session first.
// queued_bytes() counts what is queued plus what the thread took and has not committed.
//
// Not thread-safe: QueuedSessionStore guards it with its mutex (never held for disk I/O).
class StoreWriteQueue {
 public:
  explicit StoreWriteQueue(uint64_t max_bytes) : max_bytes_(max_bytes) {}

  void PutSession(const StoredSession& session);
  void PutConversation(const StoredConversation& conversation);
  void DeleteConversation(std::string_view session_id, std::string_view conversation_id);
  // Returns how many frames were dropped.
  size_t AppendFrames(std::string_view session_id, std::vector<StoredFrame> frames);
  void DropFramesBelow(std::string_view session_id, uint64_t seq);
  void DeleteSession(std::string_view session_id);
  void DeleteIdleBefore(int64_t cutoff_ms);
  void Load(std::string session_id, std::function<void(std::optional<SessionSnapshot>)> done);

  // Moves everything queued into a batch; its bytes count as in flight until
  // FinishBatch().
  StoreWriteBatch Take();
  // The batch taken last is committed (or failed): its memory is free.
  void FinishBatch() { in_flight_bytes_ = 0; }

  bool empty() const { return !batch_.has_writes() && batch_.loads.empty(); }
  bool has_loads() const { return !batch_.loads.empty(); }
  uint64_t pending_bytes() const { return pending_bytes_; }
  uint64_t queued_bytes() const { return pending_bytes_ + in_flight_bytes_; }
  uint64_t dropped_frames() const { return dropped_frames_; }

 private:
  SessionOps& SessionOf(std::string_view session_id);
  std::list<StoreOp>::iterator Push(SessionOps& session, StoreOp op);
  void Replace(std::list<StoreOp>::iterator at, StoreOp op);
  void Erase(SessionOps& session, std::list<StoreOp>::iterator at);

  const uint64_t max_bytes_;
  StoreWriteBatch batch_;  // what Take() hands out next
  uint64_t pending_bytes_ = 0;
  uint64_t in_flight_bytes_ = 0;
  uint64_t dropped_frames_ = 0;
};

}  // namespace streamgate::gateway
