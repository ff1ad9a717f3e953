#include "gateway/mux_backend.h"

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "gateway/reply_status.h"

namespace streamgate::gateway {

namespace {

// One reply on a Chat stream, seen from its session: its ReplyHandle and the stream's sink
// for its events. Owned by the session's reply; the stream holds it weakly. Runs on the
// session's loop only.
class MuxReply final : public ReplyHandle,
                       public MuxStream::Sink,
                       public std::enable_shared_from_this<MuxReply> {
 public:
  MuxReply(LlmClient* llm, const ReplyStart& start, uint64_t wire_id,
           boost::asio::any_io_executor executor, std::weak_ptr<ReplyObserver> observer)
      : llm_(llm),
        reply_id_(start.reply_id),
        wire_id_(wire_id),
        connect_timeout_(start.connect_timeout),
        observer_(std::move(observer)),
        connect_timer_(executor),
        reply_timer_(executor) {}

  ~MuxReply() override {
    if (!ended_) {
      if (auto stream = stream_.lock()) stream->Cancel(wire_id_);
    }
  }

  // Before ArmTimers; the stream is held weakly (it ends with its last reply).
  void SetStream(const std::shared_ptr<MuxStream>& stream) { stream_ = stream; }

  void ArmTimers(absl::Duration reply_timeout) {
    // The stream waits while a connection attempt is in progress; bound that wait.
    connect_timer_.expires_after(absl::ToChronoMilliseconds(connect_timeout_));
    connect_timer_.async_wait([weak = weak_from_this()](boost::system::error_code ec) {
      if (auto self = weak.lock(); self && !ec) self->OnConnectCheck();
    });
    if (reply_timeout == absl::InfiniteDuration()) return;
    reply_timer_.expires_after(absl::ToChronoMilliseconds(reply_timeout));
    reply_timer_.async_wait([weak = weak_from_this()](boost::system::error_code ec) {
      if (auto self = weak.lock(); self && !ec) {
        self->Abandon(ClientError::kTimeout, "DEADLINE_EXCEEDED", "the reply timeout passed");
      }
    });
  }

  void Cancel() override {
    if (ended_ || cancel_requested_) return;
    cancel_requested_ = true;
    if (auto stream = stream_.lock()) {
      stream->Cancel(wire_id_);
    } else {
      End(ReplyEnd{.kind = ReplyEnd::Kind::kCancelled});
    }
  }

  void Pause(bool paused) override {
    paused_ = paused;
    MaybeGrant();
  }

  void OnEvent(llm::v1::ReplyEvent& event) override {
    if (ended_) return;
    heard_back_ = true;
    auto observer = observer_.lock();
    switch (event.event_case()) {
      case llm::v1::ReplyEvent::kStarted:
        if (observer) observer->OnReplyStarted(reply_id_);
        break;
      case llm::v1::ReplyEvent::kDelta:
        consumed_ += event.delta().text().size();
        if (observer) {
          if (uint64_t us = event.delta().first_delta_us(); us != 0) {
            observer->OnReplyUpstreamLatency(reply_id_, std::chrono::microseconds(us));
          }
          observer->OnReplyDelta(reply_id_, std::move(*event.mutable_delta()->mutable_text()));
        }
        MaybeGrant();
        break;
      case llm::v1::ReplyEvent::kCompleted:
        completed_ = true;
        TakeCompleted(event.completed(), &end_);
        break;
      case llm::v1::ReplyEvent::kEnded:
        return Ended(grpc::Status(static_cast<grpc::StatusCode>(event.ended().code()),
                                  event.ended().message()));
      case llm::v1::ReplyEvent::EVENT_NOT_SET:
        break;
    }
  }

  void OnStreamLost(const grpc::Status& status) override {
    if (ended_) return;
    if (cancel_requested_) return End(ReplyEnd{.kind = ReplyEnd::Kind::kCancelled});
    Abandon(ClientError::kUpstreamUnavailable,
            absl::StatusCodeToString(static_cast<absl::StatusCode>(status.error_code())),
            status.error_message());
  }

  // Ends the reply here (the gateway's own reason) and tells llm-service to stop it.
  void Abandon(ClientError error, std::string cause_code, std::string cause_detail) {
    if (ended_) return;
    if (auto stream = stream_.lock()) stream->Cancel(wire_id_);
    End(ReplyEnd{.kind = ReplyEnd::Kind::kFailed,
                 .error = error,
                 .cause_code = std::move(cause_code),
                 .cause_detail = std::move(cause_detail)});
  }

 private:
  void Ended(const grpc::Status& status) {
    End(ReplyEndFor(status, completed_, cancel_requested_, std::move(end_)));
  }

  void End(ReplyEnd end) {
    ended_ = true;
    connect_timer_.cancel();
    reply_timer_.cancel();
    if (auto observer = observer_.lock()) observer->OnReplyEnd(reply_id_, std::move(end));
  }

  void OnConnectCheck() {
    if (heard_back_ || ended_ || llm_->IsConnected()) return;
    Abandon(ClientError::kUpstreamUnavailable, "DEADLINE_EXCEEDED",
            absl::StrCat("llm-service not reachable within --llm-connect-timeout ",
                         absl::FormatDuration(connect_timeout_)));
  }

  // Credit goes back in quarters of the window: fewer frames, and never below 3/4 of it.
  void MaybeGrant() {
    if (paused_ || ended_ || consumed_ < MuxReplyBackend::kCreditBytes / 4) return;
    if (auto stream = stream_.lock()) stream->Grant(wire_id_, consumed_);
    consumed_ = 0;
  }

  LlmClient* const llm_;
  const uint64_t reply_id_;  // the session's
  const uint64_t wire_id_;   // the stream's
  const absl::Duration connect_timeout_;
  std::weak_ptr<MuxStream> stream_;
  const std::weak_ptr<ReplyObserver> observer_;
  boost::asio::steady_timer connect_timer_;
  boost::asio::steady_timer reply_timer_;
  ReplyEnd end_;
  uint64_t consumed_ = 0;  // delta bytes received since the last grant
  bool paused_ = false;
  bool heard_back_ = false;
  bool completed_ = false;
  bool cancel_requested_ = false;
  bool ended_ = false;
};

}  // namespace

MuxReplyBackend::MuxReplyBackend(LlmClient* llm, int streams, absl::Duration max_age)
    : llm_(llm), max_age_(max_age), stub_(llm::v1::LlmService::NewStub(llm->channel())) {
  streams_.resize(static_cast<size_t>(std::max(streams, 1)));
}

MuxReplyBackend::~MuxReplyBackend() {
  std::vector<std::shared_ptr<MuxStream>> streams;
  {
    absl::MutexLock lock(&mu_);
    streams.swap(streams_);
    for (auto& weak : retired_) {
      if (auto stream = weak.lock()) streams.push_back(std::move(stream));
    }
    retired_.clear();
  }
  for (auto& stream : streams) {
    if (stream == nullptr) continue;
    stream->Shutdown();
    stream->done()->WaitForNotificationWithTimeout(absl::Seconds(5));
  }
}

std::shared_ptr<MuxStream> MuxReplyBackend::StreamFor(uint64_t wire_id) {
  std::shared_ptr<MuxStream> retired;
  std::shared_ptr<MuxStream> chosen;
  {
    absl::MutexLock lock(&mu_);
    std::shared_ptr<MuxStream>& slot = streams_[wire_id % streams_.size()];
    if (slot != nullptr && slot->usable() && absl::Now() - slot->started() >= max_age_) {
      retired = slot;
      std::erase_if(retired_, [](const std::weak_ptr<MuxStream>& s) { return s.expired(); });
      retired_.push_back(retired);
    }
    if (slot == nullptr || retired != nullptr || !slot->usable()) {
      slot = MuxStream::Start(stub_.get(), llm_->stub()->authorization);
    }
    chosen = slot;
  }
  // Outside mu_: retiring may half-close the stream, a gRPC call.
  if (retired != nullptr) retired->Retire();
  return chosen;
}

std::shared_ptr<ReplyHandle> MuxReplyBackend::Start(ReplyStart start,
                                                    boost::asio::any_io_executor executor,
                                                    std::weak_ptr<ReplyObserver> observer) {
  const uint64_t wire_id = next_wire_id_.fetch_add(1);
  auto reply = std::make_shared<MuxReply>(llm_, start, wire_id, executor, std::move(observer));
  ReplyStart wire = std::move(start);
  const absl::Duration timeout = wire.timeout;
  wire.reply_id = wire_id;
  // A stream chosen here may stop taking replies before it gets this one (retired by another
  // session's start, or llm-service drains): the next choice opens a fresh one, which does.
  MuxStream::Taken taken = MuxStream::Taken::kNotTaking;
  for (int attempt = 0; attempt < 3 && taken == MuxStream::Taken::kNotTaking; ++attempt) {
    std::shared_ptr<MuxStream> stream = StreamFor(wire_id);
    reply->SetStream(stream);
    taken = stream->StartReply(wire, kCreditBytes, executor, reply);
  }
  if (taken == MuxStream::Taken::kYes) {
    reply->ArmTimers(timeout);
    return reply;
  }
  // Its end reaches the session on its loop, after Start returned, like any other end.
  boost::asio::post(executor, [reply, taken] {
    reply->Abandon(ClientError::kUpstreamUnavailable,
                   taken == MuxStream::Taken::kBacklogFull ? "RESOURCE_EXHAUSTED" : "UNAVAILABLE",
                   taken == MuxStream::Taken::kBacklogFull
                       ? "the Chat stream's write backlog is full (llm-service is not reading)"
                       : "no Chat stream would take the reply");
  });
  return reply;
}

}  // namespace streamgate::gateway
