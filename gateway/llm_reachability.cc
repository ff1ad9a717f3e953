#include "gateway/llm_reachability.h"

#include <utility>

#include "absl/status/status.h"
#include "absl/time/clock.h"
#include "common/log.h"

namespace streamgate::gateway {

namespace {

const char* StateName(grpc_connectivity_state state) {
  switch (state) {
    case GRPC_CHANNEL_IDLE:
      return "IDLE";
    case GRPC_CHANNEL_CONNECTING:
      return "CONNECTING";
    case GRPC_CHANNEL_READY:
      return "READY";
    case GRPC_CHANNEL_TRANSIENT_FAILURE:
      return "TRANSIENT_FAILURE";
    case GRPC_CHANNEL_SHUTDOWN:
      return "SHUTDOWN";
  }
  return "UNKNOWN";
}

}  // namespace

struct LlmReachability::InfoCall {
  uint64_t connection = 0;
  grpc::ClientContext context;
  llm::v1::GetServiceInfoRequest request;
  llm::v1::ServiceInfo response;
};

LlmReachability::LlmReachability(std::string target, std::shared_ptr<grpc::Channel> channel,
                                 std::string authorization)
    : target_(std::move(target)),
      authorization_(std::move(authorization)),
      stub_(channel ? llm::v1::LlmService::NewStub(channel) : nullptr) {}

LlmReachability::~LlmReachability() {
  absl::MutexLock lock(&mu_);
  stopping_ = true;
  if (info_call_) info_call_->context.TryCancel();
  mu_.Await(absl::Condition(
      +[](std::shared_ptr<InfoCall>* call) { return *call == nullptr; }, &info_call_));
}

void LlmReachability::OnChannelState(grpc_connectivity_state state) {
  bool reachable;
  if (state == GRPC_CHANNEL_READY) {
    reachable = true;
  } else if (state == GRPC_CHANNEL_TRANSIENT_FAILURE || state == GRPC_CHANNEL_SHUTDOWN) {
    reachable = false;
  } else {
    return;  // on the way from one to the other
  }
  std::shared_ptr<InfoCall> launch;
  {
    absl::MutexLock lock(&mu_);
    if (known_ && reachable == reachable_) return;
    auto log = common::Logger("gateway");
    absl::Time now = absl::Now();
    if (reachable) {
      if (!known_) {
        log->info("llm-service reachable target={}", target_);
      } else {
        log->info("llm-service reachable again target={} down_ms={}", target_,
                  absl::ToInt64Milliseconds(now - down_since_));
      }
      ++connection_;
      if (stub_ && !stopping_ && !info_call_) {
        launch = std::make_shared<InfoCall>();
        launch->connection = connection_;
        info_call_ = launch;
      }
    } else {
      log->warn("llm-service unreachable target={} state={} was={}", target_, StateName(state),
                !known_ ? "never_connected" : "connected");
      down_since_ = now;
    }
    known_ = true;
    reachable_ = reachable;
  }
  if (launch) Launch(launch);
  Publish();
}

void LlmReachability::Launch(const std::shared_ptr<InfoCall>& call) {
  call->context.set_deadline(absl::ToChronoTime(absl::Now() + kInfoDeadline));
  if (!authorization_.empty()) call->context.AddMetadata("authorization", authorization_);
  stub_->async()->GetServiceInfo(&call->context, &call->request, &call->response,
                                 [this, call](grpc::Status status) { OnInfo(call, status); });
}

void LlmReachability::OnInfo(const std::shared_ptr<InfoCall>& call, const grpc::Status& status) {
  auto log = common::Logger("gateway");
  bool changed = false;
  std::shared_ptr<InfoCall> again;
  {
    absl::MutexLock lock(&mu_);
    if (status.ok()) {
      log->info("llm-service answers provider={} model={} max_request_bytes={}",
                call->response.provider(), call->response.default_model(),
                call->response.max_request_bytes());
      changed = provider_ != call->response.provider() || model_ != call->response.default_model();
      provider_ = call->response.provider();
      model_ = call->response.default_model();
    } else if (!stopping_) {
      log->warn("llm-service GetServiceInfo failed target={} grpc_status={} detail=\"{}\"", target_,
                absl::StatusCodeToString(static_cast<absl::StatusCode>(status.error_code())),
                status.error_message());
    }
    info_call_.reset();
    // Reconnected while the call ran: ask the new connection.
    if (!stopping_ && reachable_ && call->connection != connection_ && stub_) {
      again = std::make_shared<InfoCall>();
      again->connection = connection_;
      info_call_ = again;
    }
  }
  if (again) Launch(again);
  if (changed) Publish();
}

void LlmReachability::SetDraining() {
  {
    absl::MutexLock lock(&mu_);
    draining_ = true;
  }
  Publish();
}

void LlmReachability::SetListener(Listener listener) {
  absl::MutexLock lock(&publish_mu_);
  listener_ = std::move(listener);
}

ServiceStatus LlmReachability::Current() const {
  absl::MutexLock lock(&published_mu_);
  return published_;
}

ServiceStatus LlmReachability::StatusLocked() const {
  ServiceStatus status;
  status.state = draining_    ? ServiceState::kDraining
                 : reachable_ ? ServiceState::kReady
                              : ServiceState::kUnavailable;
  status.provider = provider_;
  status.model = model_;
  return status;
}

void LlmReachability::Publish() {
  absl::MutexLock publish(&publish_mu_);
  ServiceStatus now;
  {
    absl::MutexLock lock(&mu_);
    now = StatusLocked();
  }
  {
    absl::MutexLock lock(&published_mu_);
    if (now == published_) return;
    now.version = published_.version + 1;
    published_ = now;
  }
  if (listener_) listener_(now);
}

}  // namespace streamgate::gateway
