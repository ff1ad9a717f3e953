#include "llm-service/curl_worker_pool.h"

#include <algorithm>

namespace streamgate::llm {

CurlWorkerPool::CurlWorkerPool(int threads) {
  const int count = std::max(threads, 1);
  workers_.reserve(count);
  for (int i = 0; i < count; ++i) workers_.push_back(std::make_unique<CurlWorker>());
}

CurlWorkerPool::~CurlWorkerPool() { Shutdown(); }

CurlWorker& CurlWorkerPool::Pick() {
  // The loads are read without a lock: two concurrent picks may choose the same worker,
  // which only makes the balance approximate for a moment.
  const size_t count = workers_.size();
  const size_t first = next_.fetch_add(1, std::memory_order_relaxed) % count;
  CurlWorker* best = workers_[first].get();
  for (size_t i = 1; i < count; ++i) {
    CurlWorker* candidate = workers_[(first + i) % count].get();
    if (candidate->load() < best->load()) best = candidate;
  }
  return *best;
}

void CurlWorkerPool::Shutdown() {
  for (auto& worker : workers_) worker->Stop();
}

}  // namespace streamgate::llm
