#pragma once

#include <chrono>
#include <optional>

namespace streamgate::common {

// SIGINT/SIGTERM (shut down) and SIGHUP (reload credentials and certificates) delivered
// synchronously to one waiting thread (main's) instead of to a handler that could interrupt
// any thread. Construct first thing in main, before any thread starts, so every thread
// inherits the blocked mask.
class ProcessSignals {
 public:
  ProcessSignals();

  // Blocks until SIGINT, SIGTERM or SIGHUP arrives and returns its number.
  int Wait();
  // Like Wait, but gives up after `timeout` and returns nullopt.
  std::optional<int> WaitFor(std::chrono::milliseconds timeout);

  static bool IsReload(int signo);
};

}  // namespace streamgate::common
