#include "llm-service/claude_attempt.h"

#include <algorithm>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "llm-service/claude/anthropic_status.h"

namespace streamgate::llm {
namespace {

// Anthropic's error bodies are a few hundred bytes; more than this is not an error envelope
// worth reading, and reading stops there.
constexpr size_t kMaxErrorBodyBytes = 16 * 1024;
// A response has a handful of headers we keep; the bound only guards against a broken peer.
constexpr size_t kMaxKeptHeaders = 16;

bool IsSuccess(int http_status) { return http_status >= 200 && http_status < 300; }

// The response headers that retries and the outcome log read; others are not kept.
bool IsKeptHeader(absl::string_view name) {
  for (const char* kept : {"request-id", "retry-after", "retry-after-ms", "x-should-retry"}) {
    if (absl::EqualsIgnoreCase(name, kept)) return true;
  }
  return false;
}

bool IsTimeout(CURLcode result) { return result == CURLE_OPERATION_TIMEDOUT; }

}  // namespace

ClaudeAttempt::ClaudeAttempt(const ClaudeEndpoint& endpoint, const std::string& body,
                             const std::string& request_id, uint32_t messages_received,
                             ChunkChannel* channel, ReplyProgress* progress)
    : endpoint_(endpoint),
      body_(body),
      request_id_for_log_(request_id),
      channel_(channel),
      progress_(progress),
      decoder_(messages_received),
      last_activity_(Clock::now()) {}

ClaudeAttempt::~ClaudeAttempt() {
  // The transfer or the worker removed the handle from the multi before this point.
  if (easy_ != nullptr) curl_easy_cleanup(easy_);
}

bool ClaudeAttempt::Configure() {
  easy_ = curl_easy_init();
  if (easy_ == nullptr) return false;
  const auto connect_ms = static_cast<long>(absl::ToInt64Milliseconds(endpoint_.connect_timeout));
  bool ok = true;
  auto set = [&](CURLoption option, auto value) {
    ok = ok && curl_easy_setopt(easy_, option, value) == CURLE_OK;
  };
  set(CURLOPT_URL, endpoint_.url.c_str());
  set(CURLOPT_PROTOCOLS_STR, "http,https");
  set(CURLOPT_HTTPHEADER, endpoint_.headers.get());
  set(CURLOPT_POST, 1L);
  set(CURLOPT_POSTFIELDS, body_.data());
  set(CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body_.size()));
  set(CURLOPT_USERAGENT, "streamgate-llm-service");
  // Signals are no way to time out a resolver on a multi-threaded server.
  set(CURLOPT_NOSIGNAL, 1L);
  set(CURLOPT_CONNECTTIMEOUT_MS, std::max(connect_ms, 1L));
  // HTTP/2 over TLS when the server offers it (ALPN). Over TLS, also wait for a connection
  // being set up to say whether it multiplexes, rather than open one per concurrent request
  // (a burst of 1,000 calls then costs one handshake, not 1,000). Not over plain http://,
  // which never multiplexes here: there curl would park the waiting requests until some
  // earlier transfer completed (measured: +1.2 s at p99 for a burst of 1,000).
  set(CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_2TLS));
  if (endpoint_.url.starts_with("https://")) set(CURLOPT_PIPEWAIT, 1L);
  set(CURLOPT_TCP_KEEPALIVE, 1L);
  set(CURLOPT_ERRORBUFFER, curl_error_);
  set(CURLOPT_HEADERFUNCTION, &ClaudeAttempt::HeaderCallback);
  set(CURLOPT_HEADERDATA, static_cast<void*>(this));
  set(CURLOPT_WRITEFUNCTION, &ClaudeAttempt::BodyCallback);
  set(CURLOPT_WRITEDATA, static_cast<void*>(this));
  last_activity_ = Clock::now();
  return ok;
}

size_t ClaudeAttempt::HeaderCallback(char* data, size_t size, size_t count, void* self) {
  return static_cast<ClaudeAttempt*>(self)->OnHeader(std::string_view(data, size * count));
}

size_t ClaudeAttempt::BodyCallback(char* data, size_t size, size_t count, void* self) {
  return static_cast<ClaudeAttempt*>(self)->OnBody(std::string_view(data, size * count));
}

size_t ClaudeAttempt::OnHeader(std::string_view line) {
  last_activity_ = Clock::now();
  absl::string_view text(line.data(), line.size());
  // A status line starts a new header block (after a 1xx, the final response follows).
  if (absl::StartsWith(text, "HTTP/")) {
    headers_.clear();
    request_id_.clear();
    return line.size();
  }
  const size_t colon = text.find(':');
  if (colon == absl::string_view::npos) return line.size();
  absl::string_view name = absl::StripAsciiWhitespace(text.substr(0, colon));
  if (!IsKeptHeader(name) || headers_.size() >= kMaxKeptHeaders) return line.size();
  std::string value(absl::StripAsciiWhitespace(text.substr(colon + 1)));
  if (absl::EqualsIgnoreCase(name, "request-id")) {
    // Logged, so bounded and made of printable characters only.
    request_id_ = UpstreamMessageExcerpt(value.substr(0, 128));
  }
  headers_.emplace_back(std::string(name), std::move(value));
  return line.size();
}

