#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/time/time.h"
#include "gateway/client_protocol.h"
#include "gateway/server_frames.h"

namespace streamgate::gateway {

// The seam between sessions and the way replies are produced (DESIGN.md, "Reply backend"):
// a session starts, cancels and paces replies in the gateway's own terms, and hears back
// events and a client-facing end. Which transport carries the reply (one StreamChat call
// per reply today) and how its statuses map to client errors is the backend's business,
// decided once, there.

// How a reply ended.
struct ReplyEnd {
  enum class Kind {
    kCompleted,  // every delta arrived and the provider said why it stopped
    kCancelled,  // ended by ReplyHandle::Cancel
    kFailed,     // anything else: `error` for the client, the cause for the log
  };
  Kind kind = Kind::kFailed;
  // kCompleted.
  std::string stop_reason;
  Usage usage;
  // kFailed: what the client is told, and for the operator's log line the transport's
  // status name ("UNAVAILABLE", ...) and its detail. Never shown to a client.
  ClientError error = ClientError::kInternal;
  std::string cause_code;
  std::string cause_detail;
};

// Receives one reply's events, always on the executor given to ReplyBackend::Start (the
// session's loop), in order: started, deltas, then the end, which is the last.
class ReplyObserver {
 public:
  virtual ~ReplyObserver() = default;
  virtual void OnReplyStarted(uint64_t reply_id) = 0;
  // Before the first delta, when llm-service said how long its provider took to it
  // (TextDelta.first_delta_us): the producer's share of the time to first chunk.
  virtual void OnReplyUpstreamLatency(uint64_t /*reply_id*/,
                                      std::chrono::microseconds /*to_first_delta*/) {}
  virtual void OnReplyDelta(uint64_t reply_id, std::string text) = 0;
  virtual void OnReplyEnd(uint64_t reply_id, ReplyEnd end) = 0;
};

// One running reply as its session holds it. Called on the session's loop.
class ReplyHandle {
 public:
  virtual ~ReplyHandle() = default;
  // Stops the reply; it ends with kCancelled unless it had already ended. The producer
  // (llm-service, and the upstream request) is told.
  virtual void Cancel() = 0;
  // The session's outbound queue is over (or back under) its bound: the reply stops being
  // read, so it waits in the producer's flow control rather than in gateway memory.
  virtual void Pause(bool paused) = 0;
};

struct ReplyStart {
  uint64_t reply_id = 0;
  std::string request;  // an encoded llm.v1.StreamChatRequest (Conversation::Request)
  absl::Duration timeout = absl::InfiniteDuration();  // the whole reply
  // How long the reply may wait for llm-service to be reachable at all.
  absl::Duration connect_timeout = absl::InfiniteDuration();
  // W3C traceparent for llm-service (the reply's trace, with the gateway's span as parent).
  std::string traceparent;
};

// Process-wide; thread-safe. Owned by GatewayServer (GatewayServices::replies).
class ReplyBackend {
 public:
  virtual ~ReplyBackend() = default;
  // Starts a reply. Its events go to `observer` on `executor` until the end; a gone
  // observer gets nothing (the reply is then cancelled by the handle's owner).
  virtual std::shared_ptr<ReplyHandle> Start(ReplyStart start,
                                             boost::asio::any_io_executor executor,
                                             std::weak_ptr<ReplyObserver> observer) = 0;
};

}  // namespace streamgate::gateway
