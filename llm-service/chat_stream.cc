#include "llm-service/chat_stream.h"

#include <algorithm>
#include <limits>
#include <utility>

#include "absl/time/clock.h"
#include "common/log.h"
#include "common/status_util.h"
#include "llm-service/chat_service.h"
#include "llm-service/request_decoder.h"

namespace streamgate::llm {

// One reply on the stream: its channel's consumer. Its counters are guarded by the
// stream's mu_.
class ChatStream::Reply final : public ChunkChannel::Consumer,
                                public std::enable_shared_from_this<Reply> {
 public:
  Reply(ChatStream* stream, uint64_t id, ReplyEngine::Reply begun, uint64_t credit)
      : stream_(stream),
        id(id),
        begun(std::move(begun)),
        credit(credit == 0 ? std::numeric_limits<int64_t>::max()
                           : static_cast<int64_t>(
                                 std::min<uint64_t>(credit, std::numeric_limits<int64_t>::max()))),
        started_at(std::chrono::steady_clock::now()) {}

  ChunkChannel* channel() const { return begun.channel.get(); }

  void WriteMessage(const v1::StreamChatResponse* message) override {
    stream_->Queue(shared_from_this(), *message);
  }
  void FinishStream(const absl::Status& status) override {
    stream_->Ended(shared_from_this(), status);
  }

  ChatStream* const stream_;
  const uint64_t id;
  const ReplyEngine::Reply begun;
  int64_t credit;     // delta bytes it may still send
  bool owed = false;  // its channel waits for a write-done held back for want of credit
  int writes = 0;
  const std::chrono::steady_clock::time_point started_at;
};

ChatStream::ChatStream(ChatService* service, ReplyEngine* engine)
    : service_(service), engine_(engine) {}

void ChatStream::Begin() {
  {
    absl::MutexLock lock(&mu_);
    restarting_read_ = true;
  }
  StartRead(&in_);
  {
    absl::MutexLock lock(&mu_);
    restarting_read_ = false;
  }
}

void ChatStream::Drain() {
  {
    absl::MutexLock lock(&mu_);
    if (draining_) return;
    draining_ = true;
    draining_unsent_ = true;
  }
  Flush();
}

void ChatStream::OnReadDone(bool ok) {
  v1::ChatClientFrame frame;
  bool restart = false;
  {
    absl::MutexLock lock(&mu_);
    if (!ok) read_done_ = true;
    restart = ok && !cancelled_;
    if (restart) restarting_read_ = true;
  }
  if (ok) {
    frame.Swap(&in_);
    for (const v1::StartReply& start : frame.start()) Start(start);
    for (const v1::GrantCredit& credit : frame.credit()) Grant(credit);
    for (const v1::CancelReply& cancel : frame.cancel()) CancelReply(cancel.reply_id());
  }
  if (restart) {
    StartRead(&in_);
    absl::MutexLock lock(&mu_);
    restarting_read_ = false;
  }
  Flush();
}

void ChatStream::Start(const v1::StartReply& start) {
  const uint64_t id = start.reply_id();
  {
    absl::MutexLock lock(&mu_);
    if (draining_) {
      AddEnded(id, absl::UnavailableError("llm-service is draining; start the reply elsewhere"));
      return;
    }
    if (replies_.contains(id)) {
      // The caller's bug; ending the running reply under the same id would be worse.
      common::Logger("llm")->warn(
          "chat stream refused a start reply_id={} reason=\"already "
          "running\"",
          id);
      AddEnded(id, absl::InvalidArgumentError("reply_id is already running on this stream"));
      return;
    }
  }
  // Lives only for this call: providers copy what they keep before Start returns.
  v1::StreamChatRequest request;
  absl::Status decoded = DecodeRequest(start.request(), &request);
  absl::Time deadline = start.timeout_ms() == 0
                            ? absl::InfiniteFuture()
                            : absl::Now() + absl::Milliseconds(start.timeout_ms());
  auto reply = std::make_shared<Reply>(
      this, id, engine_->Begin(request, std::move(decoded), deadline, start.traceparent()),
      start.credit_bytes());
  bool aborted;
  {
    absl::MutexLock lock(&mu_);
    replies_[id] = reply;
    ++replies_started_;
    aborted = cancelled_;
  }
  reply->channel()->Attach(reply.get());
  if (aborted) reply->channel()->Cancel();
}

void ChatStream::Grant(const v1::GrantCredit& credit) {
  std::shared_ptr<Reply> release;
  {
    absl::MutexLock lock(&mu_);
    auto it = replies_.find(credit.reply_id());
    if (it == replies_.end()) return;  // ended meanwhile
    Reply& reply = *it->second;
    const int64_t room = std::numeric_limits<int64_t>::max() - std::max<int64_t>(reply.credit, 0);
    reply.credit += static_cast<int64_t>(std::min<uint64_t>(credit.bytes(), room));
    if (reply.owed && reply.credit > 0) {
      reply.owed = false;
      release = it->second;
    }
  }
  if (release) release->channel()->OnWriteDone(true);
}

void ChatStream::CancelReply(uint64_t reply_id) {
  std::shared_ptr<Reply> reply;
  bool owed = false;
  {
    absl::MutexLock lock(&mu_);
    auto it = replies_.find(reply_id);
    if (it == replies_.end()) return;  // ended meanwhile: its `ended` is on its way
    reply = it->second;
    owed = std::exchange(reply->owed, false);
  }
  reply->channel()->Cancel();
  // A channel waiting for its write-done finishes (CANCELLED) once it has it.
  if (owed) reply->channel()->OnWriteDone(false);
}

void ChatStream::Queue(const std::shared_ptr<Reply>& reply, const v1::StreamChatResponse& message) {
  bool refused = false;
  {
    absl::MutexLock lock(&mu_);
    if (cancelled_) {
      refused = true;
    } else {
      v1::ReplyEvent* event = pending_.add_events();
      event->set_reply_id(reply->id);
      switch (message.event_case()) {
        case v1::StreamChatResponse::kStarted:
          *event->mutable_started() = message.started();
          break;
        case v1::StreamChatResponse::kDelta:
          event->mutable_delta()->set_text(message.delta().text());
          event->mutable_delta()->set_first_delta_us(message.delta().first_delta_us());
          reply->credit -= static_cast<int64_t>(message.delta().text().size());
          break;
        case v1::StreamChatResponse::kCompleted:
          *event->mutable_completed() = message.completed();
          break;
        case v1::StreamChatResponse::EVENT_NOT_SET:
          break;
      }
      ++reply->writes;
      pending_acks_.push_back(reply);
    }
  }
  if (refused) return reply->channel()->OnWriteDone(false);
  Flush();
}

void ChatStream::Ended(const std::shared_ptr<Reply>& reply, const absl::Status& status) {
  {
    absl::MutexLock lock(&mu_);
    auto it = replies_.find(reply->id);
    if (it != replies_.end() && it->second == reply) replies_.erase(it);
    if (!cancelled_) AddEnded(reply->id, status);
  }
  auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - reply->started_at);
  engine_->End(reply->begun, status.code(), reply->writes, elapsed.count());
  Flush();
}

