#pragma once

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/notification.h"
#include "tools/ws-bench/bench_config.h"
#include "tools/ws-bench/grpc_session.h"
#include "tools/ws-bench/load_driver.h"

namespace streamgate::bench {

// The direct scenario: --connections GrpcSessions over one channel to llm-service, each
// making --messages StreamChat calls, so that the gateway's own share of the latency can be
// told apart. Sessions start from a ramp thread; calls run on gRPC's callback threads.
// Called from the main thread only.
class GrpcDriver : public LoadDriver {
 public:
  // `address` is a resolved "ip:port" (IPv6 in brackets).
  GrpcDriver(const BenchConfig& config, const std::string& address, RunProgress* progress);
  ~GrpcDriver() override;

  void Start(Clock::time_point start) override;
  // Sessions open nothing, so --sync-start needs no waiting here: Ramp spreads their
  // first calls instead.
  void ReleaseMessages(Clock::time_point) override {}
  void Stop(Clock::time_point deadline) override;
  int64_t attempted() const override { return attempted_.load(); }
  BenchStats TakeStats() override;

 private:
  void Ramp(Clock::time_point start);

  std::shared_ptr<GrpcRunState> run_;
  std::vector<std::shared_ptr<GrpcSession>> sessions_;
  std::atomic<int64_t> attempted_{0};
  absl::Notification stop_ramp_;
  std::thread ramp_thread_;
};

}  // namespace streamgate::bench
