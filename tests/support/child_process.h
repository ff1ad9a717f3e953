#pragma once

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <regex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace streamgate::testing {

// A real process started by a test, with its stderr and stdout captured line by line so
// the test can wait for what it prints ("listening ... port=N") instead of sleeping.
// The destructor kills (SIGKILL) and reaps the process if it is still running.
class ChildProcess {
 public:
  using Clock = std::chrono::steady_clock;

  // Starts `argv[0]` with `argv` and the current environment plus `env` ("NAME=value").
  ChildProcess(std::vector<std::string> argv, std::vector<std::string> env = {});
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }

  // Waits until an output line at index >= `from_line` matches `pattern`; returns the
  // match's first capture group (or the whole line) and sets *line_index. Nullopt when the
  // timeout passes or the output ends first.
  std::optional<std::string> WaitForLine(const std::regex& pattern,
                                         std::chrono::milliseconds timeout,
                                         size_t from_line = 0, size_t* line_index = nullptr);
  // Number of lines captured so far, and a copy of them (for diagnostics).
  size_t LineCount() const;
  std::vector<std::string> Lines() const;
  std::string OutputForDiagnostics() const;

  // Resident set size from /proc/<pid>/status (VmRSS), in KiB; 0 if unreadable.
  long ResidentKb() const;

  void Signal(int signo);
  // Waits for the process to exit; returns its wait status or nullopt on timeout.
  std::optional<int> WaitForExit(std::chrono::milliseconds timeout);

 private:
  void ReadOutput(int fd);

  pid_t pid_ = -1;
  std::optional<int> exit_status_;
  std::thread reader_;
  mutable std::mutex mu_;
  std::condition_variable changed_;
  std::vector<std::string> lines_;
  bool output_closed_ = false;
};

// Starts a binary with `args`, waits for its "listening ... port=N" line and returns the
// port; fails the current test (and returns 0) when it does not come.
int WaitForListeningPort(ChildProcess& process, std::chrono::milliseconds timeout);

}  // namespace streamgate::testing
