#pragma once

#include <chrono>

// ChatSession's per-conversation state, shared by its two source files only.
#include <boost/asio/steady_timer.hpp>
#include <memory>
#include <string>
#include <vector>

#include "gateway/chat_session.h"
#include "gateway/conversation.h"
#include "gateway/limits/identity_limits.h"
#include "gateway/reply_backend.h"
#include "gateway/server_frames.h"

namespace streamgate::gateway {

// For the latency histograms, one reply's writes: when its user_message was read, when a
// frame with its text was last written (none yet: the epoch), and the first frame holding
// text of it not yet written (0: none). Kept past the reply's end until its last chunk is
// written (Lifecycle::ended_timings).
struct ChatSession::ChunkTiming {
  std::chrono::steady_clock::time_point asked_at;
  std::chrono::steady_clock::time_point last_written_at;
  uint64_t unwritten_seq = 0;
  // llm-service's share of the time to the first chunk (0: not said).
  std::chrono::microseconds upstream_first_delta{0};
};

inline constexpr size_t kMaxEndedTimings = 8;

struct ChatSession::ActiveReply {
  ConversationState* conversation = nullptr;
  uint64_t call_id = 0;
  uint64_t first_seq = 0;  // its stream_start (or first frame), for the log's retention
  std::string request_id;
  std::string trace_id;  // W3C, 32 hex digits: in its log lines and its stream_start/end
  std::shared_ptr<ReplyHandle> call;  // from services_.replies
  std::string user_text;
  std::string assistant_text;  // what the client has been sent so far, while history could keep it
  uint64_t assistant_bytes = 0;  // what the client has been sent so far, counted
  bool oversized = false;        // past the history's bound: assistant_text let go
  uint64_t input_estimate = 0;   // tokens: a quarter of the request's bytes
  bool started = false;          // llm-service reported the reply started
  bool cancel_requested = false;
  std::chrono::steady_clock::time_point cancel_at;  // when the cancel was read
  ChunkTiming timing;
  IdentityLimits::ReplyPermit permit;
};

struct ChatSession::ConversationState {
  explicit ConversationState(std::string conversation_id, size_t history_max_bytes)
      : id(std::move(conversation_id)), history(history_max_bytes) {}
  std::string id;
  Conversation history;
  int64_t last_activity_ms = 0;
  std::unique_ptr<ActiveReply> reply;
};

// What a session needs once it is more than an idle connection's: the store's bookkeeping,
// the resume window, the drain, the replies a restart cut off. Idle sessions are the many
// and have none of it (ChatSession::life() makes it on first use).
struct ChatSession::Lifecycle {
  struct Interrupted {
    std::string conversation;
    std::string request_id;  // empty if the store had none of the reply's frames
  };

  // Detached: the resume window.
  std::unique_ptr<boost::asio::steady_timer> window_timer;
  uint64_t window_generation = 0;
  int64_t drain_retry_after_ms = -1;  // >= 0 while draining
  // Frames go to the store in batches: one per --store-flush-interval while detached,
  // draining or just after a reply ended; one per kAttachedFlushIntervals intervals while
  // a connection is reading them (ChatSession::SchedulePersist says why).
  std::unique_ptr<boost::asio::steady_timer> persist_timer;
  bool persist_scheduled = false;
  bool persist_long = false;  // the armed wait is the attached one, kAttachedFlushIntervals long
  bool flush_soon = false;  // a reply ended since the last batch: its end goes within one interval
  uint64_t persisted_seq = 0;  // the store has every frame up to this
  uint64_t dropped_below = 0;  // and was told frames below this are no longer needed
  uint64_t reserved_seq = 0;   // StoredSession::seq_reserved as last put
  int64_t created_at_ms = 0;
  int64_t last_seen_put_ms = 0;  // when the store was last sent the session row
  size_t reported_detached_bytes = 0;
  uint64_t next_call_id = 1;
  // Conversations whose reply a crash or a drain deadline cut off.
  std::vector<Interrupted> interrupted;
  // Replies that ended with text not yet written (ChatSession::ObserveWritten), at most
  // kMaxEndedTimings; dropped on a detach.
  std::vector<ChunkTiming> ended_timings;
};

}  // namespace streamgate::gateway
