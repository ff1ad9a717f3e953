#include "llm-service/chunk_channel.h"

#include <utility>

namespace streamgate::llm {
namespace {

// Rough per-message cost beyond its text, so a flood of empty messages still counts.
constexpr size_t kMessageOverhead = 32;

size_t CostOf(const StreamChatResponse& message) {
  return kMessageOverhead + (message.has_delta() ? message.delta().text().size() : 0);
}

}  // namespace

ChunkChannel::ChunkChannel(size_t max_queued_bytes) : max_queued_bytes_(max_queued_bytes) {}

void ChunkChannel::SetProducerCallbacks(std::function<void()> on_resume,
                                        std::function<void()> on_cancel) {
  absl::MutexLock lock(&mu_);
  on_resume_ = std::move(on_resume);
  on_cancel_ = std::move(on_cancel);
}

ChunkChannel::PushResult ChunkChannel::Push(StreamChatResponse message) {
  return Enqueue(&message, {});
}

ChunkChannel::PushResult ChunkChannel::PushDelta(std::string_view text) {
  return Enqueue(nullptr, text);
}

ChunkChannel::PushResult ChunkChannel::Enqueue(StreamChatResponse* message,
                                               std::string_view delta_text) {
  auto self = shared_from_this();  // Run may end the consumer, which holds a reference
  Action action;
  PushResult result;
  {
    absl::MutexLock lock(&mu_);
    if (closed_ || producer_status_.has_value()) return PushResult::kClosed;
    if (message == nullptr) {
      if (!queue_.empty() && queue_.back().has_delta()) {
        queue_.back().mutable_delta()->mutable_text()->append(delta_text);
        queued_bytes_ += delta_text.size();
      } else {
        queue_.emplace_back().mutable_delta()->set_text(std::string(delta_text));
        queued_bytes_ += CostOf(queue_.back());
      }
    } else {
      queued_bytes_ += CostOf(*message);
      queue_.push_back(std::move(*message));
    }
    Observe(message);
    if (queued_bytes_ > max_queued_bytes_ && !producer_paused_) {
      producer_paused_ = true;
      if (metrics_ != nullptr && metrics_->pauses != nullptr) metrics_->pauses->Increment();
    }
    result = producer_paused_ ? PushResult::kPause : PushResult::kAccepted;
    action = NextAction();
  }
  Run(action);
  return result;
}

void ChunkChannel::Observe(const StreamChatResponse* message) {
  // `message` was moved into the queue: what it was is read from the queue's last entry.
  StreamChatResponse& pushed = queue_.back();
  if (pushed.has_started()) {
    if (!replica_.empty()) pushed.mutable_started()->set_replica(replica_);
  } else if (pushed.has_delta() && !delta_seen_) {
    delta_seen_ = true;
    auto elapsed = std::chrono::steady_clock::now() - created_;
    // At least 1: 0 means "not said" to the caller.
    auto micros = std::chrono::duration_cast<std::chrono::microseconds>(elapsed).count();
    pushed.mutable_delta()->set_first_delta_us(static_cast<uint64_t>(std::max<int64_t>(micros, 1)));
    if (metrics_ != nullptr && metrics_->first_delta != nullptr) {
      metrics_->first_delta->ObserveDuration(elapsed);
    }
  } else if (metrics_ != nullptr && message != nullptr && pushed.has_completed()) {
    const v1::Usage& usage = pushed.completed().usage();
    if (metrics_->input_tokens != nullptr) metrics_->input_tokens->Increment(usage.input_tokens());
    if (metrics_->output_tokens != nullptr) {
      metrics_->output_tokens->Increment(usage.output_tokens());
    }
  }
}

void ChunkChannel::Finish(absl::Status status) {
  auto self = shared_from_this();
  Action action;
  {
    absl::MutexLock lock(&mu_);
    if (producer_status_.has_value()) return;
    producer_status_ = std::move(status);
    action = NextAction();
  }
  Run(action);
}

bool ChunkChannel::IsClosed() const {
  absl::MutexLock lock(&mu_);
  return closed_;
}

void ChunkChannel::Attach(Consumer* consumer) {
  auto self = shared_from_this();
  Action action;
  {
    absl::MutexLock lock(&mu_);
    consumer_ = consumer;
    action = NextAction();
  }
  Run(action);
}

void ChunkChannel::OnWriteDone(bool ok) {
  auto self = shared_from_this();
  Action action;
  {
    absl::MutexLock lock(&mu_);
    writing_ = false;
    if (!ok) {
      // The stream is broken (peer gone); nothing more can be delivered.
      cancelled_ = true;
      queue_.clear();
      queued_bytes_ = 0;
    }
    action = NextAction();
  }
  Run(action);
}

void ChunkChannel::Cancel() {
  auto self = shared_from_this();
  Action action;
  {
    absl::MutexLock lock(&mu_);
    cancelled_ = true;
    queue_.clear();
    queued_bytes_ = 0;
    action = NextAction();
    if (action.kind == Action::kNone && CloseForProducer()) action.producer_callback = on_cancel_;
  }
  Run(action);
}

void ChunkChannel::Detach() {
  Action action;
  {
    absl::MutexLock lock(&mu_);
    consumer_ = nullptr;
    if (CloseForProducer()) action.producer_callback = on_cancel_;
  }
  Run(action);
}

size_t ChunkChannel::queued_bytes() const {
  absl::MutexLock lock(&mu_);
  return queued_bytes_;
}

bool ChunkChannel::CloseForProducer() {
  if (closed_) return false;
  closed_ = true;
  return !producer_status_.has_value();
}

ChunkChannel::Action ChunkChannel::NextAction() {
  Action action;
  if (consumer_ == nullptr || writing_ || finished_) return action;
  action.consumer = consumer_;
  if (cancelled_) {
    finished_ = true;
    action.kind = Action::kFinish;
    action.status = absl::CancelledError("call cancelled");
    if (CloseForProducer()) action.producer_callback = on_cancel_;
    return action;
  }
  if (!queue_.empty()) {
    in_flight_ = std::move(queue_.front());
    queue_.pop_front();
    queued_bytes_ -= std::min(queued_bytes_, CostOf(in_flight_));
    writing_ = true;
    action.kind = Action::kWrite;
    if (producer_paused_ && queued_bytes_ <= max_queued_bytes_ / 2) {
      producer_paused_ = false;
      action.producer_callback = on_resume_;
    }
    return action;
  }
  if (producer_status_.has_value()) {
    finished_ = true;
    closed_ = true;
    action.kind = Action::kFinish;
    action.status = *producer_status_;
    return action;
  }
  return Action{};
}

void ChunkChannel::Run(const Action& action) {
  // Producer first: after FinishStream the consumer (and possibly this channel's other
  // owner) may be gone.
  if (action.producer_callback) action.producer_callback();
  switch (action.kind) {
    case Action::kNone:
      break;
    case Action::kWrite:
      // in_flight_ is not touched again until OnWriteDone clears writing_.
      action.consumer->WriteMessage(&in_flight_);
      break;
    case Action::kFinish:
      action.consumer->FinishStream(action.status);
      break;
  }
}

}  // namespace streamgate::llm
