#pragma once

#include <curl/curl.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "llm-service/chunk_channel.h"
#include "llm-service/claude/claude_event_decoder.h"
#include "llm-service/claude/retry_policy.h"
#include "llm-service/claude/sse_parser.h"
#include "llm-service/curl_worker.h"
#include "llm-service/llm_metrics.h"

namespace streamgate::llm {

// How to reach the Messages API. Built once by ClaudeProvider, then shared read-only by every
// transfer on every worker (curl only reads the header list while sending a request).
struct ClaudeEndpoint {
  struct SlistFree {
    void operator()(curl_slist* list) const { curl_slist_free_all(list); }
  };

  std::string url;  // {ANTHROPIC_BASE_URL}/v1/messages
  // x-api-key, anthropic-version, content-type, accept, and an empty Expect: (see .cc).
  std::unique_ptr<curl_slist, SlistFree> headers;
  absl::Duration connect_timeout = absl::Seconds(10);
  absl::Duration stall_timeout = absl::Seconds(60);
  RetryPolicy retry_policy;
  // Kept only to scrub it from any status text before it leaves the process; the request
  // carries it through `headers` alone.
  std::string api_key;
  LlmMetrics* metrics = nullptr;  // upstream attempts and retries; null: not counted
};

// What one call has sent downstream so far, over all its attempts.
struct ReplyProgress {
  bool started_sent = false;
  bool delta_sent = false;  // from here on a retry would repeat text: never retry
  int deltas = 0;
  int pauses = 0;  // times the body callback paused curl for backpressure
};

// How an attempt ended, and what RetryPolicy needs to judge it.
struct AttemptOutcome {
  absl::Status status;      // OK: the reply is whole (message_stop seen)
  bool retryable = false;   // whether RetryPolicy may be asked at all
  bool cancelled = false;   // the channel closed: nobody is listening any more
  UpstreamAttempt attempt;  // delta_sent is filled in by the transfer
  std::string upstream_request_id;
  std::string curl_error;  // for the log line; never holds the key (we do not log URLs+keys)
  bool stalled = false;    // ended by the stall timeout, not by curl
};

// One HTTP request of a ClaudeTransfer: the easy handle, its response headers, and the body
// fed through SseParser → ClaudeEventDecoder → ChunkChannel. Owned by the transfer; every
// method and curl callback runs on the transfer's worker thread.
//
// Backpressure: when a push into the channel answers kPause, the rest of the bytes curl
// handed over in that callback are still decoded (the overshoot is one curl buffer); the
// next body callback then returns CURL_WRITEFUNC_PAUSE without consuming anything, so curl
// keeps those bytes and delivers them again after Resume(). Bytes are thus either consumed
// whole or not at all, and nothing is parsed twice.
class ClaudeAttempt {
 public:
  using Clock = CurlWorker::Clock;

  // `body` and `request_id` (for debug lines) belong to the transfer, which outlives this.
  ClaudeAttempt(const ClaudeEndpoint& endpoint, const std::string& body,
                const std::string& request_id, uint32_t messages_received, ChunkChannel* channel,
                ReplyProgress* progress);
  ~ClaudeAttempt();
  ClaudeAttempt(const ClaudeAttempt&) = delete;
  ClaudeAttempt& operator=(const ClaudeAttempt&) = delete;

  // Creates and configures the easy handle. False when curl refuses (out of memory).
  bool Configure();
  CURL* easy() const { return easy_; }

  // The channel drained: take bytes again. Returns what curl_easy_pause said when it had to
  // unpause (it may run the body callback at once, with the bytes it kept).
  CURLcode Resume();
  // Paused for backpressure: the stall clock does not run meanwhile.
  bool paused() const { return channel_paused_ || curl_paused_; }
  Clock::time_point last_activity() const { return last_activity_; }

  // Judges the attempt once curl reported it done with `result`.
  AttemptOutcome Finish(CURLcode result);
  // Judges an attempt the transfer abandoned because no byte came for the stall timeout.
  AttemptOutcome Stalled() const;

 private:
  static size_t HeaderCallback(char* data, size_t size, size_t count, void* self);
  static size_t BodyCallback(char* data, size_t size, size_t count, void* self);
  size_t OnHeader(std::string_view line);
  size_t OnBody(std::string_view bytes);
  absl::Status OnEvent(const SseEvent& event);
  int HttpStatus();
  AttemptOutcome BaseOutcome() const;

  const ClaudeEndpoint& endpoint_;
  const std::string& body_;
  const std::string& request_id_for_log_;
  ChunkChannel* const channel_;
  ReplyProgress* const progress_;
  CURL* easy_ = nullptr;
  char curl_error_[CURL_ERROR_SIZE] = {};

  SseParser parser_;
  ClaudeEventDecoder decoder_;
  // `started` is held back until the first text (or the end): an attempt that fails before
  // any text can then be retried without the client seeing a second `started`.
  std::optional<v1::StreamChatResponse> pending_started_;
  int http_status_ = 0;                       // 0 until the final response's status is known
  HttpHeaders headers_;                       // the few response headers retries and logs use
  std::string request_id_;                    // upstream `request-id`
  std::string error_body_;                    // non-2xx body, bounded
  std::optional<absl::Status> abort_status_;  // why a callback stopped the transfer
  bool channel_closed_ = false;
  bool channel_paused_ = false;  // the last push answered kPause; no resume seen yet
  bool curl_paused_ = false;     // the body callback returned CURL_WRITEFUNC_PAUSE
  Clock::time_point last_activity_;
};

}  // namespace streamgate::llm
