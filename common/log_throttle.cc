#include "common/log_throttle.h"

namespace streamgate::common {

bool LogThrottle::Admit(Clock::time_point now, uint64_t* suppressed, Clock::duration window) {
  int64_t now_ns =
      std::chrono::duration_cast<std::chrono::nanoseconds>(now.time_since_epoch()).count();
  int64_t window_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(window).count();
  if (last_ns_ != kNever && now_ns - last_ns_ < window_ns) {
    ++suppressed_;
    return false;
  }
  *suppressed = suppressed_;
  suppressed_ = 0;
  last_ns_ = now_ns;
  return true;
}

}  // namespace streamgate::common
