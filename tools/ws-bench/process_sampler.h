#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "absl/status/statusor.h"

namespace streamgate::bench {

// One server process's resource use over the run, as the kernel reports it.
struct ProcessUsage {
  int pid = 0;
  std::optional<int64_t> rss_kb_start;  // before the first connection
  std::optional<int64_t> rss_kb_peak;   // highest sample while the run was busy
  std::optional<int64_t> rss_kb_end;    // when the work was done, connections still open
  std::optional<double> cpu_seconds;    // user + system time spent between start and end
  bool vanished = false;                // the process was gone at some sample
};

// Samples the RSS (/proc/PID/status VmRSS) and CPU time (/proc/PID/stat utime+stime) of the
// server processes named by --server-pid. Used from the main thread only.
class ProcessSampler {
 public:
  explicit ProcessSampler(std::vector<int> pids);

  void SampleStart();
  // Folds one sample into the peaks; called every control-loop tick.
  void Sample();
  // The loaded figures: the end of the idle hold or of the last reply, before closing.
  void SampleEnd();

  const std::vector<ProcessUsage>& usage() const { return usage_; }

 private:
  std::vector<ProcessUsage> usage_;
  std::vector<std::optional<double>> cpu_start_;
};

// VmRSS of `pid` in kB.
absl::StatusOr<int64_t> ReadRssKb(int pid);
// utime + stime of `pid` in seconds.
absl::StatusOr<double> ReadCpuSeconds(int pid);

}  // namespace streamgate::bench
