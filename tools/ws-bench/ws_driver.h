#pragma once

#include <memory>
#include <vector>

#include "tools/ws-bench/bench_config.h"
#include "tools/ws-bench/load_driver.h"
#include "tools/ws-bench/ws_worker.h"

namespace streamgate::bench {

// The WebSocket scenarios: --threads WsWorkers, each with its share of the connections.
// Called from the main thread only.
class WsDriver : public LoadDriver {
 public:
  // `reference`: the resume scenario's reference reply (null in the others).
  WsDriver(const BenchConfig& config, const Target& target, const ReferenceReply* reference,
           RunProgress* progress);

  void Start(Clock::time_point start) override;
  void ReleaseMessages(Clock::time_point go) override;
  void Stop(Clock::time_point deadline) override;
  int64_t attempted() const override;
  BenchStats TakeStats() override;

 private:
  bool AllStopped() const;
  bool WaitAllStopped(Clock::time_point deadline) const;

  std::vector<std::unique_ptr<WsWorker>> workers_;
};

}  // namespace streamgate::bench
