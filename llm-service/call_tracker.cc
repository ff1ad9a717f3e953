#include "llm-service/call_tracker.h"

namespace streamgate::llm {

void CallTracker::Begin() {
  absl::MutexLock lock(&mu_);
  ++active_;
  ++total_;
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

bool CallTracker::WaitForIdle(absl::Time deadline) const {
  absl::MutexLock lock(&mu_);
  auto idle = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return active_ == 0; };
  return mu_.AwaitWithDeadline(absl::Condition(&idle), deadline);
}

}  // namespace streamgate::llm
