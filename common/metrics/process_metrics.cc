#include "common/metrics/process_metrics.h"

#include <sys/resource.h>
#include <unistd.h>

#include <charconv>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "common/metrics/registry.h"
#include "common/version.h"

namespace streamgate::common::metrics {
namespace {

std::string ReadFile(const char* path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::optional<ProcessStat> ReadSelfStat() {
  return ParseProcessStat(ReadFile("/proc/self/stat"), sysconf(_SC_CLK_TCK), sysconf(_SC_PAGESIZE));
}

// The boot time in seconds since the epoch ("btime" in /proc/stat), to turn the process's
// start (ticks since boot) into a timestamp.
double BootTimeSeconds() {
  std::istringstream in(ReadFile("/proc/stat"));
  std::string key;
  while (in >> key) {
    if (key == "btime") {
      double seconds = 0;
      in >> seconds;
      return seconds;
    }
    in.ignore(std::numeric_limits<std::streamsize>::max(), '\n');
  }
  return 0;
}

double OpenFds() {
  std::error_code ec;
  double count = 0;
  for (std::filesystem::directory_iterator it("/proc/self/fd", ec), end; !ec && it != end;
       it.increment(ec)) {
    ++count;
  }
  return count;
}

double MaxFds() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY) return 0;
  return static_cast<double>(limit.rlim_cur);
}

}  // namespace

std::optional<ProcessStat> ParseProcessStat(std::string_view text, long ticks_per_second,
                                            long page_bytes) {
  // "pid (comm) state ppid ...": the fields after the last ')' are space-separated, the
  // state being field 3 of proc(5).
  size_t close = text.rfind(')');
  if (close == std::string_view::npos || ticks_per_second <= 0) return std::nullopt;
  std::vector<std::string_view> fields;
  size_t at = close + 1;
  while (at < text.size()) {
    while (at < text.size() && (text[at] == ' ' || text[at] == '\n')) ++at;
    size_t end = at;
    while (end < text.size() && text[end] != ' ' && text[end] != '\n') ++end;
    if (end > at) fields.push_back(text.substr(at, end - at));
    at = end;
  }
  // fields[0] is proc(5)'s field 3, so field N is fields[N - 3].
  auto field = [&](int n, double* out) {
    size_t index = static_cast<size_t>(n - 3);
    if (index >= fields.size()) return false;
    unsigned long long value = 0;
    auto [end, ec] =
        std::from_chars(fields[index].data(), fields[index].data() + fields[index].size(), value);
    if (ec != std::errc() || end != fields[index].data() + fields[index].size()) return false;
    *out = static_cast<double>(value);
    return true;
  };
  double utime = 0, stime = 0, start = 0, vsize = 0, rss = 0;
  if (!field(14, &utime) || !field(15, &stime) || !field(22, &start) || !field(23, &vsize) ||
      !field(24, &rss)) {
    return std::nullopt;
  }
  auto ticks = static_cast<double>(ticks_per_second);
  return ProcessStat{(utime + stime) / ticks, start / ticks, vsize,
                     rss * static_cast<double>(page_bytes)};
}

void RegisterProcessMetrics(Registry& registry) {
  registry.AddCounterFunction("process_cpu_seconds_total",
                              "Total user and system CPU time spent in seconds.", {}, [] {
                                auto stat = ReadSelfStat();
                                return stat ? stat->cpu_seconds : 0;
                              });
  registry.AddGaugeFunction("process_resident_memory_bytes", "Resident memory size in bytes.", {},
                            [] {
                              auto stat = ReadSelfStat();
                              return stat ? stat->resident_bytes : 0;
                            });
  registry.AddGaugeFunction("process_virtual_memory_bytes", "Virtual memory size in bytes.", {},
                            [] {
                              auto stat = ReadSelfStat();
                              return stat ? stat->virtual_bytes : 0;
                            });
  registry.AddGaugeFunction("process_open_fds", "Number of open file descriptors.", {}, OpenFds);
  registry.AddGaugeFunction("process_max_fds", "Maximum number of open file descriptors.", {},
                            MaxFds);
  // Fixed for the process's life: read once.
  auto stat = ReadSelfStat();
  double start = BootTimeSeconds() + (stat ? stat->start_seconds : 0);
  registry.AddGaugeFunction("process_start_time_seconds",
                            "Start time of the process since unix epoch in seconds.", {},
                            [start] { return start; });
  registry
      .AddGauge("streamgate_build_info",
                "The running build: its version and git revision (empty when not built from "
                "git); always 1.",
                {{"version", std::string(Version())}, {"revision", std::string(Revision())}})
      .Set(1);
}

}  // namespace streamgate::common::metrics
