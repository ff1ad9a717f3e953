#include "gateway/store/memory_session_store.h"

#include <utility>

#include "absl/strings/string_view.h"
#include "absl/time/clock.h"

namespace streamgate::gateway {
namespace {

// Debian's Abseil has its own string_view; the map's heterogeneous lookup takes that one.
absl::string_view Key(std::string_view id) { return absl::string_view(id.data(), id.size()); }

}  // namespace

MemorySessionStore::MemorySessionStore() : MemorySessionStore(Options{}) {}

MemorySessionStore::MemorySessionStore(Options options) : options_(options) {}

MemorySessionStore::Entry* MemorySessionStore::FindLocked(std::string_view session_id) {
  auto it = entries_.find(Key(session_id));
  return it == entries_.end() ? nullptr : &it->second;
}

MemorySessionStore::Entry& MemorySessionStore::FindOrAddLocked(std::string_view session_id) {
  auto it = entries_.find(Key(session_id));
  if (it == entries_.end()) it = entries_.emplace(std::string(session_id), Entry{}).first;
  return it->second;
}

void MemorySessionStore::EraseFramesLocked(Entry& entry,
                                           std::map<uint64_t, StoredFrame>::iterator begin,
                                           std::map<uint64_t, StoredFrame>::iterator end) {
  for (auto it = begin; it != end; ++it) frame_bytes_ -= FrameBytes(it->second);
  entry.frames.erase(begin, end);
}

void MemorySessionStore::EraseLocked(Entries::iterator it) {
  EraseFramesLocked(it->second, it->second.frames.begin(), it->second.frames.end());
  entries_.erase(it);
}

void MemorySessionStore::PutSession(const StoredSession& session) {
  absl::MutexLock lock(&mu_);
  Entry& entry = FindOrAddLocked(session.id);
  entry.loss.Add(LossOfPut(session));
  entry.session = session;
  entry.orphan_loss_noted_ms = 0;
}

void MemorySessionStore::PutConversation(const StoredConversation& conversation) {
  absl::MutexLock lock(&mu_);
  FindOrAddLocked(conversation.session_id).conversations[conversation.conversation_id] =
      conversation;
}

void MemorySessionStore::DeleteConversation(std::string_view session_id,
                                            std::string_view conversation_id) {
  absl::MutexLock lock(&mu_);
  Entry* entry = FindLocked(session_id);
  if (entry == nullptr) return;
  auto it = entry->conversations.find(std::string(conversation_id));
  if (it != entry->conversations.end()) entry->conversations.erase(it);
}

void MemorySessionStore::AppendFrames(std::string_view session_id,
                                      std::vector<StoredFrame> frames) {
  if (frames.empty()) return;
  absl::MutexLock lock(&mu_);
  Entry& entry = FindOrAddLocked(session_id);
  uint64_t bytes = 0;
  size_t kept = FramesThatFit(frames, frame_bytes_, options_.max_queued_bytes, &bytes);
  for (size_t i = 0; i < kept; ++i) {
    auto [it, inserted] = entry.frames.try_emplace(frames[i].seq);
    if (!inserted) frame_bytes_ -= FrameBytes(it->second);
    it->second = std::move(frames[i]);
    frame_bytes_ += FrameBytes(it->second);
  }
  if (kept == frames.size()) return;
  dropped_frames_ += frames.size() - kept;
  if (!entry.session.has_value() && !entry.loss.any()) {
    entry.orphan_loss_noted_ms = absl::ToUnixMillis(absl::Now());
  }
  entry.loss.Add(frames[kept].seq, frames.back().seq);
}

void MemorySessionStore::DropFramesBelow(std::string_view session_id, uint64_t seq) {
  absl::MutexLock lock(&mu_);
  Entry* entry = FindLocked(session_id);
  if (entry == nullptr) return;
  EraseFramesLocked(*entry, entry->frames.begin(), entry->frames.lower_bound(seq));
  entry->loss.DropBelow(seq);
}

void MemorySessionStore::DeleteSession(std::string_view session_id) {
  absl::MutexLock lock(&mu_);
  auto it = entries_.find(Key(session_id));
  if (it != entries_.end()) EraseLocked(it);
}

void MemorySessionStore::Load(std::string session_id,
                              std::function<void(std::optional<SessionSnapshot>)> done) {
  std::optional<SessionSnapshot> snapshot;
  {
    absl::MutexLock lock(&mu_);
    const Entry* entry = FindLocked(session_id);
    if (entry != nullptr && entry->session.has_value()) {
      snapshot.emplace();
      snapshot->session = *entry->session;
      snapshot->session.replay_lost_from = entry->loss.from;
      for (const auto& [id, conversation] : entry->conversations) {
        snapshot->conversations.push_back(conversation);
      }
      snapshot->replay.reserve(entry->frames.size());
      for (const auto& [seq, frame] : entry->frames) snapshot->replay.push_back(frame);
    }
  }
  // Outside the lock: `done` may call back into the store.
  done(std::move(snapshot));
}

void MemorySessionStore::DeleteIdleBefore(int64_t cutoff_ms) {
  absl::MutexLock lock(&mu_);
  for (auto it = entries_.begin(); it != entries_.end();) {
    auto next = std::next(it);
    Entry& entry = it->second;
    if (entry.session.has_value()) {
      if (entry.session->last_seen_ms < cutoff_ms) EraseLocked(it);
    } else if (entry.loss.any() && entry.orphan_loss_noted_ms < cutoff_ms) {
      entry.loss = ReplayLoss{};
      if (entry.frames.empty() && entry.conversations.empty()) EraseLocked(it);
    }
    it = next;
  }
}

absl::Status MemorySessionStore::Flush(absl::Duration) { return absl::OkStatus(); }

SessionStore::Stats MemorySessionStore::stats() const {
  absl::MutexLock lock(&mu_);
  return Stats{.queued_bytes = frame_bytes_, .dropped_frames = dropped_frames_, .commits = 0};
}

}  // namespace streamgate::gateway
