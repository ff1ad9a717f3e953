#pragma once

#include <sys/types.h>

#include <string>
#include <utility>
#include <vector>

namespace streamgate::testing {

// How a test's child process is started (shared by ChildProcess and CliProcess).
struct SpawnOptions {
  std::vector<std::string> env;                // added to the current environment, "NAME=value"
  std::vector<std::pair<int, int>> redirects;  // {parent fd, child fd}: dup2'd in the child
  std::vector<int> default_signals;            // reset to SIG_DFL in the child
};

// Starts `argv[0]` with `argv`, no blocked signals (the test process may block SIGTERM and
// SIGINT) and `options`. Returns the pid; throws std::runtime_error when it cannot start.
pid_t SpawnProcess(std::vector<std::string> argv, SpawnOptions options);

// Kills (SIGKILL) and reaps a child that has not been reaped yet.
void KillAndReap(pid_t pid);

}  // namespace streamgate::testing
