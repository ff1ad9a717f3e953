#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "gateway/store/redis/redis_reply.h"
#include "gateway/store/redis/redis_url.h"

struct redisAsyncContext;

namespace streamgate::gateway {

// One connection to Redis, driven by an Asio io_context through hiredis's async adapter
// hooks (no thread of its own, no blocking call except the name lookup when connecting).
// Commands are pipelined: hiredis writes everything queued since the last write in one
// go when the socket is writable, and replies come back in order.
//
// Every bound is defined: while the connection is down (not yet up, lost, reconnecting)
// a command fails at once with UNAVAILABLE; with `max_pending` commands unanswered the
// next fails with RESOURCE_EXHAUSTED; a Redis that stops answering (the oldest command
// unanswered for `reply_timeout`) or does not accept within `connect_timeout` has its
// connection dropped, failing what was pending with UNAVAILABLE. It reconnects with
// backoff (reconnect_min doubling to reconnect_max) until Stop.
//
// Owned by its user (shared: pending I/O keeps it alive until Stop). Every call, every
// callback and the state callback run on the io_context's one thread.
class RedisClient : public std::enable_shared_from_this<RedisClient> {
 public:
  struct Options {
    RedisAddress address;
    size_t max_pending = 16384;
    absl::Duration connect_timeout = absl::Seconds(2);
    absl::Duration reply_timeout = absl::Seconds(2);
    absl::Duration reconnect_min = absl::Milliseconds(50);
    absl::Duration reconnect_max = absl::Seconds(2);
  };
  // The reply (a Redis error reply is a RedisReply of Type::kError, not a failed status),
  // or why there is none. Called exactly once.
  using Callback = absl::AnyInvocable<void(absl::StatusOr<RedisReply>)>;
  // Told each time the connection comes up (true) or goes down (false).
  using StateCallback = std::function<void(bool up)>;

  static std::shared_ptr<RedisClient> Create(boost::asio::io_context& io, Options options,
                                             StateCallback on_state = {});
  ~RedisClient();
  RedisClient(const RedisClient&) = delete;
  RedisClient& operator=(const RedisClient&) = delete;

  void Start();
  // Drops the connection (pending commands fail with CANCELLED) and stops reconnecting.
  void Stop();

  void Command(std::vector<std::string> argv, Callback done);

  bool up() const { return up_; }
  size_t pending() const { return sent_at_.size(); }

 private:
  RedisClient(boost::asio::io_context& io, Options options, StateCallback on_state);

  void Connect();
  void ScheduleReconnect();
  void Drop(const char* why);  // frees the context: its cleanup hook does the rest
  void SetUp(bool up);
  void ArmRead();
  void ArmWrite();
  void ArmWait(bool write);
  void ArmWatchdog();
  void FailLater(Callback done, absl::Status status);

  // hiredis's hooks (privdata / ac->data is this).
  static void AddRead(void* self);
  static void DelRead(void* self);
  static void AddWrite(void* self);
  static void DelWrite(void* self);
  static void Cleanup(void* self);
  static void OnConnect(const redisAsyncContext* context, int status);
  static void OnReply(redisAsyncContext* context, void* reply, void* privdata);

  boost::asio::io_context& io_;
  const Options options_;
  StateCallback on_state_;
  redisAsyncContext* context_ = nullptr;  // null while down
  // The context's socket, watched but never closed here (hiredis owns the descriptor).
  std::unique_ptr<boost::asio::posix::stream_descriptor> socket_;
  uint64_t generation_ = 0;  // bumped when a context goes: stale waits do nothing
  boost::asio::steady_timer reconnect_timer_;
  boost::asio::steady_timer watchdog_;  // connect and reply timeouts
  std::chrono::steady_clock::time_point connect_started_;
  absl::Duration reconnect_delay_;
  // When each unanswered command was sent, oldest first (replies come in order).
  std::deque<std::chrono::steady_clock::time_point> sent_at_;
  bool want_read_ = false;
  bool want_write_ = false;
  bool reading_ = false;
  bool writing_ = false;
  bool up_ = false;
  bool stopped_ = true;
  bool watching_ = false;
};

}  // namespace streamgate::gateway
