#pragma once

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace streamgate::testing {

// streamgate-cli started by a test, with a pipe for its stdin and its stdout and stderr
// captured separately (the shared ChildProcess merges the two and gives no stdin). One thread
// reads both pipes; tests wait on what was printed, with deadlines, instead of sleeping.
// The destructor kills (SIGKILL) and reaps the process if it is still running.
class CliProcess {
 public:
  enum class Stream { kStdout, kStderr };
  // kPipe: stdin is a pipe the test writes to and closes. kNone: a pipe closed at once, as
  // `</dev/null` would be (a one-shot question reads piped text until end of input).
  enum class Input { kPipe, kNone };

  // Starts `argv[0]` with `argv` and the current environment plus `env` ("NAME=value").
  explicit CliProcess(std::vector<std::string> argv, std::vector<std::string> env = {},
                      Input input = Input::kPipe);
  ~CliProcess();
  CliProcess(const CliProcess&) = delete;
  CliProcess& operator=(const CliProcess&) = delete;

  pid_t pid() const { return pid_; }

  // Writes all of `text` to the child's stdin; false when the pipe is closed.
  bool WriteStdin(std::string_view text);
  // Closes the child's stdin (end of input).
  void CloseStdin();

  // Waits until everything `stream` has printed so far (partial lines included) matches
  // `pattern`; false when the timeout passes or the stream ends first.
  bool WaitForOutput(Stream stream, const std::regex& pattern, std::chrono::milliseconds timeout);
  std::string Output(Stream stream) const;
  // The complete lines of `stream` (a last line without "\n" counts once the stream ended).
  std::vector<std::string> Lines(Stream stream) const;
  std::string Diagnostics() const;

  void Signal(int signo);
  // Waits for the process to exit and for its output to be read to the end; returns its
  // exit code, or 128 + N when signal N ended it, or nullopt on timeout.
  std::optional<int> WaitForExit(std::chrono::milliseconds timeout);

 private:
  void ReadOutput(int out_fd, int err_fd);

  pid_t pid_ = -1;
  int stdin_fd_ = -1;
  std::optional<int> exit_code_;
  std::thread reader_;
  mutable std::mutex mu_;
  std::condition_variable changed_;
  std::string stdout_;          // guarded by mu_
  std::string stderr_;          // guarded by mu_
  bool output_closed_ = false;  // guarded by mu_: both pipes reached end of file
};

}  // namespace streamgate::testing
