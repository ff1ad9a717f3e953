#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/log_throttle.h"
#include "common/metrics/metric.h"
#include "gateway/store/session_database.h"
#include "gateway/store/session_store.h"
#include "gateway/store/store_backend.h"
#include "gateway/store/store_write_queue.h"

namespace streamgate::gateway {

// A SessionStore whose writes are queued and committed in groups by its own thread, on a
// StoreBackend: one SQLite file (WAL; the default) or one Redis (several gateways). Writers
// on any thread only move an operation into the StoreWriteQueue under mu_, which is never
// held across the backend's I/O. The store's thread takes the whole queue every
// flush_interval (sooner when it passes half of max_queued_bytes, or when a Flush or Load
// asks), commits it as one group, then answers the Loads that were queued with it; about
// every expiry_interval it also deletes the sessions idle for longer than session_ttl.
//
// Owns the thread, the queue and the backend (used only by the thread once open). Owned by
// main; outlives every caller. The destructor flushes (at most 5 s, then what is still
// queued is lost) and joins the thread.
class QueuedSessionStore final : public SessionStore {
 public:
  struct Options {
    std::string path;  // OpenSqlite's file
    absl::Duration flush_interval = absl::Milliseconds(100);
    size_t max_queued_bytes = size_t{64} << 20;
    absl::Duration session_ttl = absl::Hours(24);
    // How often the store itself runs DeleteIdleBefore(now - session_ttl); the first run
    // is one interval after Open.
    absl::Duration expiry_interval = absl::Minutes(1);
    // Observed by the store's thread for every group committed (null: not measured).
    common::metrics::Histogram* commit_seconds = nullptr;
  };

  // Opens or creates the file (see SessionDatabase::Open) and starts the thread. Every
  // error names the path; the gateway prints it and exits with code 2.
  static absl::StatusOr<std::unique_ptr<QueuedSessionStore>> OpenSqlite(Options options);
  // On any backend (the Redis one); `options.path` is not used.
  static absl::StatusOr<std::unique_ptr<QueuedSessionStore>> Open(
      Options options, std::unique_ptr<StoreBackend> backend);
  ~QueuedSessionStore() override;
  QueuedSessionStore(const QueuedSessionStore&) = delete;
  QueuedSessionStore& operator=(const QueuedSessionStore&) = delete;

  void PutSession(const StoredSession& session) override;
  void PutConversation(const StoredConversation& conversation) override;
  void DeleteConversation(std::string_view session_id, std::string_view conversation_id) override;
  void AppendFrames(std::string_view session_id, std::vector<StoredFrame> frames) override;
  void DropFramesBelow(std::string_view session_id, uint64_t seq) override;
  void DeleteSession(std::string_view session_id) override;
  // `done` runs on the store's thread after the group holding everything queued before
  // this call is committed; it must not call Flush (that returns FailedPrecondition).
  void Load(std::string session_id,
            std::function<void(std::optional<SessionSnapshot>)> done) override;
  void DeleteIdleBefore(int64_t cutoff_ms) override;
  // Not OK when `timeout` passed first (DeadlineExceeded), or when a group that was still
  // uncommitted at the call failed to commit (its error; the group is lost).
  absl::Status Flush(absl::Duration timeout) override;
  Stats stats() const override;

 private:
  // What only the store's thread uses between cycles.
  struct ThreadState {
    absl::Time next_flush;
    absl::Time next_expiry;
    common::LogThrottle commit_errors;
    common::LogThrottle drops;
    uint64_t dropped_logged = 0;
  };
  struct FlushWait {
    const QueuedSessionStore* store;
    uint64_t batch;
  };

  QueuedSessionStore(Options options, std::unique_ptr<StoreBackend> backend);
  void Run();
  // Waits for a reason, then commits one batch taken from the queue and answers its
  // loads; false when the thread is to end.
  bool Cycle(ThreadState& state);
  void AnswerLoads(std::vector<PendingLoad>& loads, bool abandoned);
  bool ShouldCycle() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  static bool Committed(FlushWait* wait) ABSL_NO_THREAD_SAFETY_ANALYSIS;

  const Options options_;
  const std::unique_ptr<StoreBackend> database_;  // store thread only

  mutable absl::Mutex mu_;
  StoreWriteQueue queue_ ABSL_GUARDED_BY(mu_);
  // Batches are numbered as the thread takes them: a Flush waits for the next one taken.
  uint64_t taken_batches_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t committed_batches_ ABSL_GUARDED_BY(mu_) = 0;  // committed or failed
  uint64_t last_failed_batch_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Status last_error_ ABSL_GUARDED_BY(mu_);
  uint64_t commits_ ABSL_GUARDED_BY(mu_) = 0;
  bool wake_ ABSL_GUARDED_BY(mu_) = false;       // a Flush or Load is waiting
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;   // destructor: commit what is left, end
  bool abandoned_ ABSL_GUARDED_BY(mu_) = false;  // destructor gave up waiting: end now

  std::thread thread_;  // last: starts once everything above is initialised
};

}  // namespace streamgate::gateway
