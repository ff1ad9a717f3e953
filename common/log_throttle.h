#pragma once

#include <chrono>
#include <cstdint>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace streamgate::common {

// Keeps a repeated event from flooding the log: the first occurrence is logged, then at most
// one per window, and each logged line says how many were left out since the one before
// ("repeated=N"). 16 bytes of state, so every connection can carry one. Not thread-safe:
// its owner's strand serialises it.
class LogThrottle {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr Clock::duration kDefaultWindow = std::chrono::seconds(10);

  // True when this occurrence is to be logged; then *suppressed is the number left out
  // since the last logged one.
  bool Admit(Clock::time_point now, uint64_t* suppressed,
             Clock::duration window = kDefaultWindow);

 private:
  static constexpr int64_t kNever = INT64_MIN;
  int64_t last_ns_ = kNever;
  uint64_t suppressed_ = 0;
};

// The same for events of the whole process (refused upgrades, say), from any thread.
class SharedLogThrottle {
 public:
  bool Admit(uint64_t* suppressed, LogThrottle::Clock::duration window = LogThrottle::kDefaultWindow) {
    absl::MutexLock lock(&mu_);
    return throttle_.Admit(LogThrottle::Clock::now(), suppressed, window);
  }

 private:
  absl::Mutex mu_;
  LogThrottle throttle_ ABSL_GUARDED_BY(mu_);
};

}  // namespace streamgate::common
