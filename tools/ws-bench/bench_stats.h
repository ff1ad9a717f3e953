#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "tools/ws-bench/resume_stats.h"

namespace streamgate::bench {

using Clock = std::chrono::steady_clock;

// How far the run has come, shared by every driver thread and read by the main thread's
// control loop, which decides from it when the work is done. Counters only grow.
struct RunProgress {
  // Connections whose opening ended, either way (established or failed).
  std::atomic<int64_t> attempts_done{0};
  // Connections with nothing left to do: every reply received, or failed, or dropped.
  std::atomic<int64_t> finished{0};
};

// One reply's timings, milliseconds from the send of its user message.
struct ReplyTimings {
  std::optional<double> start_ms;        // stream_start (gRPC: the `started` message)
  std::optional<double> first_chunk_ms;  // first stream_chunk (gRPC: first delta)
  double end_ms = 0;                     // stream_end (gRPC: status OK after `completed`)
};

// What a share of the connections measured. Each WsWorker owns one and touches it only on
// its thread; the gRPC driver guards its one with a mutex. The control loop merges them
// after the workers have stopped.
class BenchStats {
 public:
  void AddConnectFailure(const std::string& reason) { ++connect_failures_[reason]; }
  void AddEstablished() { ++established_; }
  // An established connection that ended before this tool closed it.
  void AddDropped(const std::string& reason) { ++dropped_[reason]; }
  void AddSent(Clock::time_point when);
  void AddChunk(size_t text_bytes) {
    ++chunks_;
    text_bytes_ += static_cast<int64_t>(text_bytes);
  }
  void AddChunks(int64_t count, size_t text_bytes) {
    chunks_ += count;
    text_bytes_ += static_cast<int64_t>(text_bytes);
  }
  void AddReply(const ReplyTimings& timings, Clock::time_point end);
  void AddError(const std::string& code) { ++errors_[code.empty() ? "(none)" : code]; }
  void AddMismatch() { ++mismatches_; }
  // A user message whose reply neither ended nor failed before the connection went away.
  void AddAbandoned() { ++abandoned_; }
  // A frame or event the protocol does not allow at that point; `what` names the kind.
  void AddViolation(const std::string& what) { ++violations_[what]; }

  // The resume scenario's own figures (empty in the others).
  ResumeStats& resume() { return resume_; }
  const ResumeStats& resume() const { return resume_; }

  void Merge(const BenchStats& other);

  int64_t established() const { return established_; }
  int64_t connect_failed() const;
  int64_t dropped() const;
  int64_t sent() const { return sent_; }
  int64_t completed() const { return completed_; }
  int64_t chunks() const { return chunks_; }
  int64_t text_bytes() const { return text_bytes_; }
  int64_t errors() const;
  int64_t mismatches() const { return mismatches_; }
  int64_t abandoned() const { return abandoned_; }
  int64_t violations() const;
  const std::map<std::string, int64_t>& connect_failures() const { return connect_failures_; }
  const std::map<std::string, int64_t>& dropped_reasons() const { return dropped_; }
  const std::map<std::string, int64_t>& errors_by_code() const { return errors_; }
  const std::map<std::string, int64_t>& violations_by_kind() const { return violations_; }
  const std::vector<double>& start_ms() const { return start_ms_; }
  const std::vector<double>& first_chunk_ms() const { return first_chunk_ms_; }
  const std::vector<double>& end_ms() const { return end_ms_; }
  // From the first user message sent to the last reply ended; the window the rates use.
  std::optional<Clock::duration> busy_window() const;

 private:
  int64_t established_ = 0;
  int64_t sent_ = 0;
  int64_t completed_ = 0;
  int64_t chunks_ = 0;
  int64_t text_bytes_ = 0;
  int64_t mismatches_ = 0;
  int64_t abandoned_ = 0;
  std::map<std::string, int64_t> connect_failures_;
  std::map<std::string, int64_t> dropped_;
  std::map<std::string, int64_t> errors_;
  std::map<std::string, int64_t> violations_;
  std::vector<double> start_ms_;
  std::vector<double> first_chunk_ms_;
  std::vector<double> end_ms_;
  std::optional<Clock::time_point> first_send_;
  std::optional<Clock::time_point> last_end_;
  ResumeStats resume_;
};

struct Percentiles {
  size_t count = 0;
  double p50 = 0;
  double p90 = 0;
  double p99 = 0;
  double max = 0;
  double mean = 0;
};

// Nearest-rank percentiles of `samples` (sorted in place).
Percentiles Summarize(std::vector<double> samples);

double MillisecondsBetween(Clock::time_point from, Clock::time_point to);

}  // namespace streamgate::bench
