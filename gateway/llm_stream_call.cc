#include "gateway/llm_stream_call.h"

#include <boost/asio/post.hpp>

#include "absl/time/clock.h"

namespace streamgate::gateway {

namespace net = boost::asio;

LlmStreamCall::LlmStreamCall(uint64_t call_id, net::any_io_executor executor,
                             std::weak_ptr<LlmCallObserver> observer)
    : call_id_(call_id), executor_(std::move(executor)), observer_(std::move(observer)) {}

namespace {

// A slice that owns the encoded request, so it goes to gRPC without another copy.
grpc::ByteBuffer OwningBuffer(std::string bytes) {
  auto* owned = new std::string(std::move(bytes));
  grpc::Slice slice(
      owned->data(), owned->size(), [](void* data) { delete static_cast<std::string*>(data); },
      owned);
  return grpc::ByteBuffer(&slice, 1);
}

}  // namespace

std::shared_ptr<LlmStreamCall> LlmStreamCall::Start(LlmClient::ReplyStub* stub, std::string request,
                                                    absl::Duration timeout,
                                                    const std::string& traceparent,
                                                    uint64_t call_id,
                                                    net::any_io_executor executor,
                                                    std::weak_ptr<LlmCallObserver> observer) {
  auto call = std::make_shared<LlmStreamCall>(call_id, std::move(executor), std::move(observer));
  call->self_ = call;
  call->request_ = OwningBuffer(std::move(request));
  call->context_.set_deadline(absl::ToChronoTime(absl::Now() + timeout));
  // Wait for llm-service to (re)connect instead of failing at once while the channel is in
  // reconnect backoff; the session bounds that wait (connect_timeout) itself.
  call->context_.set_wait_for_ready(true);
  if (!stub->authorization.empty()) {
    call->context_.AddMetadata("authorization", stub->authorization);
  }
  if (!traceparent.empty()) call->context_.AddMetadata("traceparent", traceparent);
  stub->generic.PrepareBidiStreamingCall(&call->context_, LlmClient::kStreamChatMethod,
                                         grpc::StubOptions(), call.get());
  call->StartWriteLast(&call->request_, grpc::WriteOptions());
  call->StartRead(&call->response_);
  call->AddHold();
  call->StartCall();
  return call;
}

void LlmStreamCall::OnWriteDone(bool /*ok*/) {
  // A failed send ends the call; its status arrives in OnDone.
  request_.Clear();
}

void LlmStreamCall::Cancel() { CancelWith(std::nullopt); }

void LlmStreamCall::Abandon(grpc::Status cause) { CancelWith(std::move(cause)); }

void LlmStreamCall::CancelWith(std::optional<grpc::Status> cause) {
  bool remove_hold = false;
  {
    absl::MutexLock lock(&mu_);
    if (cancelled_) return;
    cancelled_ = true;
    abandoned_ = std::move(cause);
    // With a read deferred, nothing is outstanding: release the hold so OnDone can come.
    if (read_deferred_) {
      read_deferred_ = false;
      remove_hold = ReleaseHoldLocked();
    }
  }
  context_.TryCancel();
  if (remove_hold) RemoveHold();
}

void LlmStreamCall::Pause() {
  absl::MutexLock lock(&mu_);
  paused_ = true;
}

void LlmStreamCall::Resume() {
  {
    absl::MutexLock lock(&mu_);
    paused_ = false;
    if (!read_deferred_) return;
    read_deferred_ = false;
  }
  StartRead(&response_);
}

bool LlmStreamCall::ReleaseHoldLocked() {
  bool had_hold = hold_;
  hold_ = false;
  return had_hold;
}

void LlmStreamCall::OnReadDone(bool ok) {
  if (!ok) {
    // The stream ended (status follows in OnDone); no read will follow.
    bool remove_hold;
    {
      absl::MutexLock lock(&mu_);
      remove_hold = ReleaseHoldLocked();
    }
    if (remove_hold) RemoveHold();
    return;
  }
  net::post(executor_,
            [observer = observer_, id = call_id_, message = std::move(response_)]() mutable {
              if (auto target = observer.lock()) target->OnCallMessage(id, std::move(message));
            });
  response_.Clear();
  {
    absl::MutexLock lock(&mu_);
    if (paused_ && !cancelled_) {
      read_deferred_ = true;
      return;
    }
  }
  StartRead(&response_);
}

void LlmStreamCall::OnDone(const grpc::Status& grpc_status) {
  grpc::Status status = grpc_status;
  {
    absl::MutexLock lock(&mu_);
    // CANCELLED after Abandon is our TryCancel taking effect; any other end (the call
    // finished or failed first) is the call's real outcome.
    if (abandoned_.has_value() && status.error_code() == grpc::StatusCode::CANCELLED) {
      status = *abandoned_;
    }
  }
  net::post(executor_, [observer = observer_, id = call_id_, status = std::move(status)] {
    if (auto target = observer.lock()) target->OnCallDone(id, status);
  });
  // May destroy this object; nothing may follow.
  self_.reset();
}

}  // namespace streamgate::gateway
