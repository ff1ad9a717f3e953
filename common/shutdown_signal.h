#pragma once

#include <chrono>
#include <optional>

namespace streamgate::common {

// SIGINT/SIGTERM delivered synchronously to one waiting thread instead of to a handler that
// could interrupt any thread. Construct first thing in main, before any thread starts, so
// every thread inherits the blocked mask.
class ShutdownSignal {
 public:
  ShutdownSignal();

  // Blocks until SIGINT or SIGTERM arrives and returns its number.
  int Wait();
  // Like Wait, but gives up after `timeout` and returns nullopt.
  std::optional<int> WaitFor(std::chrono::milliseconds timeout);
};

}  // namespace streamgate::common
