#include "llm-service/claude_transfer.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <utility>

#include "absl/strings/str_replace.h"
#include "common/log.h"

namespace streamgate::llm {
namespace {

CurlWorker::Clock::duration ToSteady(absl::Duration duration) {
  return std::chrono::duration_cast<CurlWorker::Clock::duration>(
      absl::ToChronoNanoseconds(duration));
}

int64_t MillisBetween(CurlWorker::Clock::time_point from, CurlWorker::Clock::time_point to) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(to - from).count();
}

}  // namespace

ClaudeTransfer::ClaudeTransfer(std::shared_ptr<const ClaudeEndpoint> endpoint, std::string body,
                               ClaudeCall call, std::shared_ptr<ChunkChannel> channel)
    : endpoint_(std::move(endpoint)),
      body_(std::move(body)),
      call_(std::move(call)),
      channel_(std::move(channel)) {}

// The attempt (if any) was abandoned before done() turned true; nothing is in the multi.
ClaudeTransfer::~ClaudeTransfer() = default;

void ClaudeTransfer::Launch(const std::shared_ptr<ClaudeTransfer>& transfer, CurlWorker& worker) {
  std::weak_ptr<ClaudeTransfer> weak = transfer;
  CurlWorker* target = &worker;  // the pool keeps workers alive longer than any channel
  transfer->channel_->SetProducerCallbacks(
      [weak, target] {
        if (auto self = weak.lock()) target->Resume(self);
      },
      [weak, target] {
        if (auto self = weak.lock()) target->Cancel(self);
      });
  if (!worker.Start(transfer)) {
    common::Logger("claude")->warn("upstream refused session={} request={} reason=overloaded",
                                   transfer->call_.session_id, transfer->call_.request_id);
    transfer->channel_->Finish(
        absl::UnavailableError("llm-service is overloaded or shutting down"));
  }
}

void ClaudeTransfer::OnStart(CurlWorker& worker) {
  started_at_ = Clock::now();
  // A deadline years away is no deadline, and converting it could overflow the clock.
  const absl::Duration remaining = call_.deadline - absl::Now();
  if (remaining < absl::Hours(24 * 365)) {
    deadline_ = started_at_ + ToSteady(std::max(remaining, absl::ZeroDuration()));
  }
  if (channel_->IsClosed()) {
    Finish(worker, absl::CancelledError("call cancelled"));
    return;
  }
  StartAttempt(worker);
}

void ClaudeTransfer::StartAttempt(CurlWorker& worker) {
  if (deadline_.has_value() && Clock::now() >= *deadline_) {
    Finish(worker, absl::DeadlineExceededError("call deadline passed before Claude answered"));
    return;
  }
  ++attempts_;
  attempt_ = std::make_unique<ClaudeAttempt>(*endpoint_, body_, call_.request_id,
                                             call_.messages_received, channel_.get(), &progress_);
  if (!attempt_->Configure() || !worker.AddHandle(this, attempt_->easy())) {
    attempt_.reset();
    Finish(worker, absl::InternalError("could not set up the upstream request"));
    return;
  }
  state_ = State::kRunning;
  ScheduleTimer(worker);
}

void ClaudeTransfer::AbandonAttempt(CurlWorker& worker) {
  if (attempt_ == nullptr) return;
  // Removed before curl finished it: the HTTP/1 connection is closed (so the upstream sees
  // the request go away and stops generating), an HTTP/2 stream is reset.
  worker.RemoveHandle(attempt_->easy());
  attempt_.reset();
}

void ClaudeTransfer::OnHandleDone(CurlWorker& worker, CURL* easy, CURLcode result) {
  if (attempt_ == nullptr || attempt_->easy() != easy) {
    // The worker reaches transfers through CURLOPT_PRIVATE of their own handle only.
    std::fprintf(stderr, "claude transfer: completion for a handle it does not own\n");
    std::abort();
  }
  AttemptOutcome outcome = attempt_->Finish(result);
  attempt_.reset();
  EndAttempt(worker, std::move(outcome));
}

