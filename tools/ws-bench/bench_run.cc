#include "tools/ws-bench/bench_run.h"

#include <sys/resource.h>

#include <algorithm>
#include <memory>
#include <thread>

#include "tools/ws-bench/grpc_driver.h"
#include "tools/ws-bench/ws_driver.h"

namespace streamgate::bench {
namespace {

// The control loop notices the end of the work this soon; the rates do not depend on it
// (they use the first send and the last reply's end).
constexpr auto kTick = std::chrono::milliseconds(20);
constexpr int kTicksPerSample = 5;
// Orderly closing of every connection may take this long (within --timeout).
constexpr auto kCloseAllowance = std::chrono::seconds(5);

double CpuSeconds(const rusage& usage) {
  auto seconds = [](const timeval& tv) {
    return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6;
  };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

std::string GrpcAddress(const Target& target) {
  const auto& endpoint = target.endpoints.front();
  std::string ip = endpoint.address().to_string();
  if (endpoint.address().is_v6()) ip = "[" + ip + "]";
  return ip + ":" + std::to_string(endpoint.port());
}

}  // namespace

uint64_t RaiseOpenFileLimit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return 0;
  if (limit.rlim_cur < limit.rlim_max) {
    rlimit raised = limit;
    raised.rlim_cur = limit.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &raised) == 0) return raised.rlim_cur;
  }
  return limit.rlim_cur;
}

BenchRun::BenchRun(const BenchConfig& config, const Target& target, uint64_t open_file_limit)
    : config_(config), target_(target), open_file_limit_(open_file_limit) {}

BenchResult BenchRun::Run() {
  BenchResult result;
  result.open_file_limit = open_file_limit_;
  RunProgress progress;
  const Clock::time_point deadline = Clock::now() + std::chrono::seconds(config_.timeout_seconds);
  // Before the clock of the run starts, so that the ramp and the rates leave it out.
  if (config_.resume_mode()) result.reference = FetchReferenceReply(config_, target_, deadline);
  std::unique_ptr<LoadDriver> driver;
  if (config_.grpc_mode()) {
    driver = std::make_unique<GrpcDriver>(config_, GrpcAddress(target_), &progress);
  } else {
    const ReferenceReply* reference = result.reference.has_value() ? &*result.reference : nullptr;
    driver = std::make_unique<WsDriver>(config_, target_, reference, &progress);
  }
  ProcessSampler sampler(config_.server_pids);
  sampler.SampleStart();
  rusage usage_start{};
  getrusage(RUSAGE_SELF, &usage_start);

  const Clock::time_point start = Clock::now();
  const auto hold = std::chrono::seconds(config_.idle_seconds);
  driver->Start(start);
  std::optional<Clock::time_point> hold_start;
  bool released = !config_.sync_start;
  Clock::time_point now = start;
  for (int tick = 1;; ++tick) {
    std::this_thread::sleep_for(kTick);
    now = Clock::now();
    if (tick % kTicksPerSample == 0) sampler.Sample();
    if (!released && progress.attempts_done.load() >= config_.connections) {
      driver->ReleaseMessages(now);
      released = true;
    }
    if (progress.finished.load() >= config_.connections) {
      if (config_.reply_mode()) break;
      // Idle: the hold starts once every connection is open (or failed).
      if (!hold_start.has_value()) hold_start = now;
      if (now - *hold_start >= hold) break;
    }
    if (now >= deadline) {
      result.timed_out = true;
      break;
    }
  }
  // The loaded figures: every connection still open.
  sampler.SampleEnd();
  rusage usage_end{};
  getrusage(RUSAGE_SELF, &usage_end);
  result.duration_s = std::chrono::duration<double>(now - start).count();
  if (hold_start.has_value()) {
    result.hold_s = std::chrono::duration<double>(now - *hold_start).count();
  }
  result.client_cpu_seconds = CpuSeconds(usage_end) - CpuSeconds(usage_start);

  driver->Stop(result.timed_out ? now : std::min(deadline, now + kCloseAllowance));
  result.attempted = driver->attempted();
  result.stats = driver->TakeStats();
  result.servers = sampler.usage();
  rusage usage_final{};
  getrusage(RUSAGE_SELF, &usage_final);
  result.client_max_rss_kb = usage_final.ru_maxrss;
  return result;
}

}  // namespace streamgate::bench
