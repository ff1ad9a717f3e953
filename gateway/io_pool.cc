#include "gateway/io_pool.h"

#include <pthread.h>

#include <algorithm>
#include <string>

namespace streamgate::gateway {

IoPool::IoPool(int threads) {
  int count = std::max(threads, 1);
  contexts_.reserve(static_cast<size_t>(count));
  for (int i = 0; i < count; ++i) {
    // One thread runs each: the hint lets Asio skip waking other threads for it.
    contexts_.push_back(std::make_unique<boost::asio::io_context>(1));
    guards_.emplace_back(contexts_.back()->get_executor());
  }
}

IoPool::~IoPool() { Stop(); }

void IoPool::Start() {
  for (size_t i = 0; i < contexts_.size(); ++i) {
    threads_.emplace_back([io = contexts_[i].get(), i] {
      // Named for `top -H` and per-thread CPU accounting (/proc/<pid>/task/<tid>/comm).
      std::string name = "sg-io-" + std::to_string(i);
      pthread_setname_np(pthread_self(), name.c_str());
      io->run();
    });
  }
}

void IoPool::Stop() {
  for (auto& context : contexts_) context->stop();
  for (auto& thread : threads_) {
    if (thread.joinable()) thread.join();
  }
  threads_.clear();
}

IoPool::Executor IoPool::Next() {
  size_t index = next_.fetch_add(1, std::memory_order_relaxed) % contexts_.size();
  return contexts_[index]->get_executor();
}

}  // namespace streamgate::gateway
