#include "tools/ws-bench/grpc_driver.h"

#include "absl/time/clock.h"

namespace streamgate::bench {
namespace {

// After the deadline, how long cancelled calls get to report back (cancellation is local,
// so this is plenty).
constexpr auto kCancelGrace = std::chrono::seconds(2);

grpc::ChannelArguments ChannelArgs() {
  grpc::ChannelArguments args;
  // The same reconnect backoff the gateway uses, so a late llm-service start costs the same.
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
  return args;
}

}  // namespace

GrpcDriver::GrpcDriver(const BenchConfig& config, const std::string& address, RunProgress* progress)
    : run_(std::make_shared<GrpcRunState>()) {
  run_->config = config;
  run_->progress = progress;
  auto channel =
      grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), ChannelArgs());
  run_->stub = llm::v1::LlmService::NewStub(channel);
  sessions_.reserve(static_cast<size_t>(config.connections));
  for (int i = 0; i < config.connections; ++i) {
    sessions_.push_back(std::make_shared<GrpcSession>(run_, i));
  }
}

GrpcDriver::~GrpcDriver() {
  if (!stop_ramp_.HasBeenNotified()) stop_ramp_.Notify();
  if (ramp_thread_.joinable()) ramp_thread_.join();
}

void GrpcDriver::Start(Clock::time_point start) {
  ramp_thread_ = std::thread([this, start] { Ramp(start); });
}

void GrpcDriver::Ramp(Clock::time_point start) {
  const BenchConfig& config = run_->config;
  const int rate = config.ramp_per_sec;
  for (size_t i = 0; i < sessions_.size(); ++i) {
    // --sync-start: the first calls spread over --start-spread-ms, as over the WebSocket
    // connections once all are open; otherwise at the ramp rate.
    double offset_s = config.sync_start ? config.start_spread_ms / 1000.0 * static_cast<double>(i) /
                                              config.connections
                                        : (rate > 0 ? static_cast<double>(i) / rate : 0.0);
    if (offset_s > 0) {
      auto due = start + std::chrono::duration_cast<Clock::duration>(
                             std::chrono::duration<double>(offset_s));
      absl::Duration wait = absl::FromChrono(due - Clock::now());
      if (wait > absl::ZeroDuration() && stop_ramp_.WaitForNotificationWithTimeout(wait)) return;
    }
    if (stop_ramp_.HasBeenNotified()) return;
    ++attempted_;
    sessions_[i]->Start();
  }
}

void GrpcDriver::Stop(Clock::time_point deadline) {
  run_->stopping.store(true);
  if (!stop_ramp_.HasBeenNotified()) stop_ramp_.Notify();
  if (ramp_thread_.joinable()) ramp_thread_.join();
  for (auto& session : sessions_) session->Cancel();
  Clock::time_point give_up = std::max(deadline, Clock::now()) + kCancelGrace;
  while (run_->live_work.load() > 0 && Clock::now() < give_up) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

BenchStats GrpcDriver::TakeStats() {
  absl::MutexLock lock(&run_->mu);
  return run_->stats;
}

}  // namespace streamgate::bench
