#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace streamgate::cli {

// How one reply ended.
struct ReplyEnd {
  enum class Outcome { kCompleted, kCancelled, kFailed };
  Outcome outcome = Outcome::kCompleted;
  std::string error;  // kFailed: what to tell the person, e.g. "... (upstream_unavailable)"
};

// What a ChatBackend reports. Every method is called on the io_context thread.
class ChatListener {
 public:
  virtual ~ChatListener() = default;
  // Connected; Ask may be called from now on. `description` names the peer and the session.
  virtual void OnReady(const std::string& description) = 0;
  // One line of --json output: a server frame as received, or a gRPC message as JSON.
  virtual void OnRawEvent(std::string_view json_line) = 0;
  // The next piece of the reply being streamed.
  virtual void OnReplyText(std::string_view text) = 0;
  // The reply asked for ended; the next Ask may follow.
  virtual void OnReplyEnd(const ReplyEnd& end) = 0;
  // Something the server said outside any reply (an unexpected error frame).
  virtual void OnNotice(const std::string& text) = 0;
  // The connection never came or is gone; nothing else follows. Not called after Shutdown.
  virtual void OnConnectionLost(const std::string& reason) = 0;
};

// One conversation with a server: the gateway over WebSocket, or llm-service over gRPC.
// Owned by main; every method is called on the io_context thread, and the backend outlives
// io_context::run().
class ChatBackend {
 public:
  virtual ~ChatBackend() = default;
  // Connects; OnReady or OnConnectionLost follows.
  virtual void Start() = 0;
  // Sends one user message (valid UTF-8). At most one reply is in progress at a time.
  virtual void Ask(std::string text) = 0;
  // Asks the server to stop the reply in progress; its OnReplyEnd says kCancelled (or
  // kCompleted when the reply won the race). Nothing happens when no reply is running.
  virtual void Cancel() = 0;
  // Picks the conversation thread later messages go to ("default" until then). Only the
  // gateway has threads.
  virtual absl::Status SelectConversation(const std::string& /*id*/) {
    return absl::FailedPreconditionError("conversation threads need the gateway, not --grpc");
  }
  virtual std::string conversation() const { return "default"; }
  // Ends the conversation. `graceful`: a close handshake; otherwise the connection is dropped
  // at once (a reply in progress is cancelled either way: the WebSocket backend sends
  // `cancel` and closes gracefully then, since the gateway outlives a dropped connection). `done`
  // runs on the io thread once nothing of the backend is pending; a later call with graceful=false
  // hurries a graceful one along and does not run `done` twice.
  virtual void Shutdown(bool graceful, std::function<void()> done) = 0;
};

}  // namespace streamgate::cli
