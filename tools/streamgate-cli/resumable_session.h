#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/time/time.h"
#include "tools/streamgate-cli/ws_protocol.h"

namespace streamgate::cli {

// What this client keeps so that its gateway session survives a lost connection: the
// session's id, its current resume token (a secret: never printed, never logged) and the
// highest seq processed. A pure value; owned by WsChatBackend, on the io thread.
class ResumableSession {
 public:
  // The connection's first frame, connection_established: this is now the session.
  void Establish(const ServerFrame& hello);
  bool established() const { return !id_.empty(); }
  const std::string& id() const { return id_; }

  // Whether `frame` is news: a frame of another session (say the fresh one a resuming
  // connection starts with) is, and so is one of this session with a seq above the last
  // processed, which then becomes the last. A frame at or below it was seen before the
  // connection dropped, and a replay sends it again: skip it.
  bool Advance(const ServerFrame& frame);
  uint64_t last_seq() const { return last_seq_; }

  // The first frame of a new connection that takes this session back.
  std::string ResumeFrame() const;
  // session_resumed: the next token replaces the current one (which the gateway honours
  // until the new one is first used, so a connection lost before this frame resumes with
  // the old one).
  void Resumed(const ServerFrame& resumed);

 private:
  std::string id_;
  std::string token_;  // the secret
  uint64_t last_seq_ = 0;
};

// When to try again after a connection is lost: exponential from `first` (x2 per failed
// attempt, up to `max`), each delay drawn at random from [d/2, d] so that clients of one
// gateway do not come back in step. Pure; `random01` is a draw from [0, 1).
class ReconnectBackoff {
 public:
  ReconnectBackoff(absl::Duration first, absl::Duration max) : first_(first), max_(max) {}
  absl::Duration Next(double random01);
  // A connection succeeded: the next outage starts again from `first`.
  void Reset() { attempts_ = 0; }

 private:
  const absl::Duration first_;
  const absl::Duration max_;
  int attempts_ = 0;
};

// Whether a close the gateway started leaves the session worth resuming. 1012 (a drain),
// 1001, 1011, 1013, 1000 and codes the client does not know: yes. 1007/1008/1009/1010
// (the client's own fault: resuming would repeat it) and 4000-4999 (4000: another
// connection took the session over; 4001: the credential is gone): no.
bool CloseCodeAllowsResume(uint16_t code);

}  // namespace streamgate::cli