int ClaudeAttempt::HttpStatus() {
  if (http_status_ == 0) {
    long code = 0;
    curl_easy_getinfo(easy_, CURLINFO_RESPONSE_CODE, &code);
    http_status_ = static_cast<int>(code);
  }
  return http_status_;
}

size_t ClaudeAttempt::OnBody(std::string_view bytes) {
  last_activity_ = Clock::now();
  if (!IsSuccess(HttpStatus())) {
    const size_t room = kMaxErrorBodyBytes - error_body_.size();
    error_body_.append(bytes.substr(0, room));
    // Enough to map the error: stop reading (curl closes the connection).
    return bytes.size() <= room ? bytes.size() : 0;
  }
  if (channel_paused_) {
    // Nothing consumed: curl keeps these bytes and hands them over again after Resume().
    curl_paused_ = true;
    ++progress_->pauses;
    common::Logger("claude")->debug("upstream paused request={} queued_bytes={}",
                                    request_id_for_log_, channel_->queued_bytes());
    return CURL_WRITEFUNC_PAUSE;
  }
  absl::Status fed = parser_.Feed(bytes, [this](const SseEvent& event) { return OnEvent(event); });
  if (!fed.ok()) {
    abort_status_ = std::move(fed);
    return 0;  // curl ends the transfer with CURLE_WRITE_ERROR; Finish reports abort_status_
  }
  return bytes.size();
}

absl::Status ClaudeAttempt::OnEvent(const SseEvent& event) {
  auto decoded = decoder_.Decode(event);
  if (!decoded.ok()) return decoded.status();
  if (!decoded->has_value()) return absl::OkStatus();
  v1::StreamChatResponse& message = **decoded;
  if (message.has_started()) {
    pending_started_ = std::move(message);
    return absl::OkStatus();
  }
  ChunkChannel::PushResult result = ChunkChannel::PushResult::kAccepted;
  if (pending_started_.has_value() && !progress_->started_sent) {
    progress_->started_sent = true;
    result = channel_->Push(*std::move(pending_started_));
    pending_started_.reset();
  }
  if (result != ChunkChannel::PushResult::kClosed) {
    if (message.has_delta()) {
      progress_->delta_sent = true;
      ++progress_->deltas;
      result = channel_->PushDelta(message.delta().text());
    } else {
      result = channel_->Push(std::move(message));
    }
  }
  if (result == ChunkChannel::PushResult::kClosed) {
    channel_closed_ = true;
    return absl::CancelledError("call cancelled");
  }
  // Only the last answer counts: a resume that came between two pushes of this callback
  // already ended an earlier pause (see ChunkChannel: one resume per kPause episode).
  channel_paused_ = result == ChunkChannel::PushResult::kPause;
  return absl::OkStatus();
}

CURLcode ClaudeAttempt::Resume() {
  channel_paused_ = false;
  // The stall clock restarts: the upstream had no reason to send while we did not read.
  last_activity_ = Clock::now();
  if (!curl_paused_) return CURLE_OK;
  curl_paused_ = false;
  return curl_easy_pause(easy_, CURLPAUSE_CONT);
}

AttemptOutcome ClaudeAttempt::BaseOutcome() const {
  AttemptOutcome outcome;
  outcome.upstream_request_id = request_id_;
  outcome.curl_error = curl_error_;
  outcome.attempt.http_status = http_status_;
  outcome.attempt.headers = headers_;
  return outcome;
}

AttemptOutcome ClaudeAttempt::Finish(CURLcode result) {
  HttpStatus();
  AttemptOutcome outcome = BaseOutcome();
  if (channel_closed_) {
    outcome.cancelled = true;
    outcome.status = absl::CancelledError("call cancelled");
  } else if (decoder_.complete()) {
    // message_stop arrived; how the connection ended afterwards does not matter.
    outcome.status = absl::OkStatus();
  } else if (http_status_ != 0 && !IsSuccess(http_status_)) {
    outcome.status = UpstreamHttpStatus(http_status_, error_body_);
    outcome.retryable = true;  // RetryPolicy decides from the status and headers
  } else if (abort_status_.has_value()) {
    // A mid-stream `error` event or a broken stream: the response itself said no.
    outcome.status = *abort_status_;
  } else {
    // The connection failed, or the body ended without message_stop: both are failures of
    // the transport, retryable while no text has gone out.
    const TransportFailure failure =
        IsTimeout(result) ? TransportFailure::kTimeout : TransportFailure::kConnection;
    outcome.attempt.transport_failure = failure;
    outcome.retryable = true;
    outcome.status = result == CURLE_OK ? decoder_.Finish() : UpstreamTransportStatus(failure);
  }
  return outcome;
}

AttemptOutcome ClaudeAttempt::Stalled() const {
  AttemptOutcome outcome = BaseOutcome();
  // Retried like any timeout while no text has gone out; the final status is UNAVAILABLE
  // (the upstream is failing), not DEADLINE_EXCEEDED (the caller's deadline has not passed).
  outcome.attempt.transport_failure = TransportFailure::kTimeout;
  outcome.retryable = true;
  outcome.stalled = true;
  outcome.status = absl::UnavailableError(absl::StrCat(
      "upstream stalled: no data for ", absl::FormatDuration(endpoint_.stall_timeout)));
  return outcome;
}

}  // namespace streamgate::llm
