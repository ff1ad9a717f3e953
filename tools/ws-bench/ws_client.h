#pragma once

#include "tools/ws-bench/bench_stats.h"

namespace streamgate::bench {

// One client of a WebSocket scenario, as its WsWorker drives it: WsConnection (idle and
// messages) or ResumeSession (resume). Every call comes on the worker's thread.
class WsClient {
 public:
  virtual ~WsClient() = default;

  // Begins opening; the scenario runs from there on its own.
  virtual void Start() = 0;
  // --sync-start: sends the first message at `go` plus this client's share of the spread.
  // Ignored unless established and waiting.
  virtual void BeginMessages(Clock::time_point go) = 0;
  // Ends the client. `graceful`: a close handshake (after a write in flight); otherwise the
  // socket is shut at once. A client still in the middle of its work counts as failed.
  virtual void Close(bool graceful) = 0;
};

}  // namespace streamgate::bench
