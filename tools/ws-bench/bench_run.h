#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "tools/ws-bench/bench_config.h"
#include "tools/ws-bench/bench_stats.h"
#include "tools/ws-bench/process_sampler.h"
#include "tools/ws-bench/reference_reply.h"

namespace streamgate::bench {

// Everything one run measured, for the report.
struct BenchResult {
  BenchStats stats;
  int64_t attempted = 0;
  std::vector<ProcessUsage> servers;
  bool timed_out = false;
  double duration_s = 0;          // first connection attempt -> work done (before closing)
  double hold_s = 0;              // idle scenario: how long every connection was held open
  double client_cpu_seconds = 0;  // this process, over the same span
  int64_t client_max_rss_kb = 0;
  uint64_t open_file_limit = 0;
  std::optional<ReferenceReply> reference;  // the resume scenario's
};

// Runs one scenario from the main thread: (resume: fetches the reference reply first, within
// --timeout) starts the driver (WebSocket or gRPC), watches its
// progress, samples the servers, decides when the work is done (every reply received, or
// the idle hold over, or --timeout reached), then stops the driver within the bound.
class BenchRun {
 public:
  BenchRun(const BenchConfig& config, const Target& target, uint64_t open_file_limit);

  BenchResult Run();

 private:
  const BenchConfig& config_;
  const Target& target_;
  const uint64_t open_file_limit_;
};

// Raises this process's RLIMIT_NOFILE soft limit to the hard limit (each connection is one
// descriptor) and returns the limit now in force.
uint64_t RaiseOpenFileLimit();

}  // namespace streamgate::bench
