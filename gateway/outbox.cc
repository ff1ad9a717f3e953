#include "gateway/outbox.h"

#include <cstddef>

#include "common/fatal.h"
#include "gateway/client_protocol.h"

namespace streamgate::gateway {
namespace {

// Below this many spent entries the queue is not compacted: moving a handful of strings
// costs more than the slots they hold.
constexpr size_t kMinSpentToCompact = 16;

// Frees the string's buffer. Assigning an empty string does not: libstdc++'s move assignment
// from a short string keeps the destination's allocation.
void Free(std::string& s) { std::string().swap(s); }

}  // namespace

void Outbox::QueueFrame(std::string frame) {
  ++seq_;
  bytes_ += frame.size();
  queued_.push_back(Entry{std::move(frame), 0});
}

void Outbox::PushChunk(std::string text) {
  if (has_queued()) {
    Entry& last = queued_.back();
    if (last.chunk_seq != 0 && last.data.size() + text.size() <= kMaxMergedChunkBytes) {
      last.data.append(text);
      bytes_ += text.size();
      return;
    }
  }
  ++seq_;
  bytes_ += ChunkEstimate(text.size());
  queued_.push_back(Entry{std::move(text), seq_});
}

const std::string& Outbox::StartWrite() {
  if (writing_) common::Fatal("outbox", "StartWrite with a write in flight");
  if (!has_queued()) common::Fatal("outbox", "StartWrite with nothing queued");
  Entry& entry = queued_[head_++];
  in_flight_is_chunk_ = entry.chunk_seq != 0;
  if (in_flight_is_chunk_) {
    bytes_ -= ChunkEstimate(entry.data.size());
    in_flight_ = EncodeStreamChunk(session_id_, entry.chunk_seq, entry.data);
    bytes_ += in_flight_.size();
  } else {
    in_flight_ = std::move(entry.data);
  }
  Free(entry.data);
  writing_ = true;

  if (head_ == queued_.size()) {
    queued_.clear();  // keeps the capacity; FinishWrite decides whether to free it
    head_ = 0;
  } else if (head_ >= kMinSpentToCompact && head_ * 2 >= queued_.size()) {
    // A queue that never empties (a client that only just keeps up) must not grow forever.
    queued_.erase(queued_.begin(), queued_.begin() + static_cast<std::ptrdiff_t>(head_));
    head_ = 0;
  }
  return in_flight_;
}

void Outbox::FinishWrite() {
  if (!writing_) common::Fatal("outbox", "FinishWrite without a write in flight");
  bytes_ -= in_flight_.size();
  Free(in_flight_);
  writing_ = false;
  // Mid-reply (the last frame was a chunk) the storage is reused for the next delta; after
  // any other frame the connection is likely idle, and idle holds no heap.
  if (!has_queued() && !in_flight_is_chunk_) ReleaseQueue();
}

void Outbox::Clear() {
  ReleaseQueue();
  bytes_ = writing_ ? in_flight_.size() : 0;
}

void Outbox::ReleaseQueue() {
  std::vector<Entry>().swap(queued_);
  head_ = 0;
}

}  // namespace streamgate::gateway
