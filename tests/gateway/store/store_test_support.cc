#include "tests/gateway/store/store_test_support.h"

#include <sqlite3.h>

#include <chrono>
#include <future>
#include <memory>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"

namespace streamgate::gateway::store_test {

int64_t NowMs() { return absl::ToUnixMillis(absl::Now()); }

StoredSession MakeSession(const std::string& id, int64_t last_seen_ms) {
  StoredSession session;
  session.id = id;
  session.identity = "user:" + id;
  session.token_hash = std::string("\x01\x00\xff hash of ", 12) + id;
  session.previous_token_hash = "";
  session.created_at_ms = last_seen_ms - 1000;
  session.last_seen_ms = last_seen_ms;
  session.seq_reserved = 1024;
  return session;
}

StoredConversation MakeConversation(const std::string& session_id,
                                    const std::string& conversation_id,
                                    const std::string& history) {
  return StoredConversation{.session_id = session_id,
                            .conversation_id = conversation_id,
                            .history = history,
                            .last_activity_ms = NowMs()};
}

std::vector<StoredFrame> Frames(uint64_t first, uint64_t last, size_t bytes) {
  std::vector<StoredFrame> frames;
  for (uint64_t seq = first; seq <= last; ++seq) {
    std::string text = "{\"type\":\"stream_chunk\",\"seq\":" + std::to_string(seq) + "}";
    if (text.size() < bytes) text.append(bytes - text.size(), ' ');
    frames.push_back(StoredFrame{.seq = seq, .frame = std::move(text)});
  }
  return frames;
}

std::optional<SessionSnapshot> LoadNow(SessionStore& store, const std::string& id) {
  // Shared with the callback, which may outlive this call if the deadline passes.
  auto promise = std::make_shared<std::promise<std::optional<SessionSnapshot>>>();
  std::future<std::optional<SessionSnapshot>> loaded = promise->get_future();
  store.Load(id, [promise](std::optional<SessionSnapshot> snapshot) {
    promise->set_value(std::move(snapshot));
  });
  if (loaded.wait_for(std::chrono::seconds(10)) != std::future_status::ready) {
    ADD_FAILURE() << "Load(" << id << ") did not answer within 10 s";
    return std::nullopt;
  }
  return loaded.get();
}

std::string Describe(const StoredSession& session) {
  std::ostringstream out;
  out << "id=" << session.id << "\nidentity=" << session.identity
      << "\ntoken_hash=" << ::testing::PrintToString(session.token_hash)
      << "\nprevious_token_hash=" << ::testing::PrintToString(session.previous_token_hash)
      << "\ncreated_at_ms=" << session.created_at_ms << "\nlast_seen_ms=" << session.last_seen_ms
      << "\nseq_reserved=" << session.seq_reserved
      << "\nreplay_lost_from=" << session.replay_lost_from << "\n";
  return out.str();
}

std::string Describe(const std::vector<StoredConversation>& conversations) {
  std::ostringstream out;
  for (const StoredConversation& conversation : conversations) {
    out << conversation.session_id << "/" << conversation.conversation_id
        << " history=" << ::testing::PrintToString(conversation.history)
        << " last_activity_ms=" << conversation.last_activity_ms << "\n";
  }
  return out.str();
}

std::vector<uint64_t> SeqsOf(const std::vector<StoredFrame>& frames) {
  std::vector<uint64_t> seqs;
  for (const StoredFrame& frame : frames) seqs.push_back(frame.seq);
  return seqs;
}

namespace {

// A connection of the test's own, closed when it goes.
struct Connection {
  explicit Connection(const std::string& path, int flags) {
    if (sqlite3_open_v2(path.c_str(), &db, flags, nullptr) != SQLITE_OK) {
      ADD_FAILURE() << "cannot open " << path << ": " << sqlite3_errmsg(db);
    }
  }
  ~Connection() { sqlite3_close(db); }
  sqlite3* db = nullptr;
};

// The first column of the first row, as text; nullopt when the query fails.
std::optional<std::string> QueryFirst(const std::string& path, const std::string& sql) {
  Connection connection(path, SQLITE_OPEN_READONLY);
  sqlite3_stmt* statement = nullptr;
  if (sqlite3_prepare_v2(connection.db, sql.c_str(), -1, &statement, nullptr) != SQLITE_OK) {
    ADD_FAILURE() << sql << ": " << sqlite3_errmsg(connection.db);
    return std::nullopt;
  }
  std::optional<std::string> value;
  if (sqlite3_step(statement) == SQLITE_ROW) {
    const unsigned char* text = sqlite3_column_text(statement, 0);
    value = text == nullptr ? "" : reinterpret_cast<const char*>(text);
  } else {
    ADD_FAILURE() << sql << ": no row: " << sqlite3_errmsg(connection.db);
  }
  sqlite3_finalize(statement);
  return value;
}

}  // namespace

int64_t QueryInt(const std::string& path, const std::string& sql) {
  std::optional<std::string> value = QueryFirst(path, sql);
  int64_t number = -1;
  if (value.has_value() && !absl::SimpleAtoi(*value, &number)) {
    ADD_FAILURE() << sql << ": not a number: " << *value;
  }
  return number;
}

std::string QueryText(const std::string& path, const std::string& sql) {
  return QueryFirst(path, sql).value_or("");
}

void ExecSql(const std::string& path, const std::string& sql) {
  Connection connection(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  char* error = nullptr;
  if (sqlite3_exec(connection.db, sql.c_str(), nullptr, nullptr, &error) != SQLITE_OK) {
    ADD_FAILURE() << sql << ": " << (error != nullptr ? error : "?");
  }
  sqlite3_free(error);
}

}  // namespace streamgate::gateway::store_test
