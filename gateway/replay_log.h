#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace streamgate::gateway {

// Every server frame of one session, with its seq, from the oldest a client could still ask
// for to the newest: what is not yet written to the attached connection (the outbound queue)
// and what was written but may be needed again after a dropped connection (the replay log).
// It owns the session's `seq`: a frame takes the next one when it is pushed, so seqs are
// 1, 2, 3, ... in the order clients receive them, across connections.
//
// The cursor (handed_seq) marks what the connection has been given to write. Frames after it
// are pending; reply text pushed while the newest frame is a pending chunk of the same
// conversation is merged into it (one frame, one seq, the same text), so a slow reader or a
// detached session gets the same text in fewer frames. A frame is final once handed or once
// anything is pushed after it; final frames are shared, so handing one to a connection on
// another loop copies a pointer, not the text. A resume moves the cursor back to the
// client's last seq: the frames after it are handed again, unchanged.
//
// Retention (handed frames only; pending ones are never dropped, their bound is the session's
// backpressure): frames up to an acknowledged seq are dropped; so is everything before the
// oldest reply that is still needed (the running ones and the last two to end, see
// OnReplyEnded); and the oldest frames go first when the log is over its byte bound.
// Ephemeral frames (those carrying a resume token, or that only concern one connection) take
// a seq but are never handed again and never persisted: once handed, only their seq is kept
// (so seqs stay contiguous), and a replay skips them.
//
// Memory: nothing is allocated before the first push, and the storage is freed whenever the
// log empties: idle sessions are the many. Not thread-safe: the owning ChatSession touches
// it only on its loop.
class ReplayLog {
 public:
  // Merging stops at this much text, so no frame becomes huge (see Outbox history).
  static constexpr size_t kMaxMergedChunkBytes = 16 * 1024;
  // A pending chunk's bytes() share before it is encoded: its text plus this plus the ids.
  static constexpr size_t kChunkOverheadBytes = 96;

  struct Frame {
    uint64_t seq = 0;
    std::shared_ptr<const std::string> text;  // null for an ephemeral frame already sent
  };

  // `session_id` is pointed to, not copied (the ChatSession owns both, and a restore
  // assigns the id after the log exists).
  explicit ReplayLog(const std::string* session_id) : session_id_(session_id) {}
  ReplayLog(const ReplayLog&) = delete;
  ReplayLog& operator=(const ReplayLog&) = delete;

  // Queues the frame `encode(seq)` returns with the next seq; returns that seq.
  template <class Encode>
  uint64_t Push(Encode&& encode, bool ephemeral = false) {
    SealTail();
    uint64_t seq = ++seq_;
    Append(Entry{seq, std::make_shared<const std::string>(std::forward<Encode>(encode)(seq)), {},
                 {}, ephemeral});
    return seq;
  }
  // Reply text for `conversation`, merged into the newest frame when that is a pending
  // chunk of the same conversation with room left (then true). Either way the text is in
  // frame last_seq().
  bool PushChunk(std::string_view conversation, std::string text);

  bool has_pending() const { return head_ < entries_.size() && entries_.back().seq > handed_seq_; }
  // The next pending frame (finalized), and the cursor moves past it. Precondition:
  // has_pending(). Ephemeral frames are returned once and dropped.
  Frame TakeNext();

  // Resume: frames after `seq` are to be handed again. False when the log no longer holds
  // seq + 1 (the client is too far behind: `gap`); true and nothing to hand when `seq` is the
  // last seq. Precondition: seq <= last_seq().
  bool RewindTo(uint64_t seq);

  // The client has processed everything up to `seq` (an `ack`, or a resume's lastSeq).
  void Acknowledge(uint64_t seq);
  // A reply whose first frame was `first_seq` ended. Frames before the first frame of the
  // reply that ended before it are no longer needed (unless a running reply is older: see
  // `oldest_running`, 0 for none).
  void OnReplyEnded(uint64_t first_seq, uint64_t oldest_running);
  // Drops the oldest handed frames until bytes() <= max_bytes (or only pending ones remain).
  void EnforceBound(size_t max_bytes);

  // The final frames with seq > `after`, for the store; an ephemeral one comes as its seq
  // with a null text (the store keeps seqs contiguous, never the token a frame carried). A
  // chunk still growing is left for later (it is final once handed or sealed).
  std::vector<Frame> FinalFramesAfter(uint64_t after) const;
  // How many frames with seq > `after` a replay would send (ephemeral ones are skipped).
  uint64_t ReplayableAfter(uint64_t after) const;
  // A restored session whose client saw more than the store kept (a crash): new frames
  // continue after `seq`, and nothing before it can be replayed.
  void SkipTo(uint64_t seq);
  // Makes the newest chunk final (a drain, a snapshot for the store).
  void SealTail();

  uint64_t last_seq() const { return seq_; }
  uint64_t handed_seq() const { return handed_seq_; }
  // The oldest seq a replay can start from (frames before it are gone), at most
  // last_seq() + 1.
  uint64_t oldest_seq() const;
  size_t bytes() const { return bytes_; }
  size_t pending_bytes() const { return pending_bytes_; }
  size_t frames() const { return entries_.size() - head_; }

  // A restored session continues after the stored seq; its frames are given back in order
  // (a null text marks an ephemeral frame's seq).
  void Restore(uint64_t last_seq, std::vector<Frame> frames);

 private:
  struct Entry {
    uint64_t seq = 0;
    std::shared_ptr<const std::string> frame;  // final form; null while a chunk grows
    std::string chunk_text;                    // a growing chunk's raw text
    std::string conversation;                  // a growing chunk's conversation
    bool ephemeral = false;
  };

  void Append(Entry entry);
  size_t SizeOf(const Entry& entry) const;
  void Finalize(Entry& entry);
  // Index (from head_) of the entry with `seq`, or entries_.size() when it is not held.
  size_t FindIndex(uint64_t seq) const;
  // Drops entries before index `end` (from head_), which must all be handed.
  void DropFront(size_t end);
  void ReleaseIfEmpty();

  const std::string* session_id_;
  // entries_[head_..] are held, ascending and contiguous in seq (an ephemeral frame that was
  // handed stays as its seq alone).
  std::vector<Entry> entries_;
  size_t head_ = 0;
  uint64_t seq_ = 0;
  uint64_t handed_seq_ = 0;
  uint64_t last_ended_reply_first_seq_ = 0;  // retention: the last reply to end
  // Every replayable frame from this seq on is held (dropping sent ephemeral frames does
  // not raise it): a resume from before it is a `gap`.
  uint64_t floor_ = 1;
  size_t bytes_ = 0;
  size_t pending_bytes_ = 0;
};

}  // namespace streamgate::gateway
