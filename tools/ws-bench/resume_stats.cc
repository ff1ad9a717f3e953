#include "tools/ws-bench/resume_stats.h"

#include <algorithm>

namespace streamgate::bench {

int64_t ResumeStats::failed() const {
  int64_t total = 0;
  for (const auto& [reason, count] : failures_) total += count;
  return total;
}

void ResumeStats::Merge(const ResumeStats& other) {
  resumed_ += other.resumed_;
  completed_ += other.completed_;
  lost_chunks_ += other.lost_chunks_;
  duplicated_chunks_ += other.duplicated_chunks_;
  text_mismatches_ += other.text_mismatches_;
  replayed_frames_ += other.replayed_frames_;
  replayed_max_ = std::max(replayed_max_, other.replayed_max_);
  for (const auto& [reason, count] : other.failures_) failures_[reason] += count;
  latency_ms_.insert(latency_ms_.end(), other.latency_ms_.begin(), other.latency_ms_.end());
}

}  // namespace streamgate::bench
