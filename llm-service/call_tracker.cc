#include "llm-service/call_tracker.h"

namespace streamgate::llm {

void CallTracker::Begin() {
  absl::MutexLock lock(&mu_);
  ++active_;
  ++total_;
}

bool CallTracker::TryBegin(int64_t limit) {
  absl::MutexLock lock(&mu_);
  if (active_ >= limit) return false;
  ++active_;
  ++total_;
  return true;
}

void CallTracker::End() {
  absl::MutexLock lock(&mu_);
  --active_;
}

int64_t CallTracker::active() const {
  absl::MutexLock lock(&mu_);
  return active_;
}

int64_t CallTracker::total_started() const {
  absl::MutexLock lock(&mu_);
  return total_;
}

bool CallTracker::WaitForActiveAtMost(int64_t count, absl::Time deadline) const {
  absl::MutexLock lock(&mu_);
  auto below = [this, count]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return active_ <= count; };
  return mu_.AwaitWithDeadline(absl::Condition(&below), deadline);
}

}  // namespace streamgate::llm