void ClaudeTransfer::EndAttempt(CurlWorker& worker, AttemptOutcome outcome) {
  if (!outcome.upstream_request_id.empty()) upstream_request_id_ = outcome.upstream_request_id;
  if (outcome.attempt.http_status != 0) http_status_ = outcome.attempt.http_status;
  curl_error_ = outcome.curl_error;
  CountAttempt(outcome);
  if (outcome.status.ok() || outcome.cancelled || !outcome.retryable) {
    Finish(worker, std::move(outcome.status));
    return;
  }
  outcome.attempt.delta_sent = progress_.delta_sent;
  const RetryDecision decision = endpoint_->retry_policy.Decide(attempts_ - 1, outcome.attempt);
  const auto retry_at = Clock::now() + ToSteady(decision.delay);
  // A retry that could not start before the deadline only delays the same failure.
  if (!decision.retry || (deadline_.has_value() && retry_at >= *deadline_)) {
    Finish(worker, std::move(outcome.status));
    return;
  }
  common::Logger("claude")->info(
      "upstream retry session={} request={} attempt={} http={} upstream_request_id={} "
      "delay_ms={} reason=\"{}\"",
      call_.session_id, call_.request_id, attempts_, outcome.attempt.http_status,
      outcome.upstream_request_id, absl::ToInt64Milliseconds(decision.delay),
      Scrubbed(outcome.status).message());
  if (endpoint_->metrics != nullptr) {
    endpoint_->metrics->CountUpstreamRetry(
        outcome.attempt.http_status,
        outcome.attempt.transport_failure == TransportFailure::kTimeout);
  }
  state_ = State::kBackoff;
  backoff_until_ = retry_at;
  ScheduleTimer(worker);
}

void ClaudeTransfer::CountAttempt(const AttemptOutcome& outcome) const {
  LlmMetrics* metrics = endpoint_->metrics;
  if (metrics == nullptr) return;
  // A stream that stalled after its 200 is counted as stalled: that is what went wrong.
  if (outcome.stalled) {
    metrics->CountUpstreamRequest(UpstreamEnd::kStalled, 0);
  } else if (outcome.attempt.http_status != 0) {
    metrics->CountUpstreamRequest(UpstreamEnd::kHttp, outcome.attempt.http_status);
  } else if (outcome.attempt.transport_failure == TransportFailure::kTimeout) {
    metrics->CountUpstreamRequest(UpstreamEnd::kTimeout, 0);
  } else if (outcome.attempt.transport_failure.has_value()) {
    metrics->CountUpstreamRequest(UpstreamEnd::kConnectError, 0);
  }
  // Cancelled before any response: no HTTP outcome to count.
}

void ClaudeTransfer::OnTimer(CurlWorker& worker) {
  if (state_ == State::kDone) return;
  const auto now = Clock::now();
  if (deadline_.has_value() && now >= *deadline_) {
    AbandonAttempt(worker);
    Finish(worker, absl::DeadlineExceededError("call deadline passed while waiting for Claude"));
    return;
  }
  if (state_ == State::kBackoff && now >= backoff_until_) {
    StartAttempt(worker);
    return;
  }
  if (state_ == State::kRunning && attempt_ != nullptr && !attempt_->paused() &&
      now - attempt_->last_activity() >= ToSteady(endpoint_->stall_timeout)) {
    AttemptOutcome outcome = attempt_->Stalled();
    AbandonAttempt(worker);
    EndAttempt(worker, std::move(outcome));
    return;
  }
  ScheduleTimer(worker);
}

