#include "tools/ws-bench/bench_stats.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace streamgate::bench {
namespace {

int64_t Total(const std::map<std::string, int64_t>& counts) {
  int64_t total = 0;
  for (const auto& [key, count] : counts) total += count;
  return total;
}

void MergeCounts(const std::map<std::string, int64_t>& from, std::map<std::string, int64_t>* to) {
  for (const auto& [key, count] : from) (*to)[key] += count;
}

void Append(const std::vector<double>& from, std::vector<double>* to) {
  to->insert(to->end(), from.begin(), from.end());
}

}  // namespace

double MillisecondsBetween(Clock::time_point from, Clock::time_point to) {
  return std::chrono::duration<double, std::milli>(to - from).count();
}

void BenchStats::AddSent(Clock::time_point when) {
  ++sent_;
  if (!first_send_.has_value() || when < *first_send_) first_send_ = when;
}

void BenchStats::AddReply(const ReplyTimings& timings, Clock::time_point end) {
  ++completed_;
  if (timings.start_ms.has_value()) start_ms_.push_back(*timings.start_ms);
  if (timings.first_chunk_ms.has_value()) first_chunk_ms_.push_back(*timings.first_chunk_ms);
  end_ms_.push_back(timings.end_ms);
  if (!last_end_.has_value() || end > *last_end_) last_end_ = end;
}

int64_t BenchStats::connect_failed() const { return Total(connect_failures_); }
int64_t BenchStats::dropped() const { return Total(dropped_); }
int64_t BenchStats::errors() const { return Total(errors_); }
int64_t BenchStats::violations() const { return Total(violations_); }

std::optional<Clock::duration> BenchStats::busy_window() const {
  if (!first_send_.has_value() || !last_end_.has_value()) return std::nullopt;
  return *last_end_ - *first_send_;
}

void BenchStats::Merge(const BenchStats& other) {
  established_ += other.established_;
  sent_ += other.sent_;
  completed_ += other.completed_;
  chunks_ += other.chunks_;
  text_bytes_ += other.text_bytes_;
  mismatches_ += other.mismatches_;
  abandoned_ += other.abandoned_;
  MergeCounts(other.connect_failures_, &connect_failures_);
  MergeCounts(other.dropped_, &dropped_);
  MergeCounts(other.errors_, &errors_);
  MergeCounts(other.violations_, &violations_);
  Append(other.start_ms_, &start_ms_);
  Append(other.first_chunk_ms_, &first_chunk_ms_);
  Append(other.end_ms_, &end_ms_);
  resume_.Merge(other.resume_);
  if (other.first_send_.has_value() &&
      (!first_send_.has_value() || *other.first_send_ < *first_send_)) {
    first_send_ = other.first_send_;
  }
  if (other.last_end_.has_value() && (!last_end_.has_value() || *other.last_end_ > *last_end_)) {
    last_end_ = other.last_end_;
  }
}

Percentiles Summarize(std::vector<double> samples) {
  Percentiles result;
  if (samples.empty()) return result;
  std::sort(samples.begin(), samples.end());
  result.count = samples.size();
  // Nearest rank: the smallest sample with at least q of all samples at or below it.
  auto rank = [&samples](double q) {
    size_t index = static_cast<size_t>(std::ceil(q * static_cast<double>(samples.size())));
    return samples[std::clamp<size_t>(index, 1, samples.size()) - 1];
  };
  result.p50 = rank(0.50);
  result.p90 = rank(0.90);
  result.p99 = rank(0.99);
  result.max = samples.back();
  result.mean =
      std::accumulate(samples.begin(), samples.end(), 0.0) / static_cast<double>(samples.size());
  return result;
}

}  // namespace streamgate::bench
