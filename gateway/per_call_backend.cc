#include "gateway/per_call_backend.h"

#include <boost/asio/steady_timer.hpp>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "gateway/llm_stream_call.h"
#include "gateway/reply_status.h"

namespace streamgate::gateway {

namespace {

// One reply's call, seen from its session: adapts LlmStreamCall's events to the session's
// ReplyObserver, bounds the wait for llm-service to be reachable, and turns the call's
// status into the ReplyEnd. Owned by the session's reply (as its ReplyHandle); the call
// holds it weakly. Runs on the session's loop only.
class PerCallReply final : public ReplyHandle,
                           public LlmCallObserver,
                           public std::enable_shared_from_this<PerCallReply> {
 public:
  PerCallReply(LlmClient* llm, const ReplyStart& start, boost::asio::any_io_executor executor,
               std::weak_ptr<ReplyObserver> observer)
      : llm_(llm),
        reply_id_(start.reply_id),
        connect_timeout_(start.connect_timeout),
        observer_(std::move(observer)),
        connect_timer_(executor) {}

  // A reply dropped without Cancel (its session gone) stops its call all the same.
  ~PerCallReply() override {
    if (call_ && !ended_) call_->Cancel();
  }

  void Begin(std::string request, absl::Duration timeout, const std::string& traceparent,
             boost::asio::any_io_executor executor) {
    call_ = LlmStreamCall::Start(llm_->stub(), std::move(request), timeout, traceparent,
                                 reply_id_, std::move(executor), weak_from_this());
    // The call waits for llm-service to become reachable; bound that wait.
    connect_timer_.expires_after(absl::ToChronoMilliseconds(connect_timeout_));
    connect_timer_.async_wait([weak = weak_from_this()](boost::system::error_code ec) {
      if (ec) return;
      if (auto self = weak.lock()) self->OnConnectCheck();
    });
  }

  void Cancel() override {
    if (ended_) return;
    cancel_requested_ = true;
    connect_timer_.cancel();
    call_->Cancel();
  }

  void Pause(bool paused) override {
    if (paused) {
      call_->Pause();
    } else {
      call_->Resume();
    }
  }

  void OnCallMessage(uint64_t /*call_id*/, llm::v1::StreamChatResponse message) override {
    heard_back_ = true;
    auto observer = observer_.lock();
    switch (message.event_case()) {
      case llm::v1::StreamChatResponse::kStarted:
        if (observer) observer->OnReplyStarted(reply_id_);
        break;
      case llm::v1::StreamChatResponse::kDelta:
        if (observer) {
          if (uint64_t us = message.delta().first_delta_us(); us != 0) {
            observer->OnReplyUpstreamLatency(reply_id_, std::chrono::microseconds(us));
          }
          observer->OnReplyDelta(reply_id_, std::move(*message.mutable_delta()->mutable_text()));
        }
        break;
      case llm::v1::StreamChatResponse::kCompleted:
        completed_ = true;
        TakeCompleted(message.completed(), &end_);
        break;
      case llm::v1::StreamChatResponse::EVENT_NOT_SET:
        break;
    }
  }

  void OnCallDone(uint64_t /*call_id*/, const grpc::Status& status) override {
    ended_ = true;
    connect_timer_.cancel();
    ReplyEnd end = ReplyEndFor(status, completed_, cancel_requested_, std::move(end_));
    // The call itself only says CANCELLED: the client is told what it meant.
    if (end.kind == ReplyEnd::Kind::kFailed && connect_timed_out_) {
      end.error = ClientError::kUpstreamUnavailable;
    }
    if (auto observer = observer_.lock()) observer->OnReplyEnd(reply_id_, std::move(end));
  }

 private:
  void OnConnectCheck() {
    if (heard_back_ || ended_) return;
    // Connected but slow to answer (a model can take a while) is fine; unreachable is not.
    if (llm_->IsConnected()) return;
    connect_timed_out_ = true;
    call_->Abandon(
        grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED,
                     absl::StrCat("llm-service not reachable within --llm-connect-timeout ",
                                  absl::FormatDuration(connect_timeout_))));
  }

  LlmClient* const llm_;
  const uint64_t reply_id_;
  const absl::Duration connect_timeout_;
  const std::weak_ptr<ReplyObserver> observer_;
  std::shared_ptr<LlmStreamCall> call_;
  boost::asio::steady_timer connect_timer_;
  ReplyEnd end_;
  bool heard_back_ = false;  // any message arrived from llm-service
  bool completed_ = false;
  bool cancel_requested_ = false;
  bool connect_timed_out_ = false;
  bool ended_ = false;
};

}  // namespace

std::shared_ptr<ReplyHandle> PerCallReplyBackend::Start(ReplyStart start,
                                                        boost::asio::any_io_executor executor,
                                                        std::weak_ptr<ReplyObserver> observer) {
  auto reply = std::make_shared<PerCallReply>(llm_, start, executor, std::move(observer));
  reply->Begin(std::move(start.request), start.timeout, start.traceparent, std::move(executor));
  return reply;
}

}  // namespace streamgate::gateway
