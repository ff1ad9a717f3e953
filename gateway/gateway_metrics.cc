#include "gateway/gateway_metrics.h"

#include <algorithm>
#include <string>

#include "absl/status/status.h"
#include "gateway/connection_registry.h"

namespace streamgate::gateway {
namespace {

using common::metrics::Labels;

constexpr std::array<std::string_view, kUpgradeResults> kUpgradeResultNames = {
    "accepted",     "over_capacity",        "draining",   "forbidden_origin", "unauthenticated",
    "rate_limited", "identity_connections", "bad_request"};

// ClientMessage::Type in order, as the frames spell them.
constexpr std::array<std::string_view, 8> kFrameTypeNames = {
    "user_message", "cancel",      "authenticate",       "resume",
    "ack",          "get_history", "list_conversations", "delete_conversation"};

constexpr std::array<std::string_view, 4> kOutcomeNames = {"completed", "cancelled", "error",
                                                           "interrupted"};

constexpr std::array<std::string_view, kRateLimits> kRateLimitNames = {
    "upgrades_per_second", "identity_connections", "tickets",          "frames_per_second",
    "concurrent_replies",  "messages_per_minute",  "tokens_per_minute"};

constexpr std::array<std::string_view, kAuthFailures> kAuthFailureNames = {
    "missing", "malformed", "rejected", "ticket", "renewal", "expired"};

Labels One(std::string_view name, std::string_view value) {
  return {{std::string(name), std::string(value)}};
}

}  // namespace

GatewayMetrics::GatewayMetrics(common::metrics::Registry& registry,
                               const ConnectionRegistry& connections) {
  registry.AddGaugeFunction("streamgate_gateway_connections", "Open WebSocket connections.", {},
                            [&connections] { return static_cast<double>(connections.size()); });
  for (size_t i = 0; i < kUpgradeResults; ++i) {
    upgrades_[i] = &registry.AddCounter("streamgate_gateway_upgrades_total",
                                        "WebSocket upgrade attempts on /ws, by result.",
                                        One("result", kUpgradeResultNames[i]));
  }
  const std::string frames_help =
      "Frames read from clients, by type (invalid: not a valid "
      "client frame; binary: a binary frame).";
  for (size_t i = 0; i < kFrameTypes; ++i) {
    client_frames_[i] = &registry.AddCounter("streamgate_gateway_client_frames_total", frames_help,
                                             One("type", kFrameTypeNames[i]));
  }
  invalid_frames_ = &registry.AddCounter("streamgate_gateway_client_frames_total", frames_help,
                                         One("type", "invalid"));
  binary_frames_ = &registry.AddCounter("streamgate_gateway_client_frames_total", frames_help,
                                        One("type", "binary"));
  for (size_t i = 0; i < kErrors; ++i) {
    errors_sent_[i] = &registry.AddCounter("streamgate_gateway_errors_sent_total",
                                           "error frames sent to clients, by code.",
                                           One("code", ErrorCodeName(static_cast<ClientError>(i))));
  }
  for (size_t i = 0; i < kOutcomeNames.size(); ++i) {
    replies_[i] = &registry.AddCounter("streamgate_gateway_replies_total",
                                       "Replies ended, by outcome for the client.",
                                       One("outcome", kOutcomeNames[i]));
  }
  for (size_t i = 0; i < kStatusCodes; ++i) {
    llm_calls_[i] = &registry.AddCounter(
        "streamgate_gateway_llm_calls_total",
        "Replies from llm-service ended, by the gRPC status name of their call.",
        One("code", absl::StatusCodeToString(static_cast<absl::StatusCode>(i))));
  }
  auto buckets = common::metrics::LatencySecondsBuckets();
  first_chunk_ = &registry.AddHistogram(
      "streamgate_gateway_reply_first_chunk_seconds",
      "From a user_message read to the first stream_chunk of its reply written to the socket.",
      buckets);
  first_chunk_added_ = &registry.AddHistogram(
      "streamgate_gateway_reply_first_chunk_added_seconds",
      "The gateway's share of reply_first_chunk_seconds: that time minus the time llm-service "
      "reported its provider took to the first text (the hop to llm-service included).",
      buckets);
  chunk_gap_ = &registry.AddHistogram(
      "streamgate_gateway_chunk_gap_seconds",
      "Between two consecutive writes of one reply's text to its client.", buckets);
  for (size_t i = 0; i < kOutcomeNames.size(); ++i) {
    reply_duration_[i] =
        &registry.AddHistogram("streamgate_gateway_reply_duration_seconds",
                               "From a user_message read to its reply's last frame, by outcome.",
                               buckets, One("outcome", kOutcomeNames[i]));
  }
  cancel_ = &registry.AddHistogram(
      "streamgate_gateway_cancel_seconds",
      "From a cancel read to llm-service's call for that reply having ended.", buckets);
  queued_bytes_ = &registry.AddGauge("streamgate_gateway_outbound_queued_bytes",
                                     "Bytes waiting in attached sessions' outbound queues.");
  frames_merged_ = &registry.AddCounter(
      "streamgate_gateway_frames_merged_total",
      "Deltas merged into a stream_chunk already queued behind a write (fewer, larger frames "
      "for a client that lags).");
  slow_reader_pauses_ = &registry.AddCounter(
      "streamgate_gateway_slow_reader_pauses_total",
      "Times a session's outbound queue crossed --max-outbound-bytes and its replies paused.");
  for (size_t i = 0; i < kRateLimits; ++i) {
    rate_limited_[i] = &registry.AddCounter("streamgate_gateway_rate_limited_total",
                                            "Upgrades, tickets, frames and messages refused by "
                                            "a limit, by the limit.",
                                            One("limit", kRateLimitNames[i]));
  }
  for (size_t i = 0; i < kAuthFailures; ++i) {
    auth_failures_[i] = &registry.AddCounter("streamgate_gateway_auth_failures_total",
                                             "Credentials not accepted, by reason.",
                                             One("reason", kAuthFailureNames[i]));
  }
  const std::string resumes_help = "resume frames, by result: resumed, or why not.";
  resumes_[0] = &registry.AddCounter("streamgate_gateway_resumes_total", resumes_help,
                                     One("result", "resumed"));
  for (int i = 0; i < 5; ++i) {
    resumes_[1 + i] =
        &registry.AddCounter("streamgate_gateway_resumes_total", resumes_help,
                             One("result", ResumeFailureName(static_cast<ResumeFailure>(i))));
  }
}

void GatewayMetrics::ObserveFirstChunk(Duration elapsed, std::chrono::microseconds upstream) {
  first_chunk_->ObserveDuration(elapsed);
  if (upstream.count() == 0) return;
  // Clocks of two processes are not compared: both durations are each process's own.
  first_chunk_added_->ObserveDuration(std::max(Duration::zero(), elapsed - upstream));
}

void GatewayMetrics::CountRateLimited(std::string_view identity_limit) {
  for (size_t i = 0; i < kRateLimits; ++i) {
    if (kRateLimitNames[i] == identity_limit) return rate_limited_[i]->Increment();
  }
}

void GatewayMetrics::CountResume(bool ok, ResumeFailure failure) {
  resumes_[ok ? 0 : 1 + static_cast<size_t>(failure)]->Increment();
}

void GatewayMetrics::CountLlmCallEnded(const ReplyEnd& end) {
  size_t code = 2;  // UNKNOWN, for a cause that names no status
  if (end.kind == ReplyEnd::Kind::kCompleted) {
    code = 0;
  } else if (end.kind == ReplyEnd::Kind::kCancelled) {
    code = 1;
  } else {
    for (size_t i = 0; i < kStatusCodes; ++i) {
      if (absl::StatusCodeToString(static_cast<absl::StatusCode>(i)) == end.cause_code) code = i;
    }
  }
  llm_calls_[code]->Increment();
}

}  // namespace streamgate::gateway
