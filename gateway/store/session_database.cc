#include "gateway/store/session_database.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "common/status_util.h"
#include "gateway/store/frame_runs.h"

namespace streamgate::gateway {
namespace {

constexpr int kBusyTimeoutMs = 5000;

absl::string_view Sv(std::string_view text) { return absl::string_view(text.data(), text.size()); }

absl::Status PathError(absl::StatusCode code, const std::string& path, std::string_view what) {
  return absl::Status(code, absl::StrCat("session store ", path, ": ", Sv(what)));
}

// The directory must exist (created here if missing) and take new files: SQLite creates
// the -wal and -shm files next to the database, and without them it cannot open in WAL.
absl::Status PrepareDirectory(const std::string& path) {
  std::filesystem::path parent = std::filesystem::path(path).parent_path();
  if (parent.empty()) parent = ".";
  std::error_code ec;
  std::filesystem::create_directories(parent, ec);
  if (ec) {
    return PathError(
        absl::StatusCode::kFailedPrecondition, path,
        absl::StrCat("cannot create directory ", parent.string(), ": ", Sv(ec.message())));
  }
  if (access(parent.c_str(), W_OK | X_OK) != 0) {
    return PathError(
        absl::StatusCode::kPermissionDenied, path,
        absl::StrCat("directory ", parent.string(), " is not writable: ", std::strerror(errno)));
  }
  if (std::filesystem::is_directory(path, ec)) {
    return PathError(absl::StatusCode::kFailedPrecondition, path, "is a directory, not a file");
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<SessionDatabase>> SessionDatabase::Open(const std::string& path) {
  if (path.empty()) return absl::InvalidArgumentError("session store: the path is empty");
  SG_RETURN_IF_ERROR(PrepareDirectory(path));
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(
      path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string message = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close_v2(db);
    return PathError(StatusCodeOfSqlite(rc), path, absl::StrCat("cannot open: ", message));
  }
  std::unique_ptr<SessionDatabase> database(new SessionDatabase(path, db));
  SG_RETURN_IF_ERROR(database->Configure());
  SG_RETURN_IF_ERROR(database->CheckOrCreateSchema());
  SG_RETURN_IF_ERROR(database->PrepareStatements());
  return database;
}

SessionDatabase::~SessionDatabase() {
  // _v2: the statements are finalized after this body, when the members go.
  sqlite3_close_v2(db_);
}

absl::Status SessionDatabase::Refuse(absl::StatusCode code, std::string_view what) const {
  return PathError(code, path_, what);
}

absl::Status SessionDatabase::Error(int rc, std::string_view what) const {
  return PathError(StatusCodeOfSqlite(rc), path_,
                   absl::StrCat(Sv(what), ": ", sqlite3_errmsg(db_)));
}

absl::Status SessionDatabase::Exec(const char* sql, std::string_view what) {
  int rc = sqlite3_exec(db_, sql, nullptr, nullptr, nullptr);
  return rc == SQLITE_OK ? absl::OkStatus() : Error(rc, what.empty() ? sql : what);
}

absl::Status SessionDatabase::Prepare(const char* sql, SqliteStatement* statement) {
  int rc = SqliteStatement::Prepare(db_, sql, /*persistent=*/true, statement);
  return rc == SQLITE_OK ? absl::OkStatus() : Error(rc, absl::StrCat("cannot prepare ", sql));
}

absl::Status SessionDatabase::Run(SqliteStatement& statement) {
  int rc = statement.Step();
  // The message is read before the reset, which may replace it.
  absl::Status status = rc == SQLITE_DONE ? absl::OkStatus() : Error(rc, statement.sql());
  statement.Reset();
  return status;
}

absl::StatusOr<std::vector<std::string>> SessionDatabase::QueryColumn(const char* sql) {
  SqliteStatement statement;
  int rc = SqliteStatement::Prepare(db_, sql, /*persistent=*/false, &statement);
  if (rc != SQLITE_OK) return Error(rc, sql);
  std::vector<std::string> values;
  while ((rc = statement.Step()) == SQLITE_ROW) values.push_back(statement.ColumnBytes(0));
  if (rc != SQLITE_DONE) return Error(rc, sql);
  return values;
}

absl::Status SessionDatabase::Configure() {
  sqlite3_extended_result_codes(db_, 1);
  sqlite3_busy_timeout(db_, kBusyTimeoutMs);
  // The first statement reads the file header: this is where a file that is not a
  // database shows.
  SqliteStatement wal;
  int rc = SqliteStatement::Prepare(db_, "PRAGMA journal_mode=WAL", /*persistent=*/false, &wal);
  if (rc == SQLITE_OK) rc = wal.Step();
  if ((rc & 0xff) == SQLITE_NOTADB) {
    return PathError(absl::StatusCode::kFailedPrecondition, path_,
                     "is not a SQLite database (or is encrypted)");
  }
  if (rc != SQLITE_ROW) return Error(rc, "cannot turn on WAL");
  std::string mode = wal.ColumnBytes(0);
  if (mode != "wal") {
    return PathError(absl::StatusCode::kFailedPrecondition, path_,
                     absl::StrCat("cannot turn on WAL (journal_mode stays ", mode, ")"));
  }
  SG_RETURN_IF_ERROR(Exec("PRAGMA synchronous=NORMAL"));
  // SQLite's default page cache (2 MiB) is smaller than what live sessions touch between
  // two commits (6 MB at 250 live streams): every miss is a pread of the WAL or the file,
  // a quarter of the store thread's time. 32 MiB at most; pages are allocated as used.
  return Exec("PRAGMA cache_size=-32768");
}

absl::Status SessionDatabase::InsertRun(SqliteStatement& statement, const std::string& id,
                                        const FrameRun& run) {
  statement.BindText(1, id);
  statement.BindSeq(2, run.first_seq);
  statement.BindSeq(3, run.last_seq);
  statement.BindBlob(4, run.blob);
  return Run(statement);
}

absl::Status SessionDatabase::PrepareStatements() {
  const std::pair<const char*, SqliteStatement*> statements[] = {
      {"BEGIN IMMEDIATE", &begin_},
      {"COMMIT", &commit_},
      {"ROLLBACK", &rollback_},
      {"INSERT INTO sessions (id, identity, token_hash, previous_token_hash, created_at_ms, "
       "last_seen_ms, seq_reserved, replay_lost_from, replay_lost_through) "
       "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) ON CONFLICT (id) DO UPDATE SET "
       "identity = ?2, token_hash = ?3, previous_token_hash = ?4, created_at_ms = ?5, "
       "last_seen_ms = ?6, seq_reserved = ?7, replay_lost_from = ?8, replay_lost_through = ?9",
       &upsert_session_},
      {"SELECT replay_lost_from, replay_lost_through FROM sessions WHERE id = ?1", &select_loss_},
      {"UPDATE sessions SET replay_lost_from = ?2, replay_lost_through = ?3 WHERE id = ?1",
       &update_loss_},
      {"INSERT INTO conversations (session_id, conversation_id, history, last_activity_ms) "
       "VALUES (?1, ?2, ?3, ?4) ON CONFLICT (session_id, conversation_id) DO UPDATE SET "
       "history = ?3, last_activity_ms = ?4",
       &upsert_conversation_},
      {"DELETE FROM conversations WHERE session_id = ?1 AND conversation_id = ?2",
       &delete_conversation_},
      {kInsertFrameRun, &insert_run_},
      {"DELETE FROM frame_runs WHERE session_id = ?1 AND last_seq < ?2", &delete_runs_below_},
      {"SELECT first_seq, last_seq, frames FROM frame_runs "
       "WHERE session_id = ?1 AND first_seq < ?2 AND last_seq >= ?2",
       &select_straddling_run_},
      {"DELETE FROM frame_runs WHERE session_id = ?1 AND first_seq = ?2", &delete_run_},
      {"DELETE FROM frame_runs WHERE session_id = ?1", &delete_session_frames_},
      {"DELETE FROM conversations WHERE session_id = ?1", &delete_session_conversations_},
      {"DELETE FROM sessions WHERE id = ?1", &delete_session_row_},
      {"DELETE FROM frame_runs WHERE session_id IN "
       "(SELECT id FROM sessions WHERE last_seen_ms < ?1)",
       &delete_idle_frames_},
      {"DELETE FROM conversations WHERE session_id IN "
       "(SELECT id FROM sessions WHERE last_seen_ms < ?1)",
       &delete_idle_conversations_},
      {"DELETE FROM sessions WHERE last_seen_ms < ?1", &delete_idle_sessions_},
      {"SELECT id, identity, token_hash, previous_token_hash, created_at_ms, last_seen_ms, "
       "seq_reserved, replay_lost_from FROM sessions WHERE id = ?1",
       &select_session_},
      {"SELECT conversation_id, history, last_activity_ms FROM conversations "
       "WHERE session_id = ?1 ORDER BY conversation_id",
       &select_conversations_},
      {"SELECT first_seq, last_seq, frames FROM frame_runs WHERE session_id = ?1 "
       "ORDER BY first_seq",
       &select_frames_},
  };
  for (const auto& [sql, statement] : statements) SG_RETURN_IF_ERROR(Prepare(sql, statement));
  return absl::OkStatus();
}

absl::Status SessionDatabase::Commit(const StoreWriteBatch& batch) {
  // Losses of sessions without a row change with the transaction; keep them as they were
  // should it roll back (normally there are none).
  absl::flat_hash_map<std::string, OrphanLoss> orphans_before = orphan_losses_;
  expired_sessions_ = 0;
  absl::Status status = Run(begin_);
  if (!status.ok()) return status;
  for (const auto& [id, session] : batch.sessions) {
    for (const StoreOp& op : session.ops) {
      status = std::visit([&](const auto& one) { return Apply(id, one); }, op);
      if (!status.ok()) break;
    }
    if (!status.ok()) break;
  }
  if (status.ok() && batch.delete_idle_before.has_value()) {
    status = DeleteIdleBefore(*batch.delete_idle_before);
  }
  if (status.ok()) status = Run(commit_);
  if (!status.ok()) {
    Run(rollback_).IgnoreError();  // fails only when SQLite already rolled back
    orphan_losses_ = std::move(orphans_before);
  }
  return status;
}

absl::StatusOr<std::optional<ReplayLoss>> SessionDatabase::ReadLoss(const std::string& id) {
  SqliteStatement& statement = select_loss_;
  ResetOnExit reset(statement);
  statement.BindText(1, id);
  int rc = statement.Step();
  if (rc == SQLITE_DONE) return std::optional<ReplayLoss>();
  if (rc != SQLITE_ROW) return Error(rc, "cannot read a session's replay loss");
  return ReplayLoss{.from = statement.ColumnSeq(0), .through = statement.ColumnSeq(1)};
}

absl::Status SessionDatabase::WriteLoss(const std::string& id, const ReplayLoss& loss) {
  SqliteStatement& statement = update_loss_;
  statement.BindText(1, id);
  statement.BindSeq(2, loss.from);
  statement.BindSeq(3, loss.through);
  return Run(statement);
}

absl::Status SessionDatabase::Apply(const std::string& id, const PutSessionOp& op) {
  const StoredSession& session = op.session;
  ReplayLoss loss = LossOfPut(session);
  absl::StatusOr<std::optional<ReplayLoss>> stored = ReadLoss(id);
  if (!stored.ok()) return stored.status();
  if (stored->has_value()) loss.Add(**stored);
  if (auto orphan = orphan_losses_.find(id); orphan != orphan_losses_.end()) {
    loss.Add(orphan->second.loss);
    orphan_losses_.erase(orphan);
  }
  SqliteStatement& statement = upsert_session_;
  statement.BindText(1, id);
  statement.BindText(2, session.identity);
  statement.BindBlob(3, session.token_hash);
  statement.BindBlob(4, session.previous_token_hash);
  statement.BindInt(5, session.created_at_ms);
  statement.BindInt(6, session.last_seen_ms);
  statement.BindSeq(7, session.seq_reserved);
  statement.BindSeq(8, loss.from);
  statement.BindSeq(9, loss.through);
  return Run(statement);
}

absl::Status SessionDatabase::Apply(const std::string& id, const PutConversationOp& op) {
  SqliteStatement& statement = upsert_conversation_;
  statement.BindText(1, id);
  statement.BindText(2, op.conversation.conversation_id);
  statement.BindBlob(3, op.conversation.history);
  statement.BindInt(4, op.conversation.last_activity_ms);
  return Run(statement);
}

absl::Status SessionDatabase::Apply(const std::string& id, const DeleteConversationOp& op) {
  SqliteStatement& statement = delete_conversation_;
  statement.BindText(1, id);
  statement.BindText(2, op.conversation_id);
  return Run(statement);
}

absl::Status SessionDatabase::Apply(const std::string& id, const AppendFramesOp& op) {
  for (const FrameRun& run : EncodeFrameRuns(op.frames)) {
    SG_RETURN_IF_ERROR(InsertRun(insert_run_, id, run));
  }
  return absl::OkStatus();
}

absl::Status SessionDatabase::Apply(const std::string& id, const DropFramesBelowOp& op) {
  {
    SqliteStatement& statement = delete_runs_below_;
    statement.BindText(1, id);
    statement.BindSeq(2, op.seq);
    SG_RETURN_IF_ERROR(Run(statement));
  }
  // The run `op.seq` falls inside loses its front: rewritten (one per drop at most).
  std::optional<FrameRun> straddling;
  {
    SqliteStatement& statement = select_straddling_run_;
    ResetOnExit reset(statement);
    statement.BindText(1, id);
    statement.BindSeq(2, op.seq);
    int rc = statement.Step();
    if (rc == SQLITE_ROW) {
      straddling = FrameRun{.first_seq = statement.ColumnSeq(0),
                            .last_seq = statement.ColumnSeq(1),
                            .blob = statement.ColumnBytes(2)};
    } else if (rc != SQLITE_DONE) {
      return Error(rc, "cannot read a session's frames");
    }
  }
  if (straddling) {
    std::vector<StoredFrame> frames;
    SqliteStatement& remove = delete_run_;
    remove.BindText(1, id);
    remove.BindSeq(2, straddling->first_seq);
    SG_RETURN_IF_ERROR(Run(remove));
    // A damaged run goes as a whole: Load would refuse it anyway.
    if (DecodeFrameRun(straddling->first_seq, straddling->last_seq, straddling->blob, &frames)) {
      std::erase_if(frames, [&](const StoredFrame& frame) { return frame.seq < op.seq; });
      for (const FrameRun& run : EncodeFrameRuns(frames)) {
        SG_RETURN_IF_ERROR(InsertRun(insert_run_, id, run));
      }
    }
  }
  if (auto orphan = orphan_losses_.find(id); orphan != orphan_losses_.end()) {
    orphan->second.loss.DropBelow(op.seq);
    if (!orphan->second.loss.any()) orphan_losses_.erase(orphan);
  }
  absl::StatusOr<std::optional<ReplayLoss>> stored = ReadLoss(id);
  if (!stored.ok()) return stored.status();
  if (!stored->has_value() || !(*stored)->any()) return absl::OkStatus();
  ReplayLoss loss = **stored;
  loss.DropBelow(op.seq);
  return loss == **stored ? absl::OkStatus() : WriteLoss(id, loss);
}

absl::Status SessionDatabase::Apply(const std::string& id, const NoteLossOp& op) {
  absl::StatusOr<std::optional<ReplayLoss>> stored = ReadLoss(id);
  if (!stored.ok()) return stored.status();
  if (!stored->has_value()) {
    // No row yet: kept for when the session is put.
    auto [it, inserted] = orphan_losses_.try_emplace(id);
    if (inserted) it->second.noted_at_ms = absl::ToUnixMillis(absl::Now());
    it->second.loss.Add(op.loss);
    return absl::OkStatus();
  }
  ReplayLoss loss = **stored;
  loss.Add(op.loss);
  return loss == **stored ? absl::OkStatus() : WriteLoss(id, loss);
}

absl::Status SessionDatabase::Apply(const std::string& id, const DeleteSessionOp&) {
  orphan_losses_.erase(id);
  for (SqliteStatement* statement :
       {&delete_session_frames_, &delete_session_conversations_, &delete_session_row_}) {
    statement->BindText(1, id);
    SG_RETURN_IF_ERROR(Run(*statement));
  }
  return absl::OkStatus();
}

absl::Status SessionDatabase::DeleteIdleBefore(int64_t cutoff_ms) {
  for (auto it = orphan_losses_.begin(); it != orphan_losses_.end();) {
    auto next = std::next(it);
    if (it->second.noted_at_ms < cutoff_ms) orphan_losses_.erase(it);
    it = next;
  }
  // Children first: the subqueries find them through the session rows.
  for (SqliteStatement* statement :
       {&delete_idle_frames_, &delete_idle_conversations_, &delete_idle_sessions_}) {
    statement->BindInt(1, cutoff_ms);
    SG_RETURN_IF_ERROR(Run(*statement));
  }
  // The last statement's rows: the sessions that went (counted once committed).
  expired_sessions_ = static_cast<uint64_t>(sqlite3_changes(db_));
  return absl::OkStatus();
}

absl::StatusOr<std::optional<SessionSnapshot>> SessionDatabase::Load(
    const std::string& session_id) {
  // One read transaction: the three queries see the same state even if another process
  // (a second gateway on the same file, against the advice) writes in between.
  SG_RETURN_IF_ERROR(Exec("BEGIN"));
  absl::StatusOr<std::optional<SessionSnapshot>> result = LoadInTransaction(session_id);
  Exec("COMMIT").IgnoreError();  // a read transaction has nothing to lose
  return result;
}

absl::StatusOr<std::optional<SessionSnapshot>> SessionDatabase::LoadInTransaction(
    const std::string& session_id) {
  SessionSnapshot snapshot;
  {
    SqliteStatement& statement = select_session_;
    ResetOnExit reset(statement);
    statement.BindText(1, session_id);
    int rc = statement.Step();
    if (rc == SQLITE_DONE) return std::optional<SessionSnapshot>();
    if (rc != SQLITE_ROW) return Error(rc, "cannot read a session");
    StoredSession& session = snapshot.session;
    session.id = statement.ColumnBytes(0);
    session.identity = statement.ColumnBytes(1);
    session.token_hash = statement.ColumnBytes(2);
    session.previous_token_hash = statement.ColumnBytes(3);
    session.created_at_ms = statement.ColumnInt(4);
    session.last_seen_ms = statement.ColumnInt(5);
    session.seq_reserved = statement.ColumnSeq(6);
    session.replay_lost_from = statement.ColumnSeq(7);
  }
  {
    SqliteStatement& statement = select_conversations_;
    ResetOnExit reset(statement);
    statement.BindText(1, session_id);
    int rc;
    while ((rc = statement.Step()) == SQLITE_ROW) {
      snapshot.conversations.push_back(StoredConversation{
          .session_id = session_id,
          .conversation_id = statement.ColumnBytes(0),
          .history = statement.ColumnBytes(1),
          .last_activity_ms = statement.ColumnInt(2),
      });
    }
    if (rc != SQLITE_DONE) return Error(rc, "cannot read a session's conversations");
  }
  {
    SqliteStatement& statement = select_frames_;
    ResetOnExit reset(statement);
    statement.BindText(1, session_id);
    int rc;
    while ((rc = statement.Step()) == SQLITE_ROW) {
      uint64_t first = statement.ColumnSeq(0);
      uint64_t last = statement.ColumnSeq(1);
      if (!snapshot.replay.empty() && first <= snapshot.replay.back().seq) continue;  // overlap
      if (!DecodeFrameRun(first, last, statement.ColumnBytes(2), &snapshot.replay)) {
        return PathError(absl::StatusCode::kDataLoss, path_,
                         absl::StrCat("a stored run of frames ", first, "..", last,
                                      " of a session does not decode"));
      }
    }
    if (rc != SQLITE_DONE) return Error(rc, "cannot read a session's frames");
  }
  return std::optional<SessionSnapshot>(std::move(snapshot));
}

}  // namespace streamgate::gateway
