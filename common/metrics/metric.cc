#include "common/metrics/metric.h"

#include <algorithm>
#include <array>
#include <cmath>

#include "common/fatal.h"

namespace streamgate::common::metrics {
namespace {

constexpr double kNanoUnitsPerUnit = 1e9;

int64_t ToNanoUnits(double value) {
  // Beyond ±9e9 units (285 years in seconds) a value is junk; clamped, it cannot overflow
  // the sum, and its bucket still counts it.
  constexpr double kLimit = 9e9;
  return std::llround(std::clamp(value, -kLimit, kLimit) * kNanoUnitsPerUnit);
}

}  // namespace

Histogram::Histogram(std::span<const double> bounds)
    : bounds_(bounds.begin(), bounds.end()),
      buckets_(std::make_unique<std::atomic<uint64_t>[]>(bounds.size() + 1)) {
  for (size_t i = 0; i < bounds_.size(); ++i) {
    if (!std::isfinite(bounds_[i]) || (i > 0 && bounds_[i] <= bounds_[i - 1])) {
      Fatal("metrics", "histogram bounds must be finite and strictly increasing");
    }
    nano_bounds_.push_back(ToNanoUnits(bounds_[i]));
  }
}

void Histogram::Observe(double value) {
  if (std::isnan(value)) return;  // belongs in no bucket; a bug upstream, not worth a crash
  auto bucket = static_cast<size_t>(std::lower_bound(bounds_.begin(), bounds_.end(), value) -
                                    bounds_.begin());
  Add(bucket, ToNanoUnits(value));
}

void Histogram::ObserveDuration(std::chrono::nanoseconds elapsed) {
  int64_t nanos = elapsed.count();
  auto bucket = static_cast<size_t>(
      std::lower_bound(nano_bounds_.begin(), nano_bounds_.end(), nanos) - nano_bounds_.begin());
  Add(bucket, nanos);
}

void Histogram::Add(size_t bucket, int64_t nano_units) {
  buckets_[bucket].fetch_add(1, std::memory_order_relaxed);
  nano_sum_.fetch_add(nano_units, std::memory_order_relaxed);
}

Histogram::Snapshot Histogram::Read() const {
  Snapshot snapshot;
  snapshot.bounds = bounds_;
  uint64_t running = 0;
  for (size_t i = 0; i <= bounds_.size(); ++i) {
    running += buckets_[i].load(std::memory_order_relaxed);
    snapshot.cumulative.push_back(running);
  }
  snapshot.sum = static_cast<double>(nano_sum_.load(std::memory_order_relaxed)) / kNanoUnitsPerUnit;
  return snapshot;
}

std::span<const double> LatencySecondsBuckets() {
  static constexpr std::array<double, 21> kBounds = {
      0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
      0.25,    0.5,    1,       2.5,    5,     10,     30,    60,   120,   300};
  return kBounds;
}

}  // namespace streamgate::common::metrics
