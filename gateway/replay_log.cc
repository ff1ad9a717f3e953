#include "gateway/replay_log.h"

#include <algorithm>

#include "common/fatal.h"
#include "gateway/server_frames.h"

namespace streamgate::gateway {
namespace {

// Below this many dropped entries the vector is not compacted: moving a handful of entries
// costs more than the slots they hold.
constexpr size_t kMinDroppedToCompact = 16;

void Free(std::string& s) { std::string().swap(s); }

}  // namespace

size_t ReplayLog::SizeOf(const Entry& entry) const {
  if (entry.frame) return entry.frame->size();
  if (entry.chunk_text.empty() && entry.conversation.empty()) return 0;  // a sent ephemeral
  return entry.chunk_text.size() + entry.conversation.size() + session_id_->size() +
         kChunkOverheadBytes;
}

void ReplayLog::Append(Entry entry) {
  size_t size = SizeOf(entry);
  bytes_ += size;
  pending_bytes_ += size;  // a new entry is always after the cursor
  entries_.push_back(std::move(entry));
}

bool ReplayLog::PushChunk(std::string_view conversation, std::string text) {
  if (head_ < entries_.size()) {
    Entry& last = entries_.back();
    if (!last.frame && !last.ephemeral && last.seq > handed_seq_ &&
        last.conversation == conversation &&
        last.chunk_text.size() + text.size() <= kMaxMergedChunkBytes) {
      last.chunk_text.append(text);
      bytes_ += text.size();
      pending_bytes_ += text.size();
      return true;
    }
  }
  SealTail();
  Append(Entry{++seq_, nullptr, std::move(text), std::string(conversation), false});
  return false;
}

void ReplayLog::Finalize(Entry& entry) {
  if (entry.frame || (entry.chunk_text.empty() && entry.conversation.empty())) return;
  size_t before = SizeOf(entry);
  entry.frame = std::make_shared<const std::string>(
      EncodeStreamChunk(*session_id_, entry.seq, entry.conversation, entry.chunk_text));
  Free(entry.chunk_text);
  Free(entry.conversation);
  size_t after = entry.frame->size();
  bytes_ = bytes_ - before + after;
  if (entry.seq > handed_seq_) pending_bytes_ = pending_bytes_ - before + after;
}

void ReplayLog::SealTail() {
  if (head_ < entries_.size()) Finalize(entries_.back());
}

size_t ReplayLog::FindIndex(uint64_t seq) const {
  if (head_ >= entries_.size()) return entries_.size();
  uint64_t first = entries_[head_].seq;
  if (seq < first || seq > entries_.back().seq) return entries_.size();
  return head_ + static_cast<size_t>(seq - first);
}

ReplayLog::Frame ReplayLog::TakeNext() {
  size_t index = FindIndex(handed_seq_ + 1);
  // After a rewind past sent ephemeral frames that are gone: the first one held.
  if (index >= entries_.size() && head_ < entries_.size() && entries_[head_].seq > handed_seq_) {
    index = head_;
  }
  // A cursor moved past a gap cannot happen: entries are contiguous and never dropped
  // while pending.
  if (index >= entries_.size()) common::Fatal("replay_log", "TakeNext with nothing pending");
  Entry& entry = entries_[index];
  Finalize(entry);
  handed_seq_ = entry.seq;
  size_t size = SizeOf(entry);
  pending_bytes_ -= std::min(pending_bytes_, size);
  Frame frame{entry.seq, entry.frame};
  if (entry.ephemeral && entry.frame) {
    // Sent once: keep the seq only, and at the front not even that (an idle session's log
    // is then empty again: connection_established is the frame every session has).
    bytes_ -= size;
    entry.frame.reset();
    size_t end = head_;
    while (end < entries_.size() && entries_[end].ephemeral && !entries_[end].frame &&
           entries_[end].seq <= handed_seq_) {
      ++end;
    }
    if (end > head_) DropFront(end);
  }
  return frame;
}

bool ReplayLog::RewindTo(uint64_t seq) {
  if (seq > seq_) common::Fatal("replay_log", "RewindTo beyond the last seq");
  if (seq == seq_) {
    handed_seq_ = seq;
    pending_bytes_ = 0;
    return true;
  }
  if (seq + 1 < floor_) return false;
  // Everything after `seq` becomes pending again (sent ephemeral frames before the first
  // held one are gone: a replay would skip them anyway).
  size_t from = head_ < entries_.size() && seq + 1 > entries_[head_].seq ? FindIndex(seq + 1)
                                                                         : head_;
  size_t pending = 0;
  for (size_t i = from; i < entries_.size(); ++i) {
    Entry& entry = entries_[i];
    // A frame for one connection that it never got goes to no other (a resume is another
    // connection): only its seq is kept.
    if (entry.ephemeral && entry.frame) {
      bytes_ -= entry.frame->size();
      entry.frame.reset();
    }
    pending += SizeOf(entry);
  }
  handed_seq_ = seq;
  pending_bytes_ = pending;
  return true;
}

uint64_t ReplayLog::oldest_seq() const { return std::min(floor_, seq_ + 1); }

void ReplayLog::DropFront(size_t end) {
  for (size_t i = head_; i < end; ++i) {
    bytes_ -= SizeOf(entries_[i]);
    if (!entries_[i].ephemeral) floor_ = std::max(floor_, entries_[i].seq + 1);
    entries_[i] = Entry{};
  }
  head_ = end;
  if (head_ == entries_.size()) {
    ReleaseIfEmpty();
  } else if (head_ >= kMinDroppedToCompact && head_ * 2 >= entries_.size()) {
    entries_.erase(entries_.begin(), entries_.begin() + static_cast<std::ptrdiff_t>(head_));
    head_ = 0;
  }
}

void ReplayLog::ReleaseIfEmpty() {
  if (head_ < entries_.size()) return;
  std::vector<Entry>().swap(entries_);
  head_ = 0;
}

void ReplayLog::Acknowledge(uint64_t seq) {
  // Only what was handed can be acknowledged; a client cannot release what it never got.
  uint64_t upto = std::min(seq, handed_seq_);
  size_t end = FindIndex(upto);
  if (end >= entries_.size()) {
    if (head_ < entries_.size() && upto >= entries_.back().seq) DropFront(entries_.size());
    return;
  }
  DropFront(end + 1);
}

void ReplayLog::OnReplyEnded(uint64_t first_seq, uint64_t oldest_running) {
  uint64_t keep_from = last_ended_reply_first_seq_;
  last_ended_reply_first_seq_ = first_seq;
  if (keep_from == 0) return;
  if (oldest_running != 0) keep_from = std::min(keep_from, oldest_running);
  keep_from = std::min(keep_from, handed_seq_ + 1);  // never what is still pending
  size_t end = FindIndex(keep_from);
  if (end < entries_.size()) DropFront(end);
}

void ReplayLog::EnforceBound(size_t max_bytes) {
  size_t end = head_;
  size_t bytes = bytes_;
  while (end < entries_.size() && bytes > max_bytes && entries_[end].seq <= handed_seq_) {
    bytes -= SizeOf(entries_[end]);
    ++end;
  }
  if (end > head_) DropFront(end);
}

std::vector<ReplayLog::Frame> ReplayLog::FinalFramesAfter(uint64_t after) const {
  std::vector<Frame> out;
  for (size_t i = head_; i < entries_.size(); ++i) {
    const Entry& entry = entries_[i];
    if (entry.seq <= after) continue;
    if (!entry.frame && !entry.chunk_text.empty()) break;  // the growing tail: final later
    out.push_back(Frame{entry.seq, entry.ephemeral || !entry.frame ? nullptr : entry.frame});
  }
  return out;
}

uint64_t ReplayLog::ReplayableAfter(uint64_t after) const {
  uint64_t count = 0;
  for (size_t i = head_; i < entries_.size(); ++i) {
    const Entry& entry = entries_[i];
    if (entry.seq > after && !entry.ephemeral && (entry.frame || !entry.chunk_text.empty())) {
      ++count;
    }
  }
  return count;
}

void ReplayLog::SkipTo(uint64_t seq) {
  if (seq <= seq_) return;
  DropFront(entries_.size());
  seq_ = seq;
  handed_seq_ = seq;
  pending_bytes_ = 0;
  floor_ = seq + 1;
}

void ReplayLog::Restore(uint64_t last_seq, std::vector<Frame> frames) {
  entries_.clear();
  head_ = 0;
  bytes_ = 0;
  pending_bytes_ = 0;
  seq_ = last_seq;
  handed_seq_ = last_seq;
  for (auto& frame : frames) {
    if (frame.seq > last_seq) continue;
    // Restored frames are replayable only from after the last hole on.
    if (!entries_.empty() && frame.seq != entries_.back().seq + 1) entries_.clear();
    bool ephemeral = frame.text == nullptr;
    entries_.push_back(Entry{frame.seq, std::move(frame.text), {}, {}, ephemeral});
  }
  if (!entries_.empty() && entries_.back().seq != last_seq) {
    // Frames between the last stored one and last_seq are missing: nothing after the hole
    // can be replayed, so nothing before it is of use either.
    entries_.clear();
  }
  for (const auto& entry : entries_) bytes_ += SizeOf(entry);
  floor_ = entries_.empty() ? last_seq + 1 : entries_.front().seq;
}

}  // namespace streamgate::gateway
