#include "gateway/store/queued_session_store.h"

#include <pthread.h>

#include <algorithm>
#include <chrono>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/log.h"

namespace streamgate::gateway {
namespace {

constexpr absl::Duration kShutdownFlushTimeout = absl::Seconds(5);

absl::Status CheckOptions(const QueuedSessionStore::Options& options) {
  auto positive = [](absl::Duration duration) { return duration > absl::ZeroDuration(); };
  if (!positive(options.flush_interval)) {
    return absl::InvalidArgumentError("session store: the flush interval must be positive");
  }
  if (!positive(options.session_ttl)) {
    return absl::InvalidArgumentError("session store: the session TTL must be positive");
  }
  if (!positive(options.expiry_interval)) {
    return absl::InvalidArgumentError("session store: the expiry interval must be positive");
  }
  if (options.max_queued_bytes == 0) {
    return absl::InvalidArgumentError("session store: the queue bound must be positive");
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<QueuedSessionStore>> QueuedSessionStore::OpenSqlite(
    Options options) {
  if (absl::Status status = CheckOptions(options); !status.ok()) return status;
  absl::StatusOr<std::unique_ptr<SessionDatabase>> database = SessionDatabase::Open(options.path);
  if (!database.ok()) return database.status();
  common::Logger("store")->info("session store open path={} schema_version={}", options.path,
                                SessionDatabase::kSchemaVersion);
  return std::unique_ptr<QueuedSessionStore>(
      new QueuedSessionStore(std::move(options), *std::move(database)));
}

absl::StatusOr<std::unique_ptr<QueuedSessionStore>> QueuedSessionStore::Open(
    Options options, std::unique_ptr<StoreBackend> backend) {
  if (absl::Status status = CheckOptions(options); !status.ok()) return status;
  return std::unique_ptr<QueuedSessionStore>(
      new QueuedSessionStore(std::move(options), std::move(backend)));
}

QueuedSessionStore::QueuedSessionStore(Options options, std::unique_ptr<StoreBackend> database)
    : options_(std::move(options)),
      database_(std::move(database)),
      queue_(options_.max_queued_bytes),
      thread_([this] { Run(); }) {}

QueuedSessionStore::~QueuedSessionStore() {
  absl::Status flushed = Flush(kShutdownFlushTimeout);
  if (!flushed.ok()) {
    common::Logger("store")->warn("session store shutdown flush failed error=\"{}\"",
                                  flushed.message());
  }
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
    abandoned_ = absl::IsDeadlineExceeded(flushed);
  }
  thread_.join();
}

void QueuedSessionStore::PutSession(const StoredSession& session) {
  absl::MutexLock lock(&mu_);
  if (!stopping_) queue_.PutSession(session);
}

void QueuedSessionStore::PutConversation(const StoredConversation& conversation) {
  absl::MutexLock lock(&mu_);
  if (!stopping_) queue_.PutConversation(conversation);
}

void QueuedSessionStore::DeleteConversation(std::string_view session_id,
                                            std::string_view conversation_id) {
  absl::MutexLock lock(&mu_);
  if (!stopping_) queue_.DeleteConversation(session_id, conversation_id);
}

void QueuedSessionStore::AppendFrames(std::string_view session_id,
                                      std::vector<StoredFrame> frames) {
  absl::MutexLock lock(&mu_);
  if (!stopping_) queue_.AppendFrames(session_id, std::move(frames));
}

void QueuedSessionStore::DropFramesBelow(std::string_view session_id, uint64_t seq) {
  absl::MutexLock lock(&mu_);
  if (!stopping_) queue_.DropFramesBelow(session_id, seq);
}

void QueuedSessionStore::DeleteSession(std::string_view session_id) {
  absl::MutexLock lock(&mu_);
  if (!stopping_) queue_.DeleteSession(session_id);
}

void QueuedSessionStore::DeleteIdleBefore(int64_t cutoff_ms) {
  absl::MutexLock lock(&mu_);
  if (!stopping_) queue_.DeleteIdleBefore(cutoff_ms);
}

void QueuedSessionStore::Load(std::string session_id,
                              std::function<void(std::optional<SessionSnapshot>)> done) {
  {
    absl::MutexLock lock(&mu_);
    if (!stopping_) {
      queue_.Load(std::move(session_id), std::move(done));
      wake_ = true;  // a resume is waiting for this; do not make it wait for the timer
      return;
    }
  }
  done(std::nullopt);
}

bool QueuedSessionStore::Committed(FlushWait* wait) {
  return wait->store->committed_batches_ >= wait->batch;
}

absl::Status QueuedSessionStore::Flush(absl::Duration timeout) {
  if (std::this_thread::get_id() == thread_.get_id()) {
    return absl::FailedPreconditionError(
        "session store: Flush called on the store's own thread (from a Load callback)");
  }
  absl::MutexLock lock(&mu_);
  // Everything queued so far goes into the next batch the thread takes; the one it may be
  // committing now is older.
  FlushWait wait{this, taken_batches_ + 1};
  const uint64_t uncommitted_from = committed_batches_ + 1;
  wake_ = true;
  if (!mu_.AwaitWithTimeout(absl::Condition(&Committed, &wait), timeout)) {
    return absl::DeadlineExceededError(
        absl::StrCat("session store ", database_->where(), ": flush did not finish within ",
                     absl::FormatDuration(timeout), " (the disk is slow or stuck)"));
  }
  if (last_failed_batch_ >= uncommitted_from) return last_error_;
  return absl::OkStatus();
}

SessionStore::Stats QueuedSessionStore::stats() const {
  absl::MutexLock lock(&mu_);
  return Stats{.queued_bytes = queue_.queued_bytes(),
               .dropped_frames = queue_.dropped_frames(),
               .commits = commits_};
}

bool QueuedSessionStore::ShouldCycle() const {
  return wake_ || stopping_ || queue_.pending_bytes() > options_.max_queued_bytes / 2;
}

void QueuedSessionStore::Run() {
  // Named for `top -H` and per-thread CPU accounting (/proc/<pid>/task/<tid>/comm).
  pthread_setname_np(pthread_self(), "sg-store");
  absl::Time now = absl::Now();
  ThreadState state;
  state.next_flush = now + options_.flush_interval;
  state.next_expiry = now + options_.expiry_interval;
  while (Cycle(state)) {
  }
  // Only after an abandoned shutdown can Loads be left: answer them, so that no caller
  // waits forever.
  std::vector<PendingLoad> left;
  {
    absl::MutexLock lock(&mu_);
    left = queue_.Take().loads;
    queue_.FinishBatch();
  }
  AnswerLoads(left, /*abandoned=*/true);
}

bool QueuedSessionStore::Cycle(ThreadState& state) {
  StoreWriteBatch batch;
  uint64_t batch_id = 0;
  uint64_t dropped_frames = 0;
  bool abandoned = false;
  {
    absl::MutexLock lock(&mu_);
    mu_.AwaitWithDeadline(absl::Condition(this, &QueuedSessionStore::ShouldCycle),
                          std::min(state.next_flush, state.next_expiry));
    abandoned = abandoned_;
    batch = queue_.Take();
    batch_id = ++taken_batches_;
    wake_ = false;
    dropped_frames = queue_.dropped_frames();
  }

  absl::Time now = absl::Now();
  state.next_flush = now + options_.flush_interval;
  if (now >= state.next_expiry) {
    int64_t cutoff = absl::ToUnixMillis(now - options_.session_ttl);
    batch.delete_idle_before = std::max(batch.delete_idle_before.value_or(cutoff), cutoff);
    state.next_expiry = now + options_.expiry_interval;
  }
  absl::Status status;
  bool committed = false;
  if (!abandoned && batch.has_writes()) {
    auto started = std::chrono::steady_clock::now();
    status = database_->Commit(batch);
    committed = status.ok();
    if (options_.commit_seconds != nullptr) {
      options_.commit_seconds->ObserveDuration(std::chrono::steady_clock::now() - started);
    }
    if (committed && database_->expired_sessions() > 0) {
      common::Logger("store")->info("session store expired sessions={} ttl_s={}",
                                    database_->expired_sessions(),
                                    absl::ToInt64Seconds(options_.session_ttl));
    }
  }
  batch.sessions.clear();  // free the memory before the queue stops counting it

  uint64_t suppressed = 0;
  if (!status.ok() && state.commit_errors.Admit(common::LogThrottle::Clock::now(), &suppressed)) {
    common::Logger("store")->error("session store commit failed error=\"{}\" repeated={}",
                                   status.message(), suppressed);
  }
  if (dropped_frames > state.dropped_logged &&
      state.drops.Admit(common::LogThrottle::Clock::now(), &suppressed)) {
    common::Logger("store")->warn(
        "session store queue full: frames dropped dropped={} total={} limit_bytes={}",
        dropped_frames - state.dropped_logged, dropped_frames, options_.max_queued_bytes);
    state.dropped_logged = dropped_frames;
  }
  AnswerLoads(batch.loads, abandoned);

  absl::MutexLock lock(&mu_);
  queue_.FinishBatch();
  committed_batches_ = batch_id;
  if (committed) ++commits_;
  if (!status.ok()) {
    last_failed_batch_ = batch_id;
    last_error_ = status;
  }
  return !abandoned_ && !(stopping_ && queue_.empty());
}

void QueuedSessionStore::AnswerLoads(std::vector<PendingLoad>& loads, bool abandoned) {
  for (PendingLoad& load : loads) {
    std::optional<SessionSnapshot> snapshot;
    if (!abandoned) {
      absl::StatusOr<std::optional<SessionSnapshot>> loaded = database_->Load(load.session_id);
      if (loaded.ok()) {
        snapshot = *std::move(loaded);
      } else {
        common::Logger("store")->error("session store load failed session={} error=\"{}\"",
                                       load.session_id, loaded.status().message());
      }
    }
    load.done(std::move(snapshot));
  }
}

}  // namespace streamgate::gateway
