#pragma once

#include <grpcpp/grpcpp.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "gateway/service_status.h"
#include "streamgate/llm/v1/llm_service.grpc.pb.h"

namespace streamgate::gateway {

// Whether llm-service can be reached and who answers there, as the gateway's clients are
// told it (ServiceStatus). Fed with the channel's connectivity by LlmClient's watcher
// thread: READY is reachable; TRANSIENT_FAILURE and SHUTDOWN are not; IDLE and CONNECTING
// keep what was known (a channel passes through them on every reconnect). Each transition
// is logged once (warn when llm-service goes, info when it comes back), and each time it
// becomes reachable llm-service is asked GetServiceInfo (provider and default model).
//
// Owned by LlmClient. Thread-safe: the watcher thread, gRPC's callback threads (the info
// answer) and the gateway's threads (Current, SetListener) call it. The listener is called
// with every change, in order, from one of the first two, never under mu_.
class LlmReachability {
 public:
  using Listener = std::function<void(const ServiceStatus&)>;
  static constexpr absl::Duration kInfoDeadline = absl::Seconds(5);

  // `channel` null: no GetServiceInfo calls (the rules alone, in tests). `authorization` is
  // the calls' "authorization" metadata (empty for none); never logged.
  LlmReachability(std::string target, std::shared_ptr<grpc::Channel> channel,
                  std::string authorization);
  // Cancels an info call still in flight and waits for its end.
  ~LlmReachability();
  LlmReachability(const LlmReachability&) = delete;
  LlmReachability& operator=(const LlmReachability&) = delete;

  void OnChannelState(grpc_connectivity_state state);
  // SIGTERM: the state is kDraining from now on.
  void SetDraining();
  // Replaces the listener (an empty one removes it); returns once no call of the old one is
  // running, so its captures may go right after.
  void SetListener(Listener listener);
  // The last change published to the listener, with its version: a client told this and
  // then every later change the listener passes on misses none and gets none twice.
  ServiceStatus Current() const;

 private:
  struct InfoCall;

  // Outside mu_: gRPC may run the reaction inline.
  void Launch(const std::shared_ptr<InfoCall>& call);
  void OnInfo(const std::shared_ptr<InfoCall>& call, const grpc::Status& status);
  ServiceStatus StatusLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Publish();

  const std::string target_;
  const std::string authorization_;
  std::unique_ptr<llm::v1::LlmService::Stub> stub_;  // null without a channel

  mutable absl::Mutex mu_;
  bool known_ ABSL_GUARDED_BY(mu_) = false;  // a first READY or failure was seen
  bool reachable_ ABSL_GUARDED_BY(mu_) = false;
  bool draining_ ABSL_GUARDED_BY(mu_) = false;
  absl::Time down_since_ ABSL_GUARDED_BY(mu_);
  std::string provider_ ABSL_GUARDED_BY(mu_);
  std::string model_ ABSL_GUARDED_BY(mu_);
  // Bumped at every reconnect: the answer of an older connection's call is dropped.
  uint64_t connection_ ABSL_GUARDED_BY(mu_) = 0;
  std::shared_ptr<InfoCall> info_call_ ABSL_GUARDED_BY(mu_);  // in flight
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;

  // Held while the listener runs and while a change is computed, so that listeners see
  // the changes in the order they happened. Taken before mu_, never inside it.
  absl::Mutex publish_mu_;
  Listener listener_ ABSL_GUARDED_BY(publish_mu_);
  // Written under publish_mu_ too, read by Current() without waiting for a listener run.
  mutable absl::Mutex published_mu_;
  ServiceStatus published_ ABSL_GUARDED_BY(published_mu_);
};

}  // namespace streamgate::gateway
