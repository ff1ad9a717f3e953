#include "gateway/session_registry.h"

#include <vector>

namespace streamgate::gateway {

bool SessionRegistry::TryReserve(size_t limit) {
  absl::MutexLock lock(&mu_);
  if (reserved_ >= limit) return false;
  ++reserved_;
  return true;
}

void SessionRegistry::Unreserve() {
  absl::MutexLock lock(&mu_);
  --reserved_;
}

void SessionRegistry::Add(Session* session, std::weak_ptr<Session> weak) {
  absl::MutexLock lock(&mu_);
  sessions_.emplace(session, Entry{std::move(weak), next_ticket_++});
}

void SessionRegistry::Remove(Session* session) {
  absl::MutexLock lock(&mu_);
  if (sessions_.erase(session) > 0) --reserved_;
}

size_t SessionRegistry::size() const {
  absl::MutexLock lock(&mu_);
  return sessions_.size();
}

void SessionRegistry::ForEach(
    const std::function<void(const std::shared_ptr<Session>&)>& fn) const {
  ForEachInSlice(0, 1, fn);
}

void SessionRegistry::ForEachInSlice(
    size_t slice, size_t slices,
    const std::function<void(const std::shared_ptr<Session>&)>& fn) const {
  std::vector<std::shared_ptr<Session>> live;
  {
    absl::MutexLock lock(&mu_);
    live.reserve(sessions_.size() / slices + 1);
    for (const auto& [raw, entry] : sessions_) {
      if (entry.ticket % slices != slice) continue;
      if (auto session = entry.session.lock()) live.push_back(std::move(session));
    }
  }
  for (const auto& session : live) fn(session);
}

bool SessionRegistry::WaitUntilEmpty(absl::Time deadline) const {
  absl::MutexLock lock(&mu_);
  auto empty = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return sessions_.empty(); };
  return mu_.AwaitWithDeadline(absl::Condition(&empty), deadline);
}

}  // namespace streamgate::gateway
