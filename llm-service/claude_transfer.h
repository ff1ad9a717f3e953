#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "llm-service/chunk_channel.h"
#include "llm-service/claude_attempt.h"
#include "llm-service/curl_worker.h"

namespace streamgate::llm {

// Everything about one StreamChat call that the upstream side needs besides the body.
struct ClaudeCall {
  std::string session_id;  // for log lines only
  std::string request_id;
  std::string trace_id;  // W3C, "-" without one
  uint32_t messages_received = 0;
  absl::Time deadline = absl::InfiniteFuture();
};

// The upstream side of one StreamChat call: a sequence of attempts (ClaudeAttempt) at
// POST /v1/messages, with RetryPolicy's backoff between them as a timer of the worker loop
// (never a sleeping thread), the stall watchdog, the call deadline, and one log line with
// the outcome.
//
// Owned by its CurlWorker from Start until done (shared_ptr); the channel's producer
// callbacks hold it weakly and only post Resume/Cancel to the worker. Every method runs on
// that worker thread, except Launch.
//
// Retries happen only while no text has reached the channel: `started` is held back until
// the first delta, so a retried call looks to the client like one reply.
class ClaudeTransfer final : public CurlWorker::Transfer,
                             public std::enable_shared_from_this<ClaudeTransfer> {
 public:
  using Clock = CurlWorker::Clock;

  ClaudeTransfer(std::shared_ptr<const ClaudeEndpoint> endpoint, std::string body, ClaudeCall call,
                 std::shared_ptr<ChunkChannel> channel);
  ~ClaudeTransfer() override;

  // Wires the channel's resume/cancel callbacks to `worker` and queues the start there.
  // When the worker refuses (stopping or overloaded) the call ends with UNAVAILABLE.
  // Any thread.
  static void Launch(const std::shared_ptr<ClaudeTransfer>& transfer, CurlWorker& worker);

  void OnStart(CurlWorker& worker) override;
  void OnCancel(CurlWorker& worker) override;
  void OnResume(CurlWorker& worker) override;
  void OnTimer(CurlWorker& worker) override;
  void OnHandleDone(CurlWorker& worker, CURL* easy, CURLcode result) override;
  void OnShutdown(CurlWorker& worker) override;
  bool done() const override { return state_ == State::kDone; }

 private:
  enum class State { kQueued, kRunning, kBackoff, kDone };

  void StartAttempt(CurlWorker& worker);
  // Takes the attempt's handle out of the multi (closing its connection) and frees it.
  void AbandonAttempt(CurlWorker& worker);
  // Retries when the policy, the budget and the deadline allow, else ends the call.
  void EndAttempt(CurlWorker& worker, AttemptOutcome outcome);
  // upstream_requests_total for one attempt.
  void CountAttempt(const AttemptOutcome& outcome) const;
  void Finish(CurlWorker& worker, absl::Status status);
  // One timer covers the deadline, the end of a backoff and the next stall check.
  void ScheduleTimer(CurlWorker& worker);
  absl::Status Scrubbed(absl::Status status) const;

  const std::shared_ptr<const ClaudeEndpoint> endpoint_;
  const std::string body_;
  const ClaudeCall call_;
  const std::shared_ptr<ChunkChannel> channel_;

  // Worker thread only from here on.
  State state_ = State::kQueued;
  std::unique_ptr<ClaudeAttempt> attempt_;  // set while kRunning
  ReplyProgress progress_;
  int attempts_ = 0;
  std::optional<Clock::time_point> deadline_;  // call_.deadline on the steady clock
  Clock::time_point backoff_until_;
  Clock::time_point started_at_;
  // From the latest attempt that got that far, for the outcome log.
  std::string upstream_request_id_;
  int http_status_ = 0;
  std::string curl_error_;
};

}  // namespace streamgate::llm