void ClaudeTransfer::ScheduleTimer(CurlWorker& worker) {
  std::optional<Clock::time_point> next = deadline_;
  auto consider = [&next](Clock::time_point when) {
    if (!next.has_value() || when < *next) next = when;
  };
  if (state_ == State::kBackoff) consider(backoff_until_);
  if (state_ == State::kRunning && attempt_ != nullptr) {
    // Checked lazily: bytes move last_activity without touching the timer, and OnTimer
    // re-arms from the newest value. While paused the check is put off by a full period.
    const auto stall = ToSteady(endpoint_->stall_timeout);
    consider(attempt_->paused() ? Clock::now() + stall : attempt_->last_activity() + stall);
  }
  if (next.has_value()) {
    worker.SetTimer(this, *next);
  } else {
    worker.ClearTimer(this);
  }
}

void ClaudeTransfer::OnResume(CurlWorker& worker) {
  if (state_ != State::kRunning || attempt_ == nullptr) return;
  const CURLcode unpaused = attempt_->Resume();
  if (unpaused != CURLE_OK) {
    // The body callback failed while curl replayed the kept bytes (a decode error or the
    // channel closing); the handle cannot go on.
    AttemptOutcome outcome = attempt_->Finish(unpaused);
    AbandonAttempt(worker);
    EndAttempt(worker, std::move(outcome));
  }
}

void ClaudeTransfer::OnCancel(CurlWorker& worker) {
  if (state_ == State::kDone) return;
  AbandonAttempt(worker);
  Finish(worker, absl::CancelledError("call cancelled"));
}

void ClaudeTransfer::OnShutdown(CurlWorker& worker) {
  if (state_ == State::kDone) return;
  AbandonAttempt(worker);
  Finish(worker, absl::UnavailableError("llm-service is shutting down"));
}

absl::Status ClaudeTransfer::Scrubbed(absl::Status status) const {
  // Defence in depth: no path puts the key into a status, but an upstream error message
  // that quoted it would otherwise reach the client and the log.
  if (endpoint_->api_key.empty() ||
      status.message().find(endpoint_->api_key) == absl::string_view::npos) {
    return status;
  }
  return absl::Status(status.code(),
                      absl::StrReplaceAll(status.message(), {{endpoint_->api_key, "[redacted]"}}));
}

void ClaudeTransfer::Finish(CurlWorker& worker, absl::Status status) {
  if (state_ == State::kDone) return;
  state_ = State::kDone;
  worker.ClearTimer(this);
  status = Scrubbed(std::move(status));
  const auto elapsed_ms = MillisBetween(started_at_, Clock::now());
  auto log = common::Logger("claude");
  // The one line per call about the upstream side (the reactor logs the gRPC side).
  const auto level =
      status.ok() || absl::IsCancelled(status) ? spdlog::level::info : spdlog::level::warn;
  // Every argument is written as one escaped value (common/log.h): an optional field cannot be
  // spliced in through the arguments, so the failed end has a format of its own.
  const std::string_view upstream_id = upstream_request_id_.empty() ? "-" : upstream_request_id_;
  if (status.ok()) {
    log->log(level,
             "upstream end session={} request={} upstream_request_id={} attempts={} http={} "
             "status=OK deltas={} pauses={} ms={} trace={}",
             call_.session_id, call_.request_id, upstream_id, attempts_, http_status_,
             progress_.deltas, progress_.pauses, elapsed_ms, call_.trace_id);
  } else {
    log->log(level,
             "upstream end session={} request={} upstream_request_id={} attempts={} http={} "
             "status={} deltas={} pauses={} ms={} trace={} error=\"{}\"",
             call_.session_id, call_.request_id, upstream_id, attempts_, http_status_,
             absl::StatusCodeToString(status.code()), progress_.deltas, progress_.pauses,
             elapsed_ms, call_.trace_id, status.message());
  }
  if (!status.ok() && !curl_error_.empty()) log->debug("upstream curl_error=\"{}\"", curl_error_);
  channel_->Finish(std::move(status));
}

}  // namespace streamgate::llm
