#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "gateway/store/session_store.h"

namespace streamgate::gateway {

// The frame bound both stores share: how frames are counted against --store-queue-bytes,
// which frames of an AppendFrames call are kept, and what a drop leaves behind in
// replay_lost_from. Plain functions and a value type; no state of their own.

// Approximate heap bytes of one frame while a store holds it in memory: its text plus the
// seq and container bookkeeping. Approximate on purpose: the bound is about orders of
// magnitude (megabytes), not exact allocator usage.
size_t FrameBytes(const StoredFrame& frame);

// How many frames, from the front of `frames`, fit when `used` of `limit` bytes are taken
// (`*bytes` receives their size). The rest of the call is dropped even if a later, smaller
// frame would fit, so what a call stores is always a contiguous run starting at its first
// frame.
size_t FramesThatFit(const std::vector<StoredFrame>& frames, uint64_t used, uint64_t limit,
                     uint64_t* bytes);

// The frames of one session a store dropped, as the range [from, through] that may have
// holes (from == 0: none). StoredSession::replay_lost_from is `from`; `through` is kept by
// the stores (a column, not part of the interface) so that the mark can be cleared once
// the client has acknowledged past every dropped frame (DropBelow); without it one full
// queue would send every later resume of the session to `gap`.
struct ReplayLoss {
  uint64_t from = 0;
  uint64_t through = 0;

  bool any() const { return from != 0; }
  // Frames first..last were dropped (or, from a PutSession, may be missing).
  void Add(uint64_t first, uint64_t last);
  void Add(const ReplayLoss& other);
  // The client no longer needs frames below `seq`: a loss entirely below it no longer
  // matters, and one that straddles it starts at `seq` at the earliest.
  void DropBelow(uint64_t seq);

  bool operator==(const ReplayLoss&) const = default;
};

// The loss a PutSession carries: the caller's replay_lost_from (normally 0 or the value it
// loaded), which can only add to what the store knows, never clear it (the caller does
// not learn of drops, so a put with 0 must not erase one).
ReplayLoss LossOfPut(const StoredSession& session);

}  // namespace streamgate::gateway
