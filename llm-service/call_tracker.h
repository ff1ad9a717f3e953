#pragma once

#include <cstdint>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace streamgate::llm {

// Counts StreamChat calls in flight, so shutdown can wait for them to finish and
// --max-concurrent-calls can bound them. Shared by every reactor; thread-safe.
class CallTracker {
 public:
  void Begin();
  // Begin, unless `limit` calls are running already; then false and nothing counted.
  bool TryBegin(int64_t limit);
  void End();
  int64_t active() const;
  int64_t total_started() const;
  // Returns true if the count reached zero (at most `count`) before the deadline.
  bool WaitForIdle(absl::Time deadline) const { return WaitForActiveAtMost(0, deadline); }
  bool WaitForActiveAtMost(int64_t count, absl::Time deadline) const;

 private:
  mutable absl::Mutex mu_;
  int64_t active_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t total_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace streamgate::llm
