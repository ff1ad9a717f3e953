#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/system/error_code.hpp>
#include <chrono>
#include <cstddef>

#include "absl/time/time.h"

namespace streamgate::gateway {

class ConnectionRegistry;

// Gives every open connection its heartbeat (a ping, and the idle check) once per ping
// interval, from one timer for the whole process: a timer and a pending wait in every
// connection would cost each idle connection ~250 bytes. The interval is cut into kSlices
// ticks, each visiting one slice of the connections, so pings go out spread over the interval
// rather than in one burst.
class Heartbeat {
 public:
  static constexpr size_t kSlices = 16;

  // `registry` must outlive this object.
  Heartbeat(boost::asio::io_context& io, const ConnectionRegistry& registry,
            absl::Duration interval);

  void Start();

 private:
  void Arm();
  void OnTick(boost::system::error_code ec);

  boost::asio::steady_timer timer_;
  const ConnectionRegistry& registry_;
  const std::chrono::nanoseconds tick_;
  std::chrono::steady_clock::time_point next_tick_;
  size_t slice_ = 0;  // touched only by OnTick, and one tick is pending at a time
};

}  // namespace streamgate::gateway
