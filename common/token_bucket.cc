#include "common/token_bucket.h"

#include <algorithm>
#include <cmath>

namespace streamgate::common {

void TokenBucketRule::Refill(TokenBucket& bucket, Clock::time_point now) const {
  int64_t now_ns =
      std::chrono::duration_cast<std::chrono::nanoseconds>(now.time_since_epoch()).count();
  if (bucket.last_ns == TokenBucket::kNever) {
    bucket.tokens = burst_;
  } else if (now_ns > bucket.last_ns) {
    double elapsed = static_cast<double>(now_ns - bucket.last_ns) / 1e9;
    bucket.tokens = std::min(burst_, bucket.tokens + elapsed * rate_);
  }
  bucket.last_ns = std::max(bucket.last_ns, now_ns);
}

bool TokenBucketRule::TryTake(TokenBucket& bucket, Clock::time_point now, double n,
                              Clock::duration* retry_after) const {
  if (!enabled()) return true;
  Refill(bucket, now);
  if (bucket.tokens >= n) {
    bucket.tokens -= n;
    return true;
  }
  if (retry_after != nullptr) {
    double missing = std::min(n, burst_) - bucket.tokens;
    double seconds = std::max(0.0, missing / rate_);
    *retry_after = std::chrono::duration_cast<Clock::duration>(
        std::chrono::duration<double>(std::ceil(seconds * 1000.0) / 1000.0));
  }
  return false;
}

void TokenBucketRule::ForceTake(TokenBucket& bucket, Clock::time_point now, double n) const {
  if (!enabled()) return;
  Refill(bucket, now);
  bucket.tokens -= n;
}

void TokenBucketRule::Give(TokenBucket& bucket, Clock::time_point now, double n) const {
  if (!enabled()) return;
  Refill(bucket, now);
  bucket.tokens = std::min(burst_, bucket.tokens + n);
}

bool TokenBucketRule::IsFull(TokenBucket& bucket, Clock::time_point now) const {
  if (!enabled()) return true;
  Refill(bucket, now);
  return bucket.tokens >= burst_;
}

}  // namespace streamgate::common
