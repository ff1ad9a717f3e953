#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <unordered_map>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace streamgate::gateway {

class WsConnection;

// Every open WebSocket connection, held weakly, for the connection cap, heartbeats, shutdown
// and reloads. Connections add and remove themselves; owned by main; thread-safe.
class ConnectionRegistry {
 public:
  // Reserves a slot for a new connection; false when `limit` connections are already open.
  bool TryReserve(size_t limit);
  // Gives back a reservation that did not become a connection (failed handshake).
  void Unreserve();
  void Add(WsConnection* connection, std::weak_ptr<WsConnection> weak);
  // Removes the connection and releases its reservation.
  void Remove(WsConnection* connection);
  size_t size() const;
  // Calls `fn` on every live connection (outside the lock).
  void ForEach(const std::function<void(const std::shared_ptr<WsConnection>&)>& fn) const;
  // The same for slice `slice` of `slices`: connections are dealt into slices in turn as they
  // are added, so each slice holds an even share and every connection is in exactly one.
  void ForEachInSlice(size_t slice, size_t slices,
                      const std::function<void(const std::shared_ptr<WsConnection>&)>& fn) const;
  // Returns true if the registry became empty before `deadline`.
  bool WaitUntilEmpty(absl::Time deadline) const;

 private:
  mutable absl::Mutex mu_;
  size_t reserved_ ABSL_GUARDED_BY(mu_) = 0;
  struct Entry {
    std::weak_ptr<WsConnection> connection;
    size_t ticket;  // the order of Add, which deals connections into slices
  };
  size_t next_ticket_ ABSL_GUARDED_BY(mu_) = 0;
  std::unordered_map<WsConnection*, Entry> connections_ ABSL_GUARDED_BY(mu_);
};

}  // namespace streamgate::gateway
