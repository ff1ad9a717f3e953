#include "tools/ws-bench/process_sampler.h"

#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace streamgate::bench {
namespace {

absl::StatusOr<std::string> ReadProcFile(int pid, const char* name) {
  std::ifstream in(absl::StrCat("/proc/", pid, "/", name));
  if (!in) return absl::NotFoundError(absl::StrCat("no process ", pid));
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

absl::StatusOr<int64_t> ReadRssKb(int pid) {
  auto status = ReadProcFile(pid, "status");
  if (!status.ok()) return status.status();
  for (absl::string_view line : absl::StrSplit(*status, '\n')) {
    if (!absl::ConsumePrefix(&line, "VmRSS:")) continue;
    // "VmRSS:\t   12345 kB"
    std::vector<absl::string_view> parts =
        absl::StrSplit(line, absl::ByAnyChar(" \t"), absl::SkipEmpty());
    int64_t kb = 0;
    if (parts.empty() || !absl::SimpleAtoi(absl::StripAsciiWhitespace(parts[0]), &kb)) break;
    return kb;
  }
  return absl::DataLossError(absl::StrCat("no VmRSS for process ", pid));
}

absl::StatusOr<double> ReadCpuSeconds(int pid) {
  auto stat = ReadProcFile(pid, "stat");
  if (!stat.ok()) return stat.status();
  // The command name (field 2) is in parentheses and may hold spaces or ')', so count
  // fields from the last ')': state is field 3, utime 14, stime 15.
  size_t close = stat->rfind(')');
  if (close == std::string::npos) return absl::DataLossError("malformed /proc stat");
  std::vector<absl::string_view> fields =
      absl::StrSplit(absl::string_view(*stat).substr(close + 1), ' ', absl::SkipWhitespace());
  constexpr size_t kUtime = 14 - 3;
  constexpr size_t kStime = 15 - 3;
  int64_t utime = 0;
  int64_t stime = 0;
  if (fields.size() <= kStime || !absl::SimpleAtoi(fields[kUtime], &utime) ||
      !absl::SimpleAtoi(fields[kStime], &stime)) {
    return absl::DataLossError("malformed /proc stat");
  }
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

ProcessSampler::ProcessSampler(std::vector<int> pids) {
  for (int pid : pids) {
    ProcessUsage usage;
    usage.pid = pid;
    usage_.push_back(usage);
  }
  cpu_start_.resize(usage_.size());
}

void ProcessSampler::SampleStart() {
  for (size_t i = 0; i < usage_.size(); ++i) {
    ProcessUsage& usage = usage_[i];
    if (auto rss = ReadRssKb(usage.pid); rss.ok()) {
      usage.rss_kb_start = *rss;
      usage.rss_kb_peak = *rss;
    } else {
      usage.vanished = true;
    }
    if (auto cpu = ReadCpuSeconds(usage.pid); cpu.ok()) cpu_start_[i] = *cpu;
  }
}

void ProcessSampler::Sample() {
  for (ProcessUsage& usage : usage_) {
    auto rss = ReadRssKb(usage.pid);
    if (!rss.ok()) {
      usage.vanished = true;
      continue;
    }
    usage.rss_kb_peak = std::max(usage.rss_kb_peak.value_or(0), *rss);
  }
}

void ProcessSampler::SampleEnd() {
  Sample();
  for (size_t i = 0; i < usage_.size(); ++i) {
    ProcessUsage& usage = usage_[i];
    if (auto rss = ReadRssKb(usage.pid); rss.ok()) usage.rss_kb_end = *rss;
    auto cpu = ReadCpuSeconds(usage.pid);
    if (cpu.ok() && cpu_start_[i].has_value()) usage.cpu_seconds = *cpu - *cpu_start_[i];
  }
}

}  // namespace streamgate::bench
