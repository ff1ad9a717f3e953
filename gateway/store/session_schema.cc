// SessionDatabase: the schema, its version check and the migrations between versions.
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/status_util.h"
#include "gateway/store/frame_runs.h"
#include "gateway/store/session_database.h"

namespace streamgate::gateway {
namespace {

// Version 1. A later version adds its migration step after this, never edits it.
constexpr const char* kSchemaV1 = R"sql(
CREATE TABLE store_schema (version INTEGER NOT NULL);
CREATE TABLE sessions (
  id TEXT NOT NULL PRIMARY KEY,
  identity TEXT NOT NULL,
  token_hash BLOB NOT NULL,
  previous_token_hash BLOB NOT NULL,
  created_at_ms INTEGER NOT NULL,
  last_seen_ms INTEGER NOT NULL,
  seq_reserved INTEGER NOT NULL,
  replay_lost_from INTEGER NOT NULL,
  replay_lost_through INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX sessions_by_last_seen ON sessions (last_seen_ms);
CREATE TABLE conversations (
  session_id TEXT NOT NULL,
  conversation_id TEXT NOT NULL,
  history BLOB NOT NULL,
  last_activity_ms INTEGER NOT NULL,
  PRIMARY KEY (session_id, conversation_id)
);
CREATE TABLE frames (
  session_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  frame TEXT NOT NULL,
  PRIMARY KEY (session_id, seq)
) WITHOUT ROWID;
INSERT INTO store_schema (version) VALUES (1);
)sql";

// Version 2: frames in runs, one row per session per flush (frame_runs.h); the rows of
// `frames` are moved into runs by MigrateToV2.
constexpr const char* kSchemaV2 = R"sql(
CREATE TABLE frame_runs (
  session_id TEXT NOT NULL,
  first_seq INTEGER NOT NULL,
  last_seq INTEGER NOT NULL,
  frames BLOB NOT NULL,
  PRIMARY KEY (session_id, first_seq)
) WITHOUT ROWID;
)sql";

}  // namespace

absl::Status SessionDatabase::CheckOrCreateSchema() {
  SG_RETURN_IF_ERROR(Exec("BEGIN IMMEDIATE"));
  absl::Status status = [this]() -> absl::Status {
    absl::StatusOr<std::vector<std::string>> tables = QueryColumn(
        "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'");
    if (!tables.ok()) return tables.status();
    bool has_version_table = false;
    for (const std::string& table : *tables) has_version_table |= table == "store_schema";
    if (!has_version_table) {
      if (!tables->empty()) {
        return Refuse(absl::StatusCode::kFailedPrecondition,
                      "is a SQLite database but not a session store (it has tables and no "
                      "store_schema table)");
      }
      SG_RETURN_IF_ERROR(Exec(kSchemaV1, "cannot create the schema"));
      return MigrateToV2();
    }
    absl::StatusOr<std::vector<std::string>> versions =
        QueryColumn("SELECT CAST(version AS TEXT) FROM store_schema");
    if (!versions.ok()) return versions.status();
    int64_t version = 0;
    if (versions->size() != 1 || !absl::SimpleAtoi((*versions)[0], &version) || version < 1) {
      return Refuse(absl::StatusCode::kFailedPrecondition,
                    "has no valid schema version (store_schema must hold one positive "
                    "version)");
    }
    if (version > kSchemaVersion) {
      return Refuse(absl::StatusCode::kFailedPrecondition,
                    absl::StrCat("schema version ", version,
                                 " is newer than this gateway supports (", kSchemaVersion,
                                 "); it was written by a newer gateway: run that one, or "
                                 "use another file"));
    }
    if (version == 1) return MigrateToV2();
    return absl::OkStatus();
  }();
  if (status.ok()) status = Exec("COMMIT");
  if (!status.ok()) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
  return status;
}

absl::Status SessionDatabase::MigrateToV2() {
  SG_RETURN_IF_ERROR(Exec(kSchemaV2, "cannot create the frame_runs table"));
  SqliteStatement select;
  SqliteStatement insert;
  int rc = SqliteStatement::Prepare(db_,
                                    "SELECT session_id, seq, frame FROM frames ORDER BY "
                                    "session_id, seq",
                                    /*persistent=*/false, &select);
  if (rc != SQLITE_OK) return Error(rc, "cannot read version 1 frames");
  rc = SqliteStatement::Prepare(db_, kInsertFrameRun, /*persistent=*/false, &insert);
  if (rc != SQLITE_OK) return Error(rc, "cannot prepare the frame_runs insert");
  std::string session;
  std::vector<StoredFrame> frames;
  auto write_session = [&]() -> absl::Status {
    for (const FrameRun& run : EncodeFrameRuns(frames)) {
      SG_RETURN_IF_ERROR(InsertRun(insert, session, run));
    }
    frames.clear();
    return absl::OkStatus();
  };
  while ((rc = select.Step()) == SQLITE_ROW) {
    std::string id = select.ColumnBytes(0);
    if (id != session) {
      SG_RETURN_IF_ERROR(write_session());
      session = std::move(id);
    }
    frames.push_back(StoredFrame{.seq = select.ColumnSeq(1), .frame = select.ColumnBytes(2)});
  }
  if (rc != SQLITE_DONE) return Error(rc, "cannot read version 1 frames");
  SG_RETURN_IF_ERROR(write_session());
  SG_RETURN_IF_ERROR(Exec("DROP TABLE frames"));
  return Exec("UPDATE store_schema SET version = 2");
}

}  // namespace streamgate::gateway
