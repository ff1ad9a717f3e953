#include "tools/ws-bench/grpc_session.h"

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace streamgate::bench {

// One StreamChat call: a callback reactor that reads until the stream ends, keeping its
// timings and text to itself, and hands them to its session in OnDone. Created with new;
// deletes itself in OnDone. Reactions for one call never overlap.
class GrpcSession::Call : public grpc::ClientReadReactor<llm::v1::StreamChatResponse> {
 public:
  Call(std::shared_ptr<GrpcSession> session, std::string text)
      : session_(std::move(session)), sent_text_(std::move(text)) {}

  void Begin(llm::v1::LlmService::Stub* stub, int session_index) {
    request_.set_session_id(absl::StrCat("bench-session-", session_index));
    // The message's unique tag ("bench-c17-m3"): ids are single printable words.
    request_.set_request_id(sent_text_.substr(0, sent_text_.find(' ')));
    auto* message = request_.add_messages();
    message->set_role(llm::v1::ROLE_USER);
    message->set_content(sent_text_);
    stub->async()->StreamChat(&context_, &request_, this);
    StartRead(&response_);
    sent_at_ = Clock::now();
    StartCall();
  }

  void TryCancel() { context_.TryCancel(); }

  void OnReadDone(bool ok) override {
    if (!ok) return;  // the stream is over; OnDone follows
    got_message_ = true;
    double since_send = MillisecondsBetween(sent_at_, Clock::now());
    switch (response_.event_case()) {
      case llm::v1::StreamChatResponse::kStarted:
        if (timings_.start_ms.has_value()) ++violations_;
        timings_.start_ms = since_send;
        break;
      case llm::v1::StreamChatResponse::kDelta:
        if (!timings_.first_chunk_ms.has_value()) timings_.first_chunk_ms = since_send;
        ++chunks_;
        text_bytes_ += response_.delta().text().size();
        text_.append(response_.delta().text());
        break;
      case llm::v1::StreamChatResponse::kCompleted:
        completed_ = true;
        break;
      case llm::v1::StreamChatResponse::EVENT_NOT_SET:
        ++violations_;
        break;
    }
    response_.Clear();
    StartRead(&response_);
  }

  void OnDone(const grpc::Status& status) override {
    ended_at_ = Clock::now();
    timings_.end_ms = MillisecondsBetween(sent_at_, ended_at_);
    std::shared_ptr<GrpcSession> session = std::move(session_);
    session->OnCallDone(this, status);
    delete this;
  }

  // Read by the session in OnCallDone.
  const std::string& sent_text() const { return sent_text_; }
  Clock::time_point sent_at() const { return sent_at_; }
  Clock::time_point ended_at() const { return ended_at_; }
  const ReplyTimings& timings() const { return timings_; }
  const std::string& text() const { return text_; }
  int64_t chunks() const { return chunks_; }
  size_t text_bytes() const { return text_bytes_; }
  bool completed() const { return completed_; }
  bool got_message() const { return got_message_; }
  int violations() const { return violations_; }

 private:
  std::shared_ptr<GrpcSession> session_;
  const std::string sent_text_;
  grpc::ClientContext context_;
  llm::v1::StreamChatRequest request_;
  llm::v1::StreamChatResponse response_;  // target of the one read in flight
  Clock::time_point sent_at_;
  Clock::time_point ended_at_;
  ReplyTimings timings_;
  std::string text_;
  int64_t chunks_ = 0;
  size_t text_bytes_ = 0;
  bool completed_ = false;
  bool got_message_ = false;
  int violations_ = 0;
};

GrpcSession::GrpcSession(std::shared_ptr<GrpcRunState> run, int index)
    : run_(std::move(run)), index_(index) {}

void GrpcSession::Start() { StartCall(); }

void GrpcSession::StartCall() {
  Call* call = nullptr;
  {
    // Checked under mu_: either Cancel finds this call, or this sees `stopping`.
    absl::MutexLock lock(&mu_);
    if (!run_->stopping.load()) {
      call = new Call(shared_from_this(),
                      UserMessageText(index_, messages_done_ + 1, run_->config.words));
      run_->live_work.fetch_add(1);
      active_ = call;
    }
  }
  if (call == nullptr) return Finish();
  {
    absl::MutexLock lock(&run_->mu);
    run_->stats.AddSent(Clock::now());
  }
  call->Begin(run_->stub.get(), index_);
}

void GrpcSession::Cancel() {
  absl::MutexLock lock(&mu_);
  // Under mu_, so the call cannot reach OnDone (and delete itself) meanwhile.
  if (active_ != nullptr) active_->TryCancel();
  if (think_alarm_ != nullptr) think_alarm_->Cancel();
}

void GrpcSession::OnCallDone(Call* call, const grpc::Status& status) {
  {
    absl::MutexLock lock(&mu_);
    active_ = nullptr;
  }
  bool stopping = run_->stopping.load();
  bool cancelled_by_us = stopping && status.error_code() == grpc::StatusCode::CANCELLED;
  std::string code = absl::StatusCodeToString(static_cast<absl::StatusCode>(status.error_code()));
  bool failed_to_open = false;
  {
    absl::MutexLock lock(&run_->mu);
    BenchStats& stats = run_->stats;
    for (int i = 0; i < call->violations(); ++i) stats.AddViolation("unexpected_grpc_message");
    stats.AddChunks(call->chunks(), call->text_bytes());
    // A session counts as established once llm-service answered its first call at all, the
    // nearest thing to a WebSocket's connection_established.
    if (!established_) {
      if (call->got_message() || status.ok()) {
        established_ = true;
        stats.AddEstablished();
      } else {
        failed_to_open = true;
        stats.AddConnectFailure(cancelled_by_us ? "stopped before the first reply"
                                                : absl::StrCat("grpc: ", code));
      }
      run_->progress->attempts_done.fetch_add(1);
    }
    if (status.ok()) {
      if (!call->completed()) {
        stats.AddViolation("ok_without_completed");
      } else {
        if (call->text().find(call->sent_text()) == std::string::npos) stats.AddMismatch();
        stats.AddReply(call->timings(), call->ended_at());
      }
    } else if (cancelled_by_us) {
      stats.AddAbandoned();
    } else if (!failed_to_open) {
      stats.AddError(code);
    }
  }
  ++messages_done_;
  if (failed_to_open || stopping || messages_done_ >= run_->config.messages) {
    Finish();
  } else if (run_->config.think_ms > 0) {
    ScheduleNext();
  } else {
    StartCall();
  }
  // Last, so that live_work never reads zero while a next call is about to start.
  run_->live_work.fetch_sub(1);
}

void GrpcSession::ScheduleNext() {
  absl::MutexLock lock(&mu_);
  if (run_->stopping.load()) return Finish();
  run_->live_work.fetch_add(1);
  think_alarm_ = std::make_unique<grpc::Alarm>();
  think_alarm_->Set(
      std::chrono::system_clock::now() + std::chrono::milliseconds(run_->config.think_ms),
      // Weak, or the session would own the alarm that owns the session.
      [weak = weak_from_this(), run = run_](bool fired) {
        if (auto self = weak.lock()) {
          if (fired) {
            self->StartCall();
          } else {
            self->Finish();
          }
        }
        run->live_work.fetch_sub(1);
      });
}

void GrpcSession::Finish() {
  if (finished_) return;
  finished_ = true;
  run_->progress->finished.fetch_add(1);
}

}  // namespace streamgate::bench
