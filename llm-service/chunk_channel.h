#pragma once

#include <chrono>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "llm-service/llm_metrics.h"
#include "streamgate/llm/v1/llm_service.pb.h"

namespace streamgate::llm {

using v1::StreamChatResponse;

// The bounded queue between one reply's producer (a provider, on its own thread) and the
// gRPC stream that sends it (a reactor with at most one write in flight).
//
// Owned jointly (shared_ptr) by the reactor and the producer; either may outlive the other.
// Every method is thread-safe. Consumer calls (WriteMessage, FinishStream) and producer
// callbacks (resume, cancel) are always made without mu_ held, because gRPC may run the
// reactor's OnDone inline from Finish.
//
// Bound: while more than `max_queued_bytes` are queued, Push returns kPause and the producer
// must stop until its resume callback runs (once the queue is down to half). A producer may
// overshoot by the one message that crossed the bound, nothing more.
class ChunkChannel : public std::enable_shared_from_this<ChunkChannel> {
 public:
  enum class PushResult {
    kAccepted,  // keep producing
    kPause,     // accepted; produce nothing more until the resume callback runs
    kClosed,    // dropped: the consumer is gone or cancelled; stop and release resources
  };

  // The sending side, implemented by the reactor.
  class Consumer {
   public:
    virtual ~Consumer() = default;
    // Starts one gRPC write; `message` stays valid until OnWriteDone is reported back.
    virtual void WriteMessage(const StreamChatResponse* message) = 0;
    // Ends the gRPC call. Called exactly once; the consumer may be gone when it returns.
    virtual void FinishStream(const absl::Status& status) = 0;
  };

  explicit ChunkChannel(size_t max_queued_bytes);
  // The series this reply counts into (first delta, pauses, tokens); before the producer
  // starts. Without it nothing is counted.
  void SetMetrics(const ReplyMetrics* metrics) { metrics_ = metrics; }
  // The reply's trace id ("-": none), for the producer's log lines; set with the metrics,
  // read-only afterwards.
  void set_trace_id(std::string trace_id) { trace_id_ = std::move(trace_id); }
  // Put into the reply's Started (before the producer starts): which replica holds it.
  void set_replica(std::string replica) { replica_ = std::move(replica); }
  const std::string& trace_id() const { return trace_id_; }

  // --- producer side ---
  // `on_resume` runs after a kPause once the queue has drained; `on_cancel` runs once when
  // the consumer stops listening before the producer finished. Both may run on any thread.
  void SetProducerCallbacks(std::function<void()> on_resume, std::function<void()> on_cancel);
  PushResult Push(StreamChatResponse message);
  // Appends text as a delta, merged into a delta already waiting in the queue if there is
  // one: the client sees the same text in fewer, larger messages when it falls behind.
  PushResult PushDelta(std::string_view text);
  // The producer's last word: OK after a `completed` message, or the failure. Queued
  // messages are still delivered before the status.
  void Finish(absl::Status status);
  bool IsClosed() const;

  // --- consumer side (gRPC reactions) ---
  void Attach(Consumer* consumer);
  void OnWriteDone(bool ok);
  void Cancel();
  void Detach();

  size_t queued_bytes() const;

 private:
  struct Action {
    enum Kind { kNone, kWrite, kFinish } kind = kNone;
    absl::Status status;
    Consumer* consumer = nullptr;
    std::function<void()> producer_callback;  // resume or cancel, when one is due
  };

  PushResult Enqueue(StreamChatResponse* message, std::string_view delta_text);
  // Decides the consumer's next step; caller holds mu_ and runs the result after unlocking.
  Action NextAction() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Marks the consumer side closed; returns whether the producer must be told.
  bool CloseForProducer() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Run(const Action& action);
  // A push just queued (`message` null for PushDelta): stamps the first delta with the time
  // to it (TextDelta.first_delta_us) and counts the reply's series.
  void Observe(const StreamChatResponse* message) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const size_t max_queued_bytes_;
  const ReplyMetrics* metrics_ = nullptr;
  std::string trace_id_ = "-";
  std::string replica_;
  const std::chrono::steady_clock::time_point created_ = std::chrono::steady_clock::now();
  mutable absl::Mutex mu_;
  std::deque<StreamChatResponse> queue_ ABSL_GUARDED_BY(mu_);
  size_t queued_bytes_ ABSL_GUARDED_BY(mu_) = 0;
  // The message of the one write in flight; written only while writing_ is false.
  StreamChatResponse in_flight_ ABSL_GUARDED_BY(mu_);
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;   // FinishStream has been called
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;  // consumer cancelled or write failed
  bool closed_ ABSL_GUARDED_BY(mu_) = false;     // producer output is no longer wanted
  bool producer_paused_ ABSL_GUARDED_BY(mu_) = false;
  bool delta_seen_ ABSL_GUARDED_BY(mu_) = false;
  std::optional<absl::Status> producer_status_ ABSL_GUARDED_BY(mu_);
  Consumer* consumer_ ABSL_GUARDED_BY(mu_) = nullptr;
  std::function<void()> on_resume_ ABSL_GUARDED_BY(mu_);
  std::function<void()> on_cancel_ ABSL_GUARDED_BY(mu_);
};

}  // namespace streamgate::llm
