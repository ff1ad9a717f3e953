#include "gateway/connection_registry.h"

#include <vector>

namespace streamgate::gateway {

bool ConnectionRegistry::TryReserve(size_t limit) {
  absl::MutexLock lock(&mu_);
  if (reserved_ >= limit) return false;
  ++reserved_;
  return true;
}

void ConnectionRegistry::Unreserve() {
  absl::MutexLock lock(&mu_);
  --reserved_;
}

void ConnectionRegistry::Add(WsConnection* connection, std::weak_ptr<WsConnection> weak) {
  absl::MutexLock lock(&mu_);
  connections_.emplace(connection, Entry{std::move(weak), next_ticket_++});
}

void ConnectionRegistry::Remove(WsConnection* connection) {
  absl::MutexLock lock(&mu_);
  if (connections_.erase(connection) > 0) --reserved_;
}

size_t ConnectionRegistry::size() const {
  absl::MutexLock lock(&mu_);
  return connections_.size();
}

void ConnectionRegistry::ForEach(
    const std::function<void(const std::shared_ptr<WsConnection>&)>& fn) const {
  ForEachInSlice(0, 1, fn);
}

void ConnectionRegistry::ForEachInSlice(
    size_t slice, size_t slices,
    const std::function<void(const std::shared_ptr<WsConnection>&)>& fn) const {
  std::vector<std::shared_ptr<WsConnection>> live;
  {
    absl::MutexLock lock(&mu_);
    live.reserve(connections_.size() / slices + 1);
    for (const auto& [raw, entry] : connections_) {
      if (entry.ticket % slices != slice) continue;
      if (auto connection = entry.connection.lock()) live.push_back(std::move(connection));
    }
  }
  for (const auto& connection : live) fn(connection);
}

bool ConnectionRegistry::WaitUntilEmpty(absl::Time deadline) const {
  absl::MutexLock lock(&mu_);
  auto empty = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return connections_.empty(); };
  return mu_.AwaitWithDeadline(absl::Condition(&empty), deadline);
}

}  // namespace streamgate::gateway
