#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace streamgate::gateway {

// What survives a gateway restart about one session (README "Sessions").
struct StoredSession {
  std::string id;
  std::string identity;
  // SHA-256 (32 raw bytes) of the newest resume token handed out, and of the one used
  // before it, which stays valid until the newest is first used (may be empty).
  std::string token_hash;
  std::string previous_token_hash;
  int64_t created_at_ms = 0;  // Unix time
  int64_t last_seen_ms = 0;
  // No frame with a larger seq was ever sent to a client: a crash may lose the last frames
  // the store had not committed, and a resume up to this seq is then still genuine.
  uint64_t seq_reserved = 0;
  // 0, or the first seq whose frame the store may lack: frames were dropped because the
  // store's queue was full (see SessionStore). A resume needing them gets `gap`.
  uint64_t replay_lost_from = 0;
};

struct StoredConversation {
  std::string session_id;
  std::string conversation_id;
  std::string history;  // gateway::Conversation's encoded form; opaque to the store
  int64_t last_activity_ms = 0;
};

struct StoredFrame {
  uint64_t seq = 0;
  std::string frame;  // the JSON text frame exactly as sent
};

struct SessionSnapshot {
  StoredSession session;
  std::vector<StoredConversation> conversations;
  std::vector<StoredFrame> replay;  // ascending seq
};

// Durable session state behind one interface: SQLite (the default; WAL, one file), memory
// (tests, benchmarks), Redis later (several gateways).
//
// Writes never wait for the disk: they are queued for the store's own thread, which commits
// them in groups (every --store-flush-interval, one transaction). The queue is bounded: a
// Put* replaces a queued Put* of the same key (latest wins), so those are bounded by the live
// state; frames beyond --store-queue-bytes are dropped and the session's replay_lost_from
// is set instead (committed with the next group), so a later resume that needs them gets
// `gap` rather than a silent hole. Reads (Load) are answered on the store's thread.
//
// Thread-safe; every method may be called from any thread. Owned by main.
class SessionStore {
 public:
  virtual ~SessionStore() = default;

  virtual void PutSession(const StoredSession& session) = 0;
  virtual void PutConversation(const StoredConversation& conversation) = 0;
  virtual void DeleteConversation(std::string_view session_id,
                                  std::string_view conversation_id) = 0;
  // Frames of a session, ascending seq, each after every frame appended before.
  virtual void AppendFrames(std::string_view session_id, std::vector<StoredFrame> frames) = 0;
  // The client can no longer need frames below `seq`.
  virtual void DropFramesBelow(std::string_view session_id, uint64_t seq) = 0;
  // The session and everything of it. (A session whose resume window passed is not deleted:
  // its conversations stay until --session-ttl.)
  virtual void DeleteSession(std::string_view session_id) = 0;

  // The session as committed plus what is queued, or nullopt; `done` runs on the store's
  // thread (or at once, for the memory store).
  virtual void Load(std::string session_id,
                    std::function<void(std::optional<SessionSnapshot>)> done) = 0;
  // Every session whose last_seen_ms is older than `cutoff_ms`, and its conversations and
  // frames, are deleted (the store runs this itself every minute with --session-ttl).
  virtual void DeleteIdleBefore(int64_t cutoff_ms) = 0;

  // Blocks until everything queued before the call is committed, or `timeout` passes
  // (shutdown, tests).
  virtual absl::Status Flush(absl::Duration timeout) = 0;

  struct Stats {
    uint64_t queued_bytes = 0;
    uint64_t dropped_frames = 0;
    uint64_t commits = 0;
  };
  virtual Stats stats() const = 0;
};

}  // namespace streamgate::gateway
