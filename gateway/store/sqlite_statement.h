#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace streamgate::gateway {

// One prepared SQLite statement, finalized with this object: the C API's binding and
// column calls in C++ types. Bound text and blobs are not copied (SQLITE_STATIC), so they
// must outlive the next Reset(); every user steps and resets before its data goes away.
//
// Move-only. Used by whoever holds the connection, on that connection's thread.
class SqliteStatement {
 public:
  SqliteStatement() = default;
  ~SqliteStatement() { sqlite3_finalize(statement_); }
  SqliteStatement(SqliteStatement&& other) noexcept : statement_(other.statement_) {
    other.statement_ = nullptr;
  }
  SqliteStatement& operator=(SqliteStatement&& other) noexcept;
  SqliteStatement(const SqliteStatement&) = delete;
  SqliteStatement& operator=(const SqliteStatement&) = delete;

  // Returns SQLite's result code; *statement is empty unless it is SQLITE_OK. `persistent`
  // tells SQLite the statement is kept and reused (its memory then comes from the heap,
  // not the lookaside pool).
  static int Prepare(sqlite3* db, const char* sql, bool persistent, SqliteStatement* statement);

  void BindText(int index, std::string_view text);
  void BindBlob(int index, std::string_view bytes);
  void BindInt(int index, int64_t value) { sqlite3_bind_int64(statement_, index, value); }
  // Seqs are unsigned in the interface and far below 2^63 in practice.
  void BindSeq(int index, uint64_t seq) { BindInt(index, static_cast<int64_t>(seq)); }

  // SQLITE_ROW, SQLITE_DONE or an error code.
  int Step() { return sqlite3_step(statement_); }
  void Reset() { sqlite3_reset(statement_); }

  std::string ColumnBytes(int column) const;
  int64_t ColumnInt(int column) const { return sqlite3_column_int64(statement_, column); }
  uint64_t ColumnSeq(int column) const { return static_cast<uint64_t>(ColumnInt(column)); }

  const char* sql() const { return sqlite3_sql(statement_); }

 private:
  sqlite3_stmt* statement_ = nullptr;
};

// Resets a statement on every path out of the scope that steps it.
class ResetOnExit {
 public:
  explicit ResetOnExit(SqliteStatement& statement) : statement_(statement) {}
  ~ResetOnExit() { statement_.Reset(); }
  ResetOnExit(const ResetOnExit&) = delete;
  ResetOnExit& operator=(const ResetOnExit&) = delete;

 private:
  SqliteStatement& statement_;
};

// The absl code for a SQLite result code (primary or extended): busy → Unavailable, full →
// ResourceExhausted, read-only or no permission → PermissionDenied, not a database or
// corrupt → FailedPrecondition, anything else → Internal.
absl::StatusCode StatusCodeOfSqlite(int rc);

}  // namespace streamgate::gateway
