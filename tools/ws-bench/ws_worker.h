#pragma once

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <memory>
#include <thread>
#include <vector>

#include "tools/ws-bench/bench_config.h"
#include "tools/ws-bench/bench_stats.h"
#include "tools/ws-bench/reference_reply.h"
#include "tools/ws-bench/ws_client.h"

namespace streamgate::bench {

// One thread with its own io_context, opening and running a share of the clients
// (WsConnection, or ResumeSession in the resume scenario)
// (global indices worker_index, worker_index + threads, ...). The connections, the ramp and
// `stats_` are touched only on that thread, so nothing in the hot path takes a lock; other
// threads reach it only through CloseAll (posted) and the atomic `stopped_`. Owned by WsDriver.
class WsWorker {
 public:
  // `reference`: the resume scenario's reference reply (null in the others); outlives the
  // worker.
  WsWorker(const BenchConfig& config, const Target& target, const ReferenceReply* reference,
           int worker_index, RunProgress* progress);
  ~WsWorker();

  void Start(Clock::time_point start);
  // Any thread: --sync-start is over; every connection may send from `go` on.
  void ReleaseMessages(Clock::time_point go);
  // Any thread: stops the ramp and closes every connection.
  void CloseAll(bool graceful);
  // True once the event loop ran out of work (every connection closed).
  bool stopped() const { return stopped_.load(std::memory_order_acquire); }
  // Any thread: abandons whatever is still pending. The last resort of a bounded run.
  void ForceStop() { io_.stop(); }
  void Join();

  // After Join.
  int64_t attempted() const { return attempted_; }
  const BenchStats& stats() const { return stats_; }

 private:
  void Ramp();
  std::shared_ptr<WsClient> MakeClient(int index);
  void DoCloseAll(bool graceful);

  const BenchConfig& config_;
  const Target& target_;
  const ReferenceReply* const reference_;
  RunProgress* const progress_;
  boost::asio::io_context io_;
  boost::asio::steady_timer ramp_timer_;
  Clock::time_point start_;
  int next_index_;         // global index of the next connection to open
  bool stopping_ = false;  // CloseAll came: open nothing more
  int64_t attempted_ = 0;
  // Weak: each client is kept alive by its own pending operations.
  std::vector<std::weak_ptr<WsClient>> connections_;
  BenchStats stats_;
  std::thread thread_;
  std::atomic<bool> stopped_{false};
};

}  // namespace streamgate::bench
