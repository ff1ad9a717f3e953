#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "gateway/store/session_store.h"

// Shared by the store tests: values to store, a blocking Load with a deadline, readable
// descriptions to compare (the interface defines no operator==), and a second, read-only
// SQLite connection to look at the file behind the store's back.
namespace streamgate::gateway::store_test {

int64_t NowMs();

// A session with every field set, raw bytes (a NUL) in the token hash included.
StoredSession MakeSession(const std::string& id, int64_t last_seen_ms = NowMs());
StoredConversation MakeConversation(const std::string& session_id,
                                    const std::string& conversation_id, const std::string& history);
// Frames first..last; each text names its seq and is padded to about `bytes`.
std::vector<StoredFrame> Frames(uint64_t first, uint64_t last, size_t bytes = 40);

// Calls store.Load and waits for `done` (10 s at most; a test failure after that).
std::optional<SessionSnapshot> LoadNow(SessionStore& store, const std::string& id);

// One line per field, for EXPECT_EQ with a readable difference.
std::string Describe(const StoredSession& session);
std::string Describe(const std::vector<StoredConversation>& conversations);
std::vector<uint64_t> SeqsOf(const std::vector<StoredFrame>& frames);

// The single value of `sql` on a read-only connection to the file at `path` (-1 when the
// query fails, with a test failure).
int64_t QueryInt(const std::string& path, const std::string& sql);
std::string QueryText(const std::string& path, const std::string& sql);
// Runs `sql` on a read-write connection of its own, creating the file if missing (to
// tamper with a file).
void ExecSql(const std::string& path, const std::string& sql);

}  // namespace streamgate::gateway::store_test
