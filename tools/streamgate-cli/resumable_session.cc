#include "tools/streamgate-cli/resumable_session.h"

#include <algorithm>

namespace streamgate::cli {

void ResumableSession::Establish(const ServerFrame& hello) {
  id_ = hello.session_id;
  token_ = hello.resume_token;
  last_seq_ = hello.seq;
}

bool ResumableSession::Advance(const ServerFrame& frame) {
  if (frame.session_id != id_ || frame.seq == 0) return true;
  if (frame.seq <= last_seq_) return false;
  last_seq_ = frame.seq;
  return true;
}

std::string ResumableSession::ResumeFrame() const { return EncodeResume(id_, token_, last_seq_); }

void ResumableSession::Resumed(const ServerFrame& resumed) {
  if (!resumed.resume_token.empty()) token_ = resumed.resume_token;
}

absl::Duration ReconnectBackoff::Next(double random01) {
  absl::Duration ceiling = first_;
  for (int i = 0; i < attempts_ && ceiling < max_; ++i) ceiling *= 2;
  ceiling = std::min(ceiling, max_);
  ++attempts_;
  return ceiling / 2 + (ceiling / 2) * std::clamp(random01, 0.0, 1.0);
}

bool CloseCodeAllowsResume(uint16_t code) {
  if (code >= 4000 && code <= 4999) return false;
  switch (code) {
    case 1002:  // protocol error
    case 1003:  // unsupported data
    case 1007:  // invalid UTF-8
    case 1008:  // policy ("rate limit")
    case 1009:  // message too big
    case 1010:  // missing extension
      return false;
    default:
      return true;
  }
}

}  // namespace streamgate::cli
