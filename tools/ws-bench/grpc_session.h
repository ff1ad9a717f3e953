#pragma once

#include <grpcpp/alarm.h>
#include <grpcpp/grpcpp.h>

#include <atomic>
#include <memory>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "streamgate/llm/v1/llm_service.grpc.pb.h"
#include "tools/ws-bench/bench_config.h"
#include "tools/ws-bench/bench_stats.h"

namespace streamgate::bench {

// What every GrpcSession of a run shares. Owned jointly (shared_ptr) by GrpcDriver and the
// sessions, so that a call ending late never reaches freed memory.
struct GrpcRunState {
  BenchConfig config;
  std::unique_ptr<llm::v1::LlmService::Stub> stub;
  RunProgress* progress = nullptr;
  std::atomic<bool> stopping{false};
  // Calls in flight plus think alarms pending; the driver stops once it is zero.
  std::atomic<int64_t> live_work{0};
  absl::Mutex mu;
  BenchStats stats ABSL_GUARDED_BY(mu);
};

// One logical client of llm-service: --messages StreamChat calls, one after another, as one
// WebSocket connection would make them through the gateway. At most one call is live; it
// runs on gRPC's callback threads, and the next call is started from the previous one's
// OnDone (or from an alarm, with --think-ms), so the session's fields are handed from one
// reaction to the next and never touched concurrently. Only `active_` is reached from
// another thread (Cancel, from the main thread) and is guarded by mu_.
class GrpcSession : public std::enable_shared_from_this<GrpcSession> {
 public:
  GrpcSession(std::shared_ptr<GrpcRunState> run, int index);

  // Starts the first call (the ramp thread).
  void Start();
  // Any thread: cancels the live call, if any; no further call starts once stopping is set.
  void Cancel();

 private:
  class Call;
  void StartCall();
  void OnCallDone(Call* call, const grpc::Status& status);
  void ScheduleNext();
  // Nothing more to do for the scenario; counted once.
  void Finish();

  const std::shared_ptr<GrpcRunState> run_;
  const int index_;
  int messages_done_ = 0;
  bool established_ = false;
  bool finished_ = false;

  absl::Mutex mu_;
  Call* active_ ABSL_GUARDED_BY(mu_) = nullptr;
  std::unique_ptr<grpc::Alarm> think_alarm_ ABSL_GUARDED_BY(mu_);  // only with --think-ms
};

}  // namespace streamgate::bench
