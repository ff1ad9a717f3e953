#pragma once

#include <cstdint>

#include "tools/ws-bench/bench_stats.h"

namespace streamgate::bench {

// Drives the connections of one run: WebSocket (WsDriver) or gRPC straight to llm-service
// (GrpcDriver). Owned and called by BenchRun on the main thread; each implementation runs
// its own threads and reports progress through the RunProgress it was given.
class LoadDriver {
 public:
  virtual ~LoadDriver() = default;

  // Begins opening connections at the configured ramp rate, the first at `start`.
  virtual void Start(Clock::time_point start) = 0;
  // --sync-start: every connection is open (or failed); let them send, from `go` on.
  virtual void ReleaseMessages(Clock::time_point go) = 0;
  // Ends every connection and returns once the driver's threads are done. Closing may be
  // orderly until `deadline` (a close handshake, a cancelled call); what is still open then
  // is cut.
  virtual void Stop(Clock::time_point deadline) = 0;

  // Both only after Stop.
  virtual int64_t attempted() const = 0;  // connections whose opening was begun
  virtual BenchStats TakeStats() = 0;
};

}  // namespace streamgate::bench
