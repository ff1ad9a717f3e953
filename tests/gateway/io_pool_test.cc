#include "gateway/io_pool.h"

#include <gtest/gtest.h>

#include <boost/asio/post.hpp>
#include <set>
#include <thread>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"

namespace streamgate::gateway {
namespace {

// Runs `fn` on `executor` and waits for it.
template <class Fn>
void RunOn(IoPool::Executor executor, Fn fn) {
  absl::Notification done;
  boost::asio::post(executor, [&] {
    fn();
    done.Notify();
  });
  done.WaitForNotification();
}

TEST(IoPool, NextDealsTheLoopsRoundRobinEachOnItsOwnThread) {
  IoPool pool(3);
  pool.Start();
  std::vector<IoPool::Executor> dealt;
  for (int i = 0; i < 6; ++i) dealt.push_back(pool.Next());
  // Three distinct loops, then the same three again in the same order.
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE(dealt[i] == dealt[i + 3]);
    EXPECT_FALSE(dealt[i] == dealt[(i + 1) % 3]);
  }
  std::set<std::thread::id> threads;
  for (int i = 0; i < 3; ++i) {
    RunOn(dealt[i], [&] {
      threads.insert(std::this_thread::get_id());
      // A loop is its own and no other's thread: this is what lets a connection and its
      // session skip strands.
      EXPECT_TRUE(dealt[i].running_in_this_thread());
      EXPECT_FALSE(dealt[(i + 1) % 3].running_in_this_thread());
    });
  }
  EXPECT_EQ(threads.size(), 3u);
  EXPECT_EQ(threads.count(std::this_thread::get_id()), 0u);
}

TEST(IoPool, ALoopWithNothingToDoKeepsRunningUntilStop) {
  IoPool pool(2);
  pool.Start();
  // No work was ever posted to the second loop: its thread must still be there to run
  // what a connection accepted much later posts.
  pool.Next();
  bool ran = false;
  RunOn(pool.Next(), [&] { ran = true; });
  EXPECT_TRUE(ran);
  pool.Stop();
  EXPECT_TRUE(pool.first().stopped());
}

TEST(IoPool, AtLeastOneLoop) {
  IoPool pool(0);
  EXPECT_EQ(pool.size(), 1);
  pool.Start();
  bool ran = false;
  RunOn(pool.Next(), [&] { ran = true; });
  EXPECT_TRUE(ran);
}

}  // namespace
}  // namespace streamgate::gateway
