#pragma once

#include <atomic>
#include <memory>
#include <vector>

#include "llm-service/curl_worker.h"

namespace streamgate::llm {

// A fixed set of CurlWorkers (`--curl-threads`, default one). Each transfer runs on one
// worker from start to end; new transfers go to the least-loaded worker (ties broken round
// robin), so long replies do not pile up on one thread. Owned by the provider; thread-safe.
class CurlWorkerPool {
 public:
  // `threads` >= 1.
  explicit CurlWorkerPool(int threads);
  ~CurlWorkerPool();
  CurlWorkerPool(const CurlWorkerPool&) = delete;
  CurlWorkerPool& operator=(const CurlWorkerPool&) = delete;

  // The worker the next transfer should start on.
  CurlWorker& Pick();
  // Stops every worker; their running transfers end with OnShutdown. Idempotent.
  void Shutdown();

  int size() const { return static_cast<int>(workers_.size()); }

 private:
  std::vector<std::unique_ptr<CurlWorker>> workers_;
  std::atomic<unsigned> next_{0};  // round-robin start point for the least-loaded scan
};

}  // namespace streamgate::llm
