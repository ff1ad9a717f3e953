#pragma once

#include <optional>
#include <string_view>

namespace streamgate::common::metrics {

class Registry;

// Registers the standard process series every Prometheus exporter has
// (process_cpu_seconds_total, process_resident_memory_bytes, process_virtual_memory_bytes,
// process_open_fds, process_max_fds, process_start_time_seconds), read from /proc at each
// scrape, and streamgate_build_info{version,revision} 1. Called once by main.
void RegisterProcessMetrics(Registry& registry);

// One reading of /proc/self/stat, for the series above; exposed for tests.
struct ProcessStat {
  double cpu_seconds = 0;    // user + system
  double start_seconds = 0;  // since boot
  double virtual_bytes = 0;
  double resident_bytes = 0;
};
// Parses the text of /proc/<pid>/stat (the command name may hold spaces and parentheses).
std::optional<ProcessStat> ParseProcessStat(std::string_view text, long ticks_per_second,
                                            long page_bytes);

}  // namespace streamgate::common::metrics
