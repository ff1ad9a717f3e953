#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gateway/store/frame_bound.h"
#include "gateway/store/session_store.h"
#include "gateway/store/sqlite_statement.h"
#include "gateway/store/store_backend.h"
#include "gateway/store/store_write_queue.h"

namespace streamgate::gateway {

struct FrameRun;

// One SQLite connection to the session store's file: the schema, the prepared statements
// (prepared once, reused for every group), and the SQL of every write. Commit applies a
// StoreWriteBatch as one transaction; Load reads one session.
//
// Owns the connection and its statements. Created by QueuedSessionStore::Open on the
// caller's thread, then used only by the store's thread: one thread at a time, so the
// connection is opened without SQLite's own mutex.
class SessionDatabase final : public StoreBackend {
 public:
  static constexpr int64_t kSchemaVersion = 2;

  // Creates the parent directory if missing, opens or creates the file, turns on WAL
  // (synchronous=NORMAL: a commit is durable against a process crash at once, against a
  // power cut after the next checkpoint) and checks or creates the schema. Every error
  // names the path and says what is wrong with it, ready to print before exiting.
  static absl::StatusOr<std::unique_ptr<SessionDatabase>> Open(const std::string& path);
  ~SessionDatabase() override;
  SessionDatabase(const SessionDatabase&) = delete;
  SessionDatabase& operator=(const SessionDatabase&) = delete;

  // Applies every write of `batch` (not its loads), sessions first, then the idle
  // deletion, in one transaction. On error nothing of it is applied.
  absl::Status Commit(const StoreWriteBatch& batch) override;
  // How many sessions the last successful Commit's idle deletion removed.
  uint64_t expired_sessions() const override { return expired_sessions_; }
  // The committed session, or nullopt when it has no row.
  absl::StatusOr<std::optional<SessionSnapshot>> Load(const std::string& session_id) override;

  const std::string& path() const { return path_; }
  const std::string& where() const override { return path_; }

 private:
  // A loss noted for a session without a row yet; merged into the row when it is put.
  // Kept in memory only: a session never put before a restart cannot be resumed anyway.
  struct OrphanLoss {
    ReplayLoss loss;
    int64_t noted_at_ms = 0;  // Unix time; DeleteIdleBefore forgets it after the cutoff
  };

  SessionDatabase(std::string path, sqlite3* db) : path_(std::move(path)), db_(db) {}
  absl::Status Configure();
  absl::Status CheckOrCreateSchema();  // session_schema.cc, as MigrateToV2
  absl::Status PrepareStatements();
  // Version 1 to 2: the frames table's rows become runs (frame_runs.h). In the schema
  // check's transaction.
  absl::Status MigrateToV2();
  absl::Status InsertRun(SqliteStatement& statement, const std::string& id, const FrameRun& run);
  static constexpr const char* kInsertFrameRun =
      "INSERT OR REPLACE INTO frame_runs (session_id, first_seq, last_seq, frames) "
      "VALUES (?1, ?2, ?3, ?4)";
  absl::Status Prepare(const char* sql, SqliteStatement* statement);

  absl::Status Apply(const std::string& id, const PutSessionOp& op);
  absl::Status Apply(const std::string& id, const PutConversationOp& op);
  absl::Status Apply(const std::string& id, const DeleteConversationOp& op);
  absl::Status Apply(const std::string& id, const AppendFramesOp& op);
  absl::Status Apply(const std::string& id, const DropFramesBelowOp& op);
  absl::Status Apply(const std::string& id, const NoteLossOp& op);
  absl::Status Apply(const std::string& id, const DeleteSessionOp& op);
  absl::Status DeleteIdleBefore(int64_t cutoff_ms);
  // The session row's loss, or nullopt when it has no row.
  absl::StatusOr<std::optional<ReplayLoss>> ReadLoss(const std::string& id);
  absl::Status WriteLoss(const std::string& id, const ReplayLoss& loss);

  absl::StatusOr<std::optional<SessionSnapshot>> LoadInTransaction(const std::string& id);

  // Steps a statement that returns no rows and resets it for its next use.
  absl::Status Run(SqliteStatement& statement);
  // A one-off statement; errors say `what` (the SQL itself when empty).
  absl::Status Exec(const char* sql, std::string_view what = {});
  // The first column of every row of a one-off query.
  absl::StatusOr<std::vector<std::string>> QueryColumn(const char* sql);
  // "session store <path>: <what>: <SQLite's message>", with a code that fits `rc`.
  absl::Status Error(int rc, std::string_view what) const;
  // "session store <path>: <what>" with `code`.
  absl::Status Refuse(absl::StatusCode code, std::string_view what) const;

  const std::string path_;
  sqlite3* const db_;
  uint64_t expired_sessions_ = 0;  // by the last Commit's DeleteIdleBefore
  SqliteStatement begin_, commit_, rollback_;
  SqliteStatement upsert_session_, select_loss_, update_loss_;
  SqliteStatement upsert_conversation_, delete_conversation_;
  SqliteStatement insert_run_, delete_runs_below_, select_straddling_run_, delete_run_;
  SqliteStatement delete_session_frames_, delete_session_conversations_, delete_session_row_;
  SqliteStatement delete_idle_frames_, delete_idle_conversations_, delete_idle_sessions_;
  SqliteStatement select_session_, select_conversations_, select_frames_;
  absl::flat_hash_map<std::string, OrphanLoss> orphan_losses_;
};

}  // namespace streamgate::gateway
