#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace streamgate::bench {

// What the resume scenario measured over a share of its sessions. Lives inside BenchStats,
// so it has the same owner and thread (one per WsWorker, merged after the workers stopped).
class ResumeStats {
 public:
  // session_resumed came, `latency_ms` after the reconnect began, after `replayed` frames.
  void AddResumed(double latency_ms, int64_t replayed) {
    ++resumed_;
    latency_ms_.push_back(latency_ms);
    replayed_frames_ += replayed;
    if (replayed > replayed_max_) replayed_max_ = replayed;
  }
  // The reply ended whole and exactly once after the resume.
  void AddCompleted() { ++completed_; }
  // A session that did not complete; counted once per session, by its first reason.
  void AddFailure(const std::string& reason) { ++failures_[reason]; }
  void AddLostChunks(int64_t count) { lost_chunks_ += count; }
  void AddDuplicatedChunks(int64_t count) { duplicated_chunks_ += count; }
  void AddTextMismatch() { ++text_mismatches_; }

  void Merge(const ResumeStats& other);

  int64_t resumed() const { return resumed_; }
  int64_t completed() const { return completed_; }
  int64_t failed() const;
  int64_t lost_chunks() const { return lost_chunks_; }
  int64_t duplicated_chunks() const { return duplicated_chunks_; }
  int64_t text_mismatches() const { return text_mismatches_; }
  int64_t replayed_frames() const { return replayed_frames_; }
  int64_t replayed_max() const { return replayed_max_; }
  const std::map<std::string, int64_t>& failure_reasons() const { return failures_; }
  // Reconnect (TCP connect) -> session_resumed, one sample per resumed session.
  const std::vector<double>& latency_ms() const { return latency_ms_; }

 private:
  int64_t resumed_ = 0;
  int64_t completed_ = 0;
  int64_t lost_chunks_ = 0;
  int64_t duplicated_chunks_ = 0;
  int64_t text_mismatches_ = 0;
  int64_t replayed_frames_ = 0;
  int64_t replayed_max_ = 0;
  std::map<std::string, int64_t> failures_;
  std::vector<double> latency_ms_;
};

}  // namespace streamgate::bench
