#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

namespace streamgate::common::metrics {

// The three kinds of series a Registry exports. Each is one series (one label set), made by
// its family at registration and kept at a stable address for the life of the Registry, so
// the code that updates it holds a plain reference. Updates are relaxed atomics from any
// thread: no lock, no allocation (the hot path is a chunk written to a socket). A scrape
// reads them without stopping writers, so a histogram's count may run one observation ahead
// of its sum; Prometheus tolerates that.

// Only goes up (requests, bytes, errors).
class Counter {
 public:
  void Increment(uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  uint64_t Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> value_{0};
};

// Goes up and down (open connections, queued bytes).
class Gauge {
 public:
  void Set(int64_t value) { value_.store(value, std::memory_order_relaxed); }
  void Add(int64_t delta) { value_.fetch_add(delta, std::memory_order_relaxed); }
  void Subtract(int64_t delta) { value_.fetch_sub(delta, std::memory_order_relaxed); }
  int64_t Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<int64_t> value_{0};
};

// Counts observations into fixed buckets. Bounds are upper bounds (inclusive, as Prometheus's
// `le`), strictly increasing; an observation above the last goes to +Inf. The sum is kept in
// integer nano-units (1e-9 of the observed unit) so that Observe is one bucket search and two
// integer atomic adds; that is exact for durations and loses nothing that matters elsewhere.
class Histogram {
 public:
  explicit Histogram(std::span<const double> bounds);

  void Observe(double value);
  void ObserveDuration(std::chrono::nanoseconds elapsed);

  struct Snapshot {
    std::vector<double> bounds;
    std::vector<uint64_t> cumulative;  // one per bound, then +Inf (== count)
    double sum = 0;
  };
  Snapshot Read() const;
  std::span<const double> bounds() const { return bounds_; }

 private:
  void Add(size_t bucket, int64_t nano_units);

  std::vector<double> bounds_;
  std::vector<int64_t> nano_bounds_;  // bounds_ in nano-units, for the duration path
  std::unique_ptr<std::atomic<uint64_t>[]> buckets_;  // bounds_.size() + 1, not cumulative
  std::atomic<int64_t> nano_sum_{0};
};

// The latency buckets every streamgate histogram in seconds uses: from 50 µs, because what
// a gateway adds to a streamed chunk is well under the 10 ms where other exporters start.
std::span<const double> LatencySecondsBuckets();

}  // namespace streamgate::common::metrics
