#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <unordered_map>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace streamgate::gateway {

class Session;

// Every open WebSocket session, held weakly, for the connection cap, shutdown and metrics.
// Sessions add and remove themselves; thread-safe.
class SessionRegistry {
 public:
  // Reserves a slot for a new session; false when `limit` sessions are already open.
  bool TryReserve(size_t limit);
  // Gives back a reservation that did not become a session (failed handshake).
  void Unreserve();
  void Add(Session* session, std::weak_ptr<Session> weak);
  // Removes the session and releases its reservation.
  void Remove(Session* session);
  size_t size() const;
  // Calls `fn` on every live session (outside the lock).
  void ForEach(const std::function<void(const std::shared_ptr<Session>&)>& fn) const;
  // The same for slice `slice` of `slices`: sessions are dealt into slices in turn as they
  // are added, so each slice holds an even share and every session is in exactly one.
  void ForEachInSlice(size_t slice, size_t slices,
                      const std::function<void(const std::shared_ptr<Session>&)>& fn) const;
  // Returns true if the registry became empty before `deadline`.
  bool WaitUntilEmpty(absl::Time deadline) const;

 private:
  mutable absl::Mutex mu_;
  size_t reserved_ ABSL_GUARDED_BY(mu_) = 0;
  struct Entry {
    std::weak_ptr<Session> session;
    size_t ticket;  // the order of Add, which deals sessions into slices
  };
  size_t next_ticket_ ABSL_GUARDED_BY(mu_) = 0;
  std::unordered_map<Session*, Entry> sessions_ ABSL_GUARDED_BY(mu_);
};

}  // namespace streamgate::gateway
