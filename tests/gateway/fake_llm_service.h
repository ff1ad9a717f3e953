#pragma once

#include <grpcpp/grpcpp.h>

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "streamgate/llm/v1/llm_service.grpc.pb.h"

namespace streamgate::gateway::testing {

class FakeReplyReactor;

// One StreamChat call as the fake llm-service holds it: the request it carried, and the
// reply the test scripts (Started, Delta, Completed, Finish), written in order, one write
// in flight. Shared by the test and the call's reactor; thread-safe (the test thread
// scripts it, gRPC's threads write it and report the client's cancellation).
class FakeReplyCall {
 public:
  FakeReplyCall(llm::v1::StreamChatRequest request, std::string traceparent)
      : request_(std::move(request)), traceparent_(std::move(traceparent)) {}

  const llm::v1::StreamChatRequest& request() const { return request_; }
  // The call's `traceparent` metadata ("" without one), and the trace id in it ("" unless
  // it is a valid W3C traceparent).
  const std::string& traceparent() const { return traceparent_; }
  std::string trace_id() const;

  void Started(std::string message_id = "msg-fake");
  void Delta(std::string text);
  void Completed(std::string stop_reason, uint32_t input_tokens, uint32_t output_tokens);
  // Ends the stream with `status` once what was sent before it is written.
  void Finish(grpc::Status status = grpc::Status::OK);

  // The client cancelled the call (the server's OnCancel ran).
  bool cancelled() const;
  // The call is over on the server (OnDone ran).
  bool done() const;

 private:
  friend class FakeReplyReactor;
  friend class FakeLlmService;
  void Send(llm::v1::StreamChatResponse message);
  // Starts the next write, or the finish when everything is written; outside mu_, since a
  // reaction may run inline.
  void Pump();
  void OnWriteDone(bool ok);
  void OnCancel();
  void OnDone();

  const llm::v1::StreamChatRequest request_;
  const std::string traceparent_;
  mutable absl::Mutex mu_;
  FakeReplyReactor* reactor_ ABSL_GUARDED_BY(mu_) = nullptr;  // until OnDone
  std::deque<llm::v1::StreamChatResponse> queue_ ABSL_GUARDED_BY(mu_);
  llm::v1::StreamChatResponse writing_message_;  // the write in flight; owned by it
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  std::optional<grpc::Status> finish_ ABSL_GUARDED_BY(mu_);
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
  bool done_ ABSL_GUARDED_BY(mu_) = false;
};

// streamgate.llm.v1.LlmService whose replies the test writes: every call is kept, in the
// order it arrived, for the test to script. GetServiceInfo answers provider "fake", model
// "fake-model" (or the status the test sets). Thread-safe.
class FakeLlmService final : public llm::v1::LlmService::CallbackService {
 public:
  grpc::ServerWriteReactor<llm::v1::StreamChatResponse>* StreamChat(
      grpc::CallbackServerContext* context, const llm::v1::StreamChatRequest* request) override;

  grpc::ServerUnaryReactor* GetServiceInfo(grpc::CallbackServerContext* context,
                                           const llm::v1::GetServiceInfoRequest* request,
                                           llm::v1::ServiceInfo* response) override;
  // What GetServiceInfo answers from now on instead of OK.
  void set_info_status(grpc::Status status);
  size_t info_calls() const;
  // Until GetServiceInfo was called `count` times (false on timeout).
  bool WaitForInfoCalls(size_t count, absl::Duration timeout) const;

  size_t calls() const;
  // The index-th call (0-based), or null while it has not arrived.
  std::shared_ptr<FakeReplyCall> call(size_t index) const;

 private:
  mutable absl::Mutex mu_;
  std::vector<std::shared_ptr<FakeReplyCall>> calls_ ABSL_GUARDED_BY(mu_);
  grpc::Status info_status_ ABSL_GUARDED_BY(mu_);
  size_t info_calls_ ABSL_GUARDED_BY(mu_) = 0;
};

// The fake on a real gRPC server at 127.0.0.1:0. Destroying it cancels the calls still
// running and waits for them to end on the server.
class FakeLlmServer {
 public:
  FakeLlmServer();
  ~FakeLlmServer();
  FakeLlmServer(const FakeLlmServer&) = delete;
  FakeLlmServer& operator=(const FakeLlmServer&) = delete;

  std::string target() const { return "127.0.0.1:" + std::to_string(port_); }
  FakeLlmService& service() { return service_; }

 private:
  FakeLlmService service_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
};

}  // namespace streamgate::gateway::testing
