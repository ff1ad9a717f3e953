#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "gateway/store/frame_bound.h"
#include "gateway/store/session_store.h"

namespace streamgate::gateway {

// A SessionStore that keeps everything in process memory, for tests and benchmarks; nothing
// survives the process. Every operation is applied at once under one mutex (no thread of
// its own): Load calls `done` before it returns, on the caller's thread, and Flush returns
// OK at once.
//
// Otherwise it behaves as the SQLite store does, frame bound included, so tests of the
// bound can use it: here the "queue" is every frame held, so frames beyond
// `max_queued_bytes` held are dropped, counted in stats().dropped_frames and recorded in
// the session's replay_lost_from. stats().queued_bytes is the frame bytes held; commits
// stays 0.
//
// Owned by main (or a test); thread-safe.
class MemorySessionStore final : public SessionStore {
 public:
  struct Options {
    size_t max_queued_bytes = size_t{64} << 20;
  };
  MemorySessionStore();
  explicit MemorySessionStore(Options options);

  void PutSession(const StoredSession& session) override;
  void PutConversation(const StoredConversation& conversation) override;
  void DeleteConversation(std::string_view session_id, std::string_view conversation_id) override;
  void AppendFrames(std::string_view session_id, std::vector<StoredFrame> frames) override;
  void DropFramesBelow(std::string_view session_id, uint64_t seq) override;
  void DeleteSession(std::string_view session_id) override;
  void Load(std::string session_id,
            std::function<void(std::optional<SessionSnapshot>)> done) override;
  void DeleteIdleBefore(int64_t cutoff_ms) override;
  absl::Status Flush(absl::Duration timeout) override;
  Stats stats() const override;

 private:
  // Everything held about one session id. The row may be missing while frames, a
  // conversation or a loss arrive before the first PutSession; Load then answers nullopt.
  struct Entry {
    std::optional<StoredSession> session;  // replay_lost_from is kept in `loss` instead
    std::map<std::string, StoredConversation> conversations;
    std::map<uint64_t, StoredFrame> frames;
    ReplayLoss loss;
    // Wall time a loss was first noted while the row was missing; DeleteIdleBefore forgets
    // such a loss once this is older than its cutoff, so ids never put cannot pile up.
    int64_t orphan_loss_noted_ms = 0;
  };
  using Entries = absl::flat_hash_map<std::string, Entry>;

  Entry* FindLocked(std::string_view session_id) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  Entry& FindOrAddLocked(std::string_view session_id) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void EraseLocked(Entries::iterator it) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Frees the bytes of the frames in [begin, end) and erases them.
  void EraseFramesLocked(Entry& entry, std::map<uint64_t, StoredFrame>::iterator begin,
                         std::map<uint64_t, StoredFrame>::iterator end)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const Options options_;
  mutable absl::Mutex mu_;
  Entries entries_ ABSL_GUARDED_BY(mu_);
  uint64_t frame_bytes_ ABSL_GUARDED_BY(mu_) = 0;  // FrameBytes() of every frame in entries_
  uint64_t dropped_frames_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace streamgate::gateway
