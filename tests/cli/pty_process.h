#pragma once

#include <sys/types.h>
#include <termios.h>

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

// streamgate-cli started by a test on a pseudo-terminal (forkpty): its stdin, stdout and
// stderr are the terminal, and the terminal is its controlling one, so the CLI sees a person
// at a terminal (libedit, bracketed paste, Ctrl-C as the tty's interrupt character). One
// thread reads everything the CLI writes; tests wait on it with deadlines. The destructor
// kills (SIGKILL) and reaps the process if it is still running.
class PtyProcess {
 public:
  // `env` ("NAME=value") is added to the current environment; TERM defaults to xterm.
  explicit PtyProcess(std::vector<std::string> argv, std::vector<std::string> env = {});
  ~PtyProcess();
  PtyProcess(const PtyProcess&) = delete;
  PtyProcess& operator=(const PtyProcess&) = delete;

  // Types `bytes` at the terminal (Enter is "\r", as a terminal sends it).
  bool Type(std::string_view bytes);
  // Waits until what the terminal showed since offset `from` matches `pattern`.
  bool WaitForOutput(const std::regex& pattern, std::chrono::milliseconds timeout, size_t from = 0);
  std::string Output() const;
  // The terminal's modes now, as its programs see them (read through the terminal's own
  // side); nullopt if they cannot be read.
  std::optional<termios> TerminalModes() const;
  // The exit code, or 128 + N when signal N ended it, or nullopt on timeout.
  std::optional<int> WaitForExit(std::chrono::milliseconds timeout);

 private:
  void ReadOutput();

  pid_t pid_ = -1;
  int master_ = -1;
  std::optional<int> exit_code_;
  std::thread reader_;
  mutable std::mutex mu_;
  std::condition_variable changed_;
  std::string output_;   // guarded by mu_
  bool closed_ = false;  // guarded by mu_: the terminal hung up (every writer is gone)
};

}  // namespace streamgate::testing
