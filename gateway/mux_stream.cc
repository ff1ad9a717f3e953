#include "gateway/mux_stream.h"

#include <algorithm>
#include <boost/asio/post.hpp>
#include <iterator>
#include <utility>
#include <vector>

namespace streamgate::gateway {

std::shared_ptr<MuxStream> MuxStream::Start(llm::v1::LlmService::Stub* stub,
                                            const std::string& authorization) {
  auto stream = std::make_shared<MuxStream>();
  stream->self_ = stream;
  // Fail fast (no wait_for_ready): with llm-service not running the stream fails at once
  // and its replies get upstream_unavailable; while a connection attempt is in progress
  // gRPC still waits for it.
  if (!authorization.empty()) stream->context_.AddMetadata("authorization", authorization);
  stub->async()->Chat(&stream->context_, stream.get());
  // Writes start from the sessions' loops, outside reactions: the hold keeps the call
  // open until the stream breaks or is shut down.
  stream->AddHold();
  stream->StartRead(&stream->in_);
  stream->StartCall();
  return stream;
}

bool MuxStream::usable() const {
  absl::MutexLock lock(&mu_);
  return !broken_ && !draining_ && !retired_ && !done_;
}

size_t MuxStream::pending_request_bytes() const {
  absl::MutexLock lock(&mu_);
  return pending_request_bytes_;
}

void MuxStream::Retire() {
  {
    absl::MutexLock lock(&mu_);
    retired_ = true;
  }
  MaybeHalfClose();
}

MuxStream::Taken MuxStream::StartReply(const ReplyStart& start, uint64_t credit_bytes,
                                       boost::asio::any_io_executor executor,
                                       std::weak_ptr<Sink> sink) {
  {
    absl::MutexLock lock(&mu_);
    if (!done_ && (retired_ || draining_ || half_closed_)) return Taken::kNotTaking;
    if (done_) {
      // Ended between the backend's choice and now: the reply hears it like the others did.
      boost::asio::post(executor, [sink = std::move(sink)] {
        if (auto target = sink.lock()) {
          target->OnStreamLost(
              grpc::Status(grpc::StatusCode::UNAVAILABLE, "the Chat stream ended"));
        }
      });
      return Taken::kYes;
    }
    // One request always fits, whatever its size: llm-service bounds requests itself.
    if (pending_.start_size() > 0 &&
        pending_request_bytes_ + start.request.size() > kMaxPendingRequestBytes) {
      return Taken::kBacklogFull;
    }
    pending_request_bytes_ += start.request.size();
    routes_[start.reply_id] = Route{std::move(executor), std::move(sink)};
    llm::v1::StartReply* frame = pending_.add_start();
    frame->set_reply_id(start.reply_id);
    frame->set_request(start.request);
    frame->set_credit_bytes(credit_bytes);
    if (start.timeout != absl::InfiniteDuration()) {
      frame->set_timeout_ms(static_cast<uint64_t>(absl::ToInt64Milliseconds(start.timeout)));
    }
    if (!start.traceparent.empty()) frame->set_traceparent(start.traceparent);
  }
  Flush();
  return Taken::kYes;
}

void MuxStream::Grant(uint64_t reply_id, uint64_t bytes) {
  {
    absl::MutexLock lock(&mu_);
    if (!routes_.contains(reply_id)) return;  // ended: nothing to pace
    auto [it, added] = pending_credit_.try_emplace(reply_id, pending_.credit_size());
    if (added) {
      llm::v1::GrantCredit* credit = pending_.add_credit();
      credit->set_reply_id(reply_id);
      credit->set_bytes(bytes);
    } else {
      llm::v1::GrantCredit* credit = pending_.mutable_credit(it->second);
      credit->set_bytes(credit->bytes() + bytes);
    }
  }
  Flush();
}

void MuxStream::Cancel(uint64_t reply_id) {
  {
    absl::MutexLock lock(&mu_);
    auto it = routes_.find(reply_id);
    if (it == routes_.end() || it->second.cancel_queued) return;  // ended, or told already
    it->second.cancel_queued = true;
    pending_.add_cancel()->set_reply_id(reply_id);
  }
  Flush();
}

void MuxStream::Flush() {
  {
    absl::MutexLock lock(&mu_);
    if (write_in_flight_ || broken_ || done_ || half_closed_) return;
    if (pending_.start_size() == 0 && pending_.credit_size() == 0 && pending_.cancel_size() == 0) {
      return;
    }
    writing_.Clear();
    writing_.Swap(&pending_);
    pending_request_bytes_ = 0;
    pending_credit_.clear();
    write_in_flight_ = true;
  }
  StartWrite(&writing_);
}

void MuxStream::OnWriteDone(bool ok) {
  {
    absl::MutexLock lock(&mu_);
    write_in_flight_ = false;
    if (!ok) broken_ = true;  // the read side sees the end and reports it
  }
  if (ok) Flush();
  MaybeHalfClose();
}

void MuxStream::MaybeHalfClose() {
  {
    absl::MutexLock lock(&mu_);
    if ((!draining_ && !retired_) || !routes_.empty() || write_in_flight_ || half_closed_ ||
        broken_) {
      return;
    }
    half_closed_ = true;
  }
  StartWritesDone();
}

void MuxStream::OnReadDone(bool ok) {
  if (!ok) {
    {
      absl::MutexLock lock(&mu_);
      broken_ = true;
    }
    // No read follows and no write may start: OnDone can come once the last op is done.
    RemoveHold();
    return;
  }
  // Group the frame's events by session loop: one post each, events in frame order.
  struct Batch {
    boost::asio::any_io_executor executor;
    std::vector<std::pair<std::weak_ptr<Sink>, llm::v1::ReplyEvent>> events;
  };
  std::vector<Batch> batches;
  {
    absl::MutexLock lock(&mu_);
    if (in_.draining()) draining_ = true;
    for (llm::v1::ReplyEvent& event : *in_.mutable_events()) {
      auto it = routes_.find(event.reply_id());
      if (it == routes_.end()) continue;  // cancelled and forgotten
      Route route = it->second;
      if (event.has_ended()) routes_.erase(it);
      auto batch = std::find_if(batches.begin(), batches.end(),
                                [&](const Batch& b) { return b.executor == route.executor; });
      if (batch == batches.end()) {
        batches.push_back(Batch{route.executor, {}});
        batch = std::prev(batches.end());
      }
      batch->events.emplace_back(std::move(route.sink), std::move(event));
    }
  }
  // Posted before the next read starts: the next frame's posts must come after these.
  for (Batch& batch : batches) {
    boost::asio::post(batch.executor, [events = std::move(batch.events)]() mutable {
      for (auto& [weak, event] : events) {
        if (auto sink = weak.lock()) sink->OnEvent(event);
      }
    });
  }
  in_.Clear();
  StartRead(&in_);
  MaybeHalfClose();
}

void MuxStream::OnDone(const grpc::Status& status) {
  std::unordered_map<uint64_t, Route> lost;
  {
    absl::MutexLock lock(&mu_);
    done_ = true;
    broken_ = true;
    lost.swap(routes_);
  }
  grpc::Status why = status.ok() ? grpc::Status(grpc::StatusCode::UNAVAILABLE,
                                                "the Chat stream ended with replies on it")
                                 : status;
  for (auto& [id, route] : lost) {
    boost::asio::post(route.executor, [sink = route.sink, why] {
      if (auto target = sink.lock()) target->OnStreamLost(why);
    });
  }
  done_signal_->Notify();
  auto keep = std::move(self_);  // may be the last reference: released on return
}

void MuxStream::Shutdown() { context_.TryCancel(); }

}  // namespace streamgate::gateway
