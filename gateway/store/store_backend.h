#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gateway/store/session_store.h"
#include "gateway/store/store_write_queue.h"

namespace streamgate::gateway {

// Where QueuedSessionStore's thread commits its groups and reads sessions: one SQLite file
// (SessionDatabase) or one Redis (RedisSessionDatabase). Used by that one thread only.
class StoreBackend {
 public:
  virtual ~StoreBackend() = default;

  // Applies every write of `batch` (not its loads), sessions first, then the idle deletion,
  // all or nothing.
  virtual absl::Status Commit(const StoreWriteBatch& batch) = 0;
  // How many sessions the last successful Commit's idle deletion removed.
  virtual uint64_t expired_sessions() const = 0;
  // The committed session, or nullopt when there is none.
  virtual absl::StatusOr<std::optional<SessionSnapshot>> Load(const std::string& session_id) = 0;
  // For messages: the file's path, or the Redis URL.
  virtual const std::string& where() const = 0;
};

}  // namespace streamgate::gateway