void ChatStream::AddEnded(uint64_t reply_id, const absl::Status& status) {
  v1::ReplyEvent* event = pending_.add_events();
  event->set_reply_id(reply_id);
  event->mutable_ended()->set_code(static_cast<int32_t>(status.code()));
  event->mutable_ended()->set_message(std::string(status.message()));
}

void ChatStream::OnWriteDone(bool ok) {
  std::vector<std::shared_ptr<Reply>> written;
  {
    absl::MutexLock lock(&mu_);
    writing_ = false;
    written.swap(in_flight_acks_);
  }
  if (!ok) Abort(absl::CancelledError("the stream's write failed"));
  for (const auto& reply : written) AfterWrite(reply, ok);
  Flush();
}

void ChatStream::AfterWrite(const std::shared_ptr<Reply>& reply, bool ok) {
  {
    absl::MutexLock lock(&mu_);
    if (ok && !cancelled_ && reply->credit <= 0) {
      reply->owed = true;  // Grant releases it
      return;
    }
    ok = ok && !cancelled_;
  }
  reply->channel()->OnWriteDone(ok);
}

void ChatStream::Flush() {
  bool write = false;
  bool finish = false;
  absl::Status status;
  {
    absl::MutexLock lock(&mu_);
    if (finished_ || writing_) return;
    if (!cancelled_ && (pending_.events_size() > 0 || draining_unsent_)) {
      in_flight_.Clear();
      in_flight_.Swap(&pending_);
      in_flight_.set_draining(std::exchange(draining_unsent_, false));
      in_flight_acks_.swap(pending_acks_);
      writing_ = true;
      write = true;
    } else if (replies_.empty() && !restarting_read_ && (read_done_ || cancelled_)) {
      finished_ = true;
      finish = true;
      status = cancelled_ ? finish_status_ : absl::OkStatus();
    }
  }
  if (write) StartWrite(&in_flight_);
  // Last: gRPC may run OnDone, which lets go of this stream, inline.
  if (finish) Finish(common::ToGrpcStatus(status));
}

void ChatStream::OnCancel() { Abort(absl::CancelledError("the caller cancelled the stream")); }

void ChatStream::Abort(absl::Status why) {
  std::vector<std::shared_ptr<Reply>> replies;
  std::vector<std::shared_ptr<Reply>> waiting;  // channels waiting for a write-done
  {
    absl::MutexLock lock(&mu_);
    if (cancelled_) return;
    cancelled_ = true;
    finish_status_ = std::move(why);
    for (auto& [id, reply] : replies_) {
      replies.push_back(reply);
      if (std::exchange(reply->owed, false)) waiting.push_back(reply);
    }
    for (auto& reply : pending_acks_) waiting.push_back(reply);
    pending_acks_.clear();
    pending_.Clear();
  }
  for (auto& reply : replies) reply->channel()->Cancel();
  for (auto& reply : waiting) reply->channel()->OnWriteDone(false);
  Flush();
}

void ChatStream::OnDone() {
  std::map<uint64_t, std::shared_ptr<Reply>> left;
  uint64_t started;
  {
    absl::MutexLock lock(&mu_);
    left.swap(replies_);
    started = replies_started_;
  }
  common::Logger("llm")->info("chat stream end replies={} cut_off={}", started, left.size());
  for (auto& [id, reply] : left) reply->channel()->Detach();
  service_->Remove(this);
}

}  // namespace streamgate::llm
