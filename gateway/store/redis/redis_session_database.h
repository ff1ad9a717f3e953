#pragma once

#include <boost/asio/io_context.hpp>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "gateway/store/frame_bound.h"
#include "gateway/store/redis/redis_client.h"
#include "gateway/store/store_backend.h"

namespace streamgate::gateway {

// The session store's backend on one Redis, which every gateway can read: a session is a
// hash, its conversations two hashes (history, last activity), its replay log a sorted set
// scored by seq, and one sorted set indexes sessions by last_seen_ms for the idle expiry.
// All keys of a session share the hash tag {id}. A group is one round trip that reads the
// replay losses the group's ops merge into, then one MULTI/EXEC with every write: applied
// whole or not at all. Loads are one MULTI/EXEC of four reads.
//
// The store's thread drives it: the RedisClient runs on an io_context of its own that only
// Commit and Load run, each for at most `timeout`. A Redis that is down fails the call with
// UNAVAILABLE (the queue's bound and loss marks then apply, as for a failing disk).
// Concurrent writers to one session are not merged: one gateway owns a session at a time.
//
// Owns the io_context and the client; owned by QueuedSessionStore; store thread only.
class RedisSessionDatabase final : public StoreBackend {
 public:
  struct Options {
    RedisAddress address;
    std::string url;  // for messages
    absl::Duration timeout = absl::Seconds(2);
    std::string key_prefix = "sg";
  };

  // Starts connecting; does not wait for Redis (the first Commit or Load does).
  explicit RedisSessionDatabase(Options options);
  ~RedisSessionDatabase() override;

  absl::Status Commit(const StoreWriteBatch& batch) override;
  uint64_t expired_sessions() const override { return expired_sessions_; }
  absl::StatusOr<std::optional<SessionSnapshot>> Load(const std::string& session_id) override;
  const std::string& where() const override { return options_.url; }

  // Whether the connection is up as of the last call (for /readyz and tests).
  bool up() const { return client_->up(); }

 private:
  using Command = std::vector<std::string>;
  // What a group's ops do to one session as they are applied in order.
  struct SessionState {
    bool exists = false;
    ReplayLoss loss;
    std::optional<int64_t> last_seen_ms;  // of the last put in the group
  };
  struct OrphanLoss {
    ReplayLoss loss;
    int64_t noted_at_ms = 0;
  };

  std::string Key(const std::string& id, const char* what) const;
  std::string IdleKey() const;
  absl::Status WaitUp();
  // Sends `commands` pipelined and waits for every reply (in order).
  absl::StatusOr<std::vector<RedisReply>> Exchange(std::vector<Command> commands);
  absl::Status Exec(std::vector<Command> writes);
  void Apply(const std::string& id, const StoreOp& op, SessionState& state,
             std::vector<Command>& writes);
  void WriteLoss(const std::string& id, const ReplayLoss& loss, std::vector<Command>& writes);
  void DeleteAll(const std::string& id, std::vector<Command>& writes);

  const Options options_;
  boost::asio::io_context io_;
  std::shared_ptr<RedisClient> client_;
  uint64_t expired_sessions_ = 0;
  // A loss noted for a session not in Redis yet; merged when it is put (as SessionDatabase).
  absl::flat_hash_map<std::string, OrphanLoss> orphan_losses_;
};

}  // namespace streamgate::gateway
