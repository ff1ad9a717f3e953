#include "tools/ws-bench/ws_driver.h"

#include <algorithm>
#include <thread>

namespace streamgate::bench {
namespace {

// After the orderly close ran out of time, how long cut sockets get to report back.
constexpr auto kCutGrace = std::chrono::seconds(1);
constexpr auto kPollInterval = std::chrono::milliseconds(10);

}  // namespace

WsDriver::WsDriver(const BenchConfig& config, const Target& target, const ReferenceReply* reference,
                   RunProgress* progress) {
  for (int i = 0; i < config.threads; ++i) {
    workers_.push_back(std::make_unique<WsWorker>(config, target, reference, i, progress));
  }
}

void WsDriver::Start(Clock::time_point start) {
  for (auto& worker : workers_) worker->Start(start);
}

void WsDriver::ReleaseMessages(Clock::time_point go) {
  for (auto& worker : workers_) worker->ReleaseMessages(go);
}

bool WsDriver::AllStopped() const {
  return std::all_of(workers_.begin(), workers_.end(),
                     [](const auto& worker) { return worker->stopped(); });
}

bool WsDriver::WaitAllStopped(Clock::time_point deadline) const {
  while (!AllStopped()) {
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(kPollInterval);
  }
  return true;
}

void WsDriver::Stop(Clock::time_point deadline) {
  bool graceful = Clock::now() < deadline;
  for (auto& worker : workers_) worker->CloseAll(graceful);
  if (!WaitAllStopped(deadline)) {
    for (auto& worker : workers_) worker->CloseAll(/*graceful=*/false);
    if (!WaitAllStopped(Clock::now() + kCutGrace)) {
      for (auto& worker : workers_) worker->ForceStop();
    }
  }
  for (auto& worker : workers_) worker->Join();
}

int64_t WsDriver::attempted() const {
  int64_t total = 0;
  for (const auto& worker : workers_) total += worker->attempted();
  return total;
}

BenchStats WsDriver::TakeStats() {
  BenchStats total;
  for (const auto& worker : workers_) total.Merge(worker->stats());
  return total;
}

}  // namespace streamgate::bench
