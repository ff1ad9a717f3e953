#pragma once

#include <chrono>
#include <cstdint>

namespace streamgate::common {

// A token bucket split in two: the rule (rate and burst, from configuration, shared) and the
// state (16 bytes, one per limited thing: a connection, an identity, an address), so that
// what every idle connection carries stays small. A bucket starts full. Not thread-safe:
// the owner of the state serialises access (a strand, or the lock of the table holding it).
struct TokenBucket {
  static constexpr int64_t kNever = INT64_MIN;
  double tokens = 0;
  int64_t last_ns = kNever;  // steady-clock time of the last update; kNever: full, unused
};

class TokenBucketRule {
 public:
  using Clock = std::chrono::steady_clock;

  // `rate` tokens per second, at most `burst` stored. A rate of 0 means "no limit".
  TokenBucketRule(double rate, double burst) : rate_(rate), burst_(burst > 0 ? burst : rate) {}

  bool enabled() const { return rate_ > 0; }
  double burst() const { return burst_; }

  // Takes `n` tokens if the bucket holds them. Otherwise takes nothing and, when asked,
  // says how long until it would hold them (a request larger than the burst waits for
  // the bucket to be full, which is the best it can do).
  bool TryTake(TokenBucket& bucket, Clock::time_point now, double n = 1,
               Clock::duration* retry_after = nullptr) const;
  // Takes `n` tokens even past zero (a debt later refills pay off): reconciling a
  // reservation that turned out too small.
  void ForceTake(TokenBucket& bucket, Clock::time_point now, double n) const;
  // Gives back `n` tokens (a reservation larger than the use), never beyond the burst.
  void Give(TokenBucket& bucket, Clock::time_point now, double n) const;
  // Whether the bucket is full, i.e. indistinguishable from a fresh one (tables drop it).
  bool IsFull(TokenBucket& bucket, Clock::time_point now) const;

 private:
  void Refill(TokenBucket& bucket, Clock::time_point now) const;

  double rate_;
  double burst_;
};

}  // namespace streamgate::common
