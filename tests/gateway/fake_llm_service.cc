#include "tests/gateway/fake_llm_service.h"

#include <chrono>

#include "common/trace_context.h"

namespace streamgate::gateway::testing {

class FakeReplyReactor final : public grpc::ServerWriteReactor<llm::v1::StreamChatResponse> {
 public:
  explicit FakeReplyReactor(std::shared_ptr<FakeReplyCall> call) : call_(std::move(call)) {}

  void OnWriteDone(bool ok) override { call_->OnWriteDone(ok); }
  void OnCancel() override { call_->OnCancel(); }
  void OnDone() override {
    call_->OnDone();
    delete this;
  }

 private:
  std::shared_ptr<FakeReplyCall> call_;
};

void FakeReplyCall::Started(std::string message_id) {
  llm::v1::StreamChatResponse message;
  message.mutable_started()->set_model("fake-model");
  message.mutable_started()->set_message_id(std::move(message_id));
  Send(std::move(message));
}

std::string FakeReplyCall::trace_id() const {
  auto trace = common::ParseTraceparent(traceparent_);
  return trace ? trace->trace_id : "";
}

void FakeReplyCall::Delta(std::string text) {
  llm::v1::StreamChatResponse message;
  message.mutable_delta()->set_text(std::move(text));
  Send(std::move(message));
}

void FakeReplyCall::Completed(std::string stop_reason, uint32_t input_tokens,
                              uint32_t output_tokens) {
  llm::v1::StreamChatResponse message;
  auto* completed = message.mutable_completed();
  completed->set_stop_reason(std::move(stop_reason));
  completed->mutable_usage()->set_input_tokens(input_tokens);
  completed->mutable_usage()->set_output_tokens(output_tokens);
  completed->set_messages_received(static_cast<uint32_t>(request_.messages_size()));
  Send(std::move(message));
}

void FakeReplyCall::Send(llm::v1::StreamChatResponse message) {
  {
    absl::MutexLock lock(&mu_);
    if (finish_ || done_) return;
    queue_.push_back(std::move(message));
  }
  Pump();
}

void FakeReplyCall::Finish(grpc::Status status) {
  {
    absl::MutexLock lock(&mu_);
    if (finish_ || done_) return;
    finish_ = std::move(status);
  }
  Pump();
}

void FakeReplyCall::Pump() {
  FakeReplyReactor* reactor = nullptr;
  std::optional<grpc::Status> finish;
  {
    absl::MutexLock lock(&mu_);
    if (reactor_ == nullptr || writing_ || finished_) return;
    if (!queue_.empty()) {
      writing_ = true;
      writing_message_ = std::move(queue_.front());
      queue_.pop_front();
    } else if (finish_) {
      finished_ = true;
      finish = *finish_;
    } else {
      return;
    }
    reactor = reactor_;  // valid until OnDone, which cannot come before Finish
  }
  if (finish) {
    reactor->Finish(*finish);
  } else {
    reactor->StartWrite(&writing_message_);
  }
}

void FakeReplyCall::OnWriteDone(bool ok) {
  {
    absl::MutexLock lock(&mu_);
    writing_ = false;
    if (!ok) {
      // The stream is broken (the client went away): nothing more can be written.
      queue_.clear();
      if (!finish_) finish_ = grpc::Status(grpc::StatusCode::CANCELLED, "write failed");
    }
  }
  Pump();
}

void FakeReplyCall::OnCancel() {
  {
    absl::MutexLock lock(&mu_);
    cancelled_ = true;
    queue_.clear();
    // A cancelled call still needs its Finish before OnDone comes.
    if (!finish_) finish_ = grpc::Status(grpc::StatusCode::CANCELLED, "cancelled");
  }
  Pump();
}

void FakeReplyCall::OnDone() {
  absl::MutexLock lock(&mu_);
  done_ = true;
  reactor_ = nullptr;
}

bool FakeReplyCall::cancelled() const {
  absl::MutexLock lock(&mu_);
  return cancelled_;
}

bool FakeReplyCall::done() const {
  absl::MutexLock lock(&mu_);
  return done_;
}

grpc::ServerWriteReactor<llm::v1::StreamChatResponse>* FakeLlmService::StreamChat(
    grpc::CallbackServerContext* context, const llm::v1::StreamChatRequest* request) {
  std::string traceparent;
  if (auto found = context->client_metadata().find("traceparent");
      found != context->client_metadata().end()) {
    traceparent.assign(found->second.data(), found->second.size());
  }
  auto call = std::make_shared<FakeReplyCall>(*request, std::move(traceparent));
  auto* reactor = new FakeReplyReactor(call);
  {
    absl::MutexLock lock(&call->mu_);
    call->reactor_ = reactor;
  }
  absl::MutexLock lock(&mu_);
  calls_.push_back(std::move(call));
  return reactor;
}

size_t FakeLlmService::calls() const {
  absl::MutexLock lock(&mu_);
  return calls_.size();
}

std::shared_ptr<FakeReplyCall> FakeLlmService::call(size_t index) const {
  absl::MutexLock lock(&mu_);
  return index < calls_.size() ? calls_[index] : nullptr;
}

grpc::ServerUnaryReactor* FakeLlmService::GetServiceInfo(
    grpc::CallbackServerContext* context, const llm::v1::GetServiceInfoRequest* /*request*/,
    llm::v1::ServiceInfo* response) {
  grpc::Status status;
  {
    absl::MutexLock lock(&mu_);
    ++info_calls_;
    status = info_status_;
  }
  response->set_provider("fake");
  response->set_default_model("fake-model");
  response->set_max_request_bytes(1 << 20);
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(status);
  return reactor;
}

void FakeLlmService::set_info_status(grpc::Status status) {
  absl::MutexLock lock(&mu_);
  info_status_ = std::move(status);
}

size_t FakeLlmService::info_calls() const {
  absl::MutexLock lock(&mu_);
  return info_calls_;
}

bool FakeLlmService::WaitForInfoCalls(size_t count, absl::Duration timeout) const {
  struct Want {
    const size_t* calls;
    size_t count;
  };
  absl::MutexLock lock(&mu_);
  Want want{&info_calls_, count};
  return mu_.AwaitWithTimeout(absl::Condition(
                                  +[](Want* w) { return *w->calls >= w->count; }, &want),
                              timeout);
}

FakeLlmServer::FakeLlmServer() {
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port_);
  builder.RegisterService(&service_);
  server_ = builder.BuildAndStart();
}

FakeLlmServer::~FakeLlmServer() {
  if (!server_) return;
  server_->Shutdown(std::chrono::system_clock::now());
  server_->Wait();
}

}  // namespace streamgate::gateway::testing
