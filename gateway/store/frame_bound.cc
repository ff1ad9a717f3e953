#include "gateway/store/frame_bound.h"

#include <algorithm>

namespace streamgate::gateway {
namespace {

// sizeof(StoredFrame) plus a container slot; rounded, see FrameBytes.
constexpr size_t kFrameOverheadBytes = 48;

}  // namespace

size_t FrameBytes(const StoredFrame& frame) { return frame.frame.size() + kFrameOverheadBytes; }

size_t FramesThatFit(const std::vector<StoredFrame>& frames, uint64_t used, uint64_t limit,
                     uint64_t* bytes) {
  *bytes = 0;
  size_t count = 0;
  for (const StoredFrame& frame : frames) {
    uint64_t size = FrameBytes(frame);
    if (used + *bytes + size > limit) break;
    *bytes += size;
    ++count;
  }
  return count;
}

void ReplayLoss::Add(uint64_t first, uint64_t last) {
  if (first == 0) return;
  from = any() ? std::min(from, first) : first;
  through = std::max({through, first, last});
}

void ReplayLoss::Add(const ReplayLoss& other) {
  if (other.any()) Add(other.from, other.through);
}

void ReplayLoss::DropBelow(uint64_t seq) {
  if (!any()) return;
  if (seq > through) {
    *this = ReplayLoss{};
  } else {
    from = std::max(from, seq);
  }
}

ReplayLoss LossOfPut(const StoredSession& session) {
  ReplayLoss loss;
  loss.Add(session.replay_lost_from, session.replay_lost_from);
  return loss;
}

}  // namespace streamgate::gateway
