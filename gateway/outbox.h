#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace streamgate::gateway {

// The server -> client text frames of one session: those waiting to be written, oldest
// first, plus at most one being written. It owns the session's `seq`: a frame takes the next
// one when it is queued, so seqs are 1, 2, 3, ... in the order the client receives them.
//
// Reply text waiting behind a write is merged: a chunk pushed while the last queued frame is
// a chunk not yet being written is appended to that chunk instead of becoming a frame. A
// slow client gets the same text in fewer frames, and a merge costs one string append
// because chunks are kept as raw text and encoded only when they start writing. A merged
// chunk takes no seq of its own, so seqs stay consecutive. Every other frame is a barrier:
// text is never merged across it.
//
// Memory: an idle connection must cost no heap, so nothing is allocated before the first
// push and the queue's storage is freed when it drains after a frame that is not a chunk.
// Every reply ends with such a frame (stream_end or error), so between replies the outbox
// holds no heap. While a reply streams, the (small) storage is kept across drains: deltas
// usually arrive slower than they are written, and freeing on every drain would cost one
// allocation per frame instead of one per reply.
//
// Not thread-safe: the owning Session touches it only on its strand.
class Outbox {
 public:
  // A queued chunk's bytes() share before encoding: its text plus this plus the session id.
  // It covers the JSON around the text with room for a 20-digit seq; escapes in the text are
  // not counted until the chunk is encoded.
  static constexpr size_t kChunkOverheadBytes = 64;
  // Merging stops at this much text, so a slow client never gets one huge frame (and the
  // encode of a frame stays short). A single larger delta is still sent whole.
  static constexpr size_t kMaxMergedChunkBytes = 16 * 1024;

  // Frames are encoded with `session_id`; it is viewed, not copied, so the caller keeps it
  // alive for the outbox's lifetime (the Session owns both).
  explicit Outbox(std::string_view session_id) : session_id_(session_id) {}
  Outbox(const Outbox&) = delete;
  Outbox& operator=(const Outbox&) = delete;

  // Queues the frame `encode(seq)` returns, where seq is the next one:
  //   outbox.Push([&](uint64_t seq) { return EncodeStreamEnd(id, seq, ...); });
  // Taking an encoder rather than a frame keeps every seq assigned here, in queue order.
  template <class Encode>
  void Push(Encode&& encode) {
    QueueFrame(std::forward<Encode>(encode)(seq_ + 1));
  }
  // Queues reply text as a stream_chunk: merged into the last queued frame when that is a
  // chunk with room left, else a new chunk with the next seq. Taking the string by value
  // lets the caller move the delta in, so a new chunk costs no copy.
  void PushChunk(std::string text);

  // Whether a frame is waiting that is not being written.
  bool has_queued() const { return head_ < queued_.size(); }
  bool writing() const { return writing_; }

  // Takes the oldest queued frame for writing (encoding it if it is a chunk) and returns it.
  // The reference stays valid, and the frame is no longer merged into, until FinishWrite().
  // Precondition: has_queued() && !writing().
  const std::string& StartWrite();
  // The write started by StartWrite() is over (done or failed); frees its frame.
  void FinishWrite();

  // Drops every queued frame, for a connection that failed. The frame being written (if any)
  // stays until FinishWrite(); the seqs of the dropped frames are not reused.
  void Clear();

  // Bytes queued plus being written, which the session bounds for backpressure. Encoded
  // frames count their size; a chunk counts an estimate (see kChunkOverheadBytes) until it
  // is encoded, and its exact size from then on. Returns to 0 when everything is written.
  size_t bytes() const { return bytes_; }
  // The seq of the most recently queued frame; 0 before the first.
  uint64_t last_seq() const { return seq_; }
  // Entries the queue has room for without allocating (for tests of the memory behaviour).
  size_t capacity() const { return queued_.capacity(); }

 private:
  struct Entry {
    std::string data;        // the encoded frame, or a chunk's raw text when chunk_seq != 0
    uint64_t chunk_seq = 0;  // seqs start at 1, so 0 means "encoded"
  };

  void QueueFrame(std::string frame);
  size_t ChunkEstimate(size_t text_size) const {
    return text_size + session_id_.size() + kChunkOverheadBytes;
  }
  void ReleaseQueue();

  std::string_view session_id_;
  // queued_[head_..] wait to be written; the entries before head_ are spent and are dropped
  // when the queue empties or they make up half of it (amortized O(1) per frame).
  std::vector<Entry> queued_;
  size_t head_ = 0;
  std::string in_flight_;  // valid while writing_
  size_t bytes_ = 0;
  uint64_t seq_ = 0;
  bool writing_ = false;
  bool in_flight_is_chunk_ = false;
};

}  // namespace streamgate::gateway
