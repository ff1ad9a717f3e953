#pragma once

#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <memory>
#include <thread>
#include <vector>

namespace streamgate::gateway {

// The gateway's event loops: one io_context per io thread, each run by its own thread. A
// connection is placed on one loop when it is accepted (round robin) and stays there: its
// socket, its timers and its session all run on that one thread, so none of them needs a
// strand, and an executor is one pointer rather than a type-erased strand (idle connections
// are the many: each pending read carries copies of its executor). Work that belongs to no
// connection (accept loops, the heartbeat) runs on the first loop.
//
// Owned by GatewayServer. Start, Stop and the destructor run on its thread; Next and the
// contexts may be used from any thread.
class IoPool {
 public:
  using Executor = boost::asio::io_context::executor_type;

  explicit IoPool(int threads);
  ~IoPool();
  IoPool(const IoPool&) = delete;
  IoPool& operator=(const IoPool&) = delete;

  // Runs every loop on its own thread until Stop.
  void Start();
  // Stops every loop (pending handlers are not run) and joins the threads.
  void Stop();

  // The loop for the next connection.
  Executor Next();
  boost::asio::io_context& first() { return *contexts_.front(); }
  int size() const { return static_cast<int>(contexts_.size()); }

 private:
  using Guard = boost::asio::executor_work_guard<Executor>;

  std::vector<std::unique_ptr<boost::asio::io_context>> contexts_;
  // A loop with no connection yet must not return from run().
  std::vector<Guard> guards_;
  std::vector<std::thread> threads_;
  std::atomic<size_t> next_{0};
};

}  // namespace streamgate::gateway
