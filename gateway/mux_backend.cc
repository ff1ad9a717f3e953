#include "gateway/mux_backend.h"

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
           std::weak_ptr<MuxStream> stream, boost::asio::any_io_executor executor,
           std::weak_ptr<ReplyObserver> observer)
      : llm_(llm),
        reply_id_(start.reply_id),
        wire_id_(wire_id),
        connect_timeout_(start.connect_timeout),
        stream_(std::move(stream)),
        observer_(std::move(observer)),
        connect_timer_(executor),
        reply_timer_(executor) {}

  ~MuxReply() override {
    if (!ended_) {
      if (auto stream = stream_.lock()) stream->Cancel(wire_id_);
    }
  }

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

  void OnEvent(const llm::v1::ReplyEvent& event) override {
    if (ended_) return;
    heard_back_ = true;
    auto observer = observer_.lock();
    switch (event.event_case()) {
      case llm::v1::ReplyEvent::kStarted:
        if (observer) observer->OnReplyStarted(reply_id_);
        break;
      case llm::v1::ReplyEvent::kDelta:
        consumed_ += event.delta().text().size();
        if (observer) observer->OnReplyDelta(reply_id_, event.delta().text());
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

 private:
  void Ended(const grpc::Status& status) {
    End(ReplyEndFor(status, completed_, cancel_requested_, std::move(end_)));
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
  const std::weak_ptr<MuxStream> stream_;
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

MuxReplyBackend::MuxReplyBackend(LlmClient* llm, int streams)
    : llm_(llm), stub_(llm::v1::LlmService::NewStub(llm->channel())) {
  streams_.resize(static_cast<size_t>(std::max(streams, 1)));
}

MuxReplyBackend::~MuxReplyBackend() {
  std::vector<std::shared_ptr<MuxStream>> streams;
  {
    absl::MutexLock lock(&mu_);
    streams.swap(streams_);
  }
  for (auto& stream : streams) {
    if (stream == nullptr) continue;
    stream->Shutdown();
    stream->done()->WaitForNotificationWithTimeout(absl::Seconds(5));
  }
}

std::shared_ptr<MuxStream> MuxReplyBackend::StreamFor(uint64_t wire_id) {
  absl::MutexLock lock(&mu_);
  std::shared_ptr<MuxStream>& slot = streams_[wire_id % streams_.size()];
  if (slot == nullptr || !slot->usable()) {
    slot = MuxStream::Start(stub_.get(), llm_->stub()->authorization);
  }
  return slot;
}

std::shared_ptr<ReplyHandle> MuxReplyBackend::Start(ReplyStart start,
                                                    boost::asio::any_io_executor executor,
                                                    std::weak_ptr<ReplyObserver> observer) {
  const uint64_t wire_id = next_wire_id_.fetch_add(1);
  std::shared_ptr<MuxStream> stream = StreamFor(wire_id);
  auto reply =
      std::make_shared<MuxReply>(llm_, start, wire_id, stream, executor, std::move(observer));
  reply->ArmTimers(start.timeout);
  ReplyStart wire = std::move(start);
  wire.reply_id = wire_id;
  stream->StartReply(wire, kCreditBytes, std::move(executor), reply);
  return reply;
}

}  // namespace streamgate::gateway
