#include "tests/support/child_process.h"

#include <fcntl.h>
#include <signal.h>
#include <poll.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <stdexcept>

#include "gtest/gtest.h"
#include "tests/support/spawn.h"

namespace streamgate::testing {

ChildProcess::ChildProcess(std::vector<std::string> argv, std::vector<std::string> env) {
  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe2 failed");
  try {
    pid_ = SpawnProcess(std::move(argv),
                        {.env = std::move(env),
                         .redirects = {{pipe_fds[1], STDOUT_FILENO}, {pipe_fds[1], STDERR_FILENO}},
                         .default_signals = {}});
  } catch (...) {
    close(pipe_fds[0]);
    close(pipe_fds[1]);
    throw;
  }
  close(pipe_fds[1]);
  reader_ = std::thread([this, fd = pipe_fds[0]] { ReadOutput(fd); });
}

ChildProcess::~ChildProcess() {
  if (!exit_status_.has_value()) KillAndReap(pid_);
  if (reader_.joinable()) reader_.join();
}

void ChildProcess::ReadOutput(int fd) {
  std::string partial;
  char buffer[4096];
  for (;;) {
    ssize_t n = read(fd, buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    partial.append(buffer, static_cast<size_t>(n));
    size_t start = 0;
    for (size_t nl; (nl = partial.find('\n', start)) != std::string::npos; start = nl + 1) {
      std::lock_guard lock(mu_);
      lines_.push_back(partial.substr(start, nl - start));
      changed_.notify_all();
    }
    partial.erase(0, start);
  }
  close(fd);
  std::lock_guard lock(mu_);
  if (!partial.empty()) lines_.push_back(partial);
  output_closed_ = true;
  changed_.notify_all();
}

std::optional<std::string> ChildProcess::WaitForLine(const std::regex& pattern,
                                                     std::chrono::milliseconds timeout,
                                                     size_t from_line, size_t* line_index) {
  auto deadline = Clock::now() + timeout;
  std::unique_lock lock(mu_);
  size_t next = from_line;
  for (;;) {
    for (; next < lines_.size(); ++next) {
      std::smatch match;
      if (std::regex_search(lines_[next], match, pattern)) {
        if (line_index != nullptr) *line_index = next;
        return match.size() > 1 ? match[1].str() : match[0].str();
      }
    }
    if (output_closed_) return std::nullopt;
    if (changed_.wait_until(lock, deadline) == std::cv_status::timeout &&
        next == lines_.size()) {
      return std::nullopt;
    }
  }
}

size_t ChildProcess::LineCount() const {
  std::lock_guard lock(mu_);
  return lines_.size();
}

std::vector<std::string> ChildProcess::Lines() const {
  std::lock_guard lock(mu_);
  return lines_;
}

std::string ChildProcess::OutputForDiagnostics() const {
  std::string out;
  for (const auto& line : Lines()) out += "  | " + line + "\n";
  return out;
}

long ChildProcess::ResidentKb() const {
  std::ifstream status("/proc/" + std::to_string(pid_) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return 0;
}

void ChildProcess::Signal(int signo) {
  if (!exit_status_.has_value()) kill(pid_, signo);
}

std::optional<int> ChildProcess::WaitForExit(std::chrono::milliseconds timeout) {
  if (exit_status_.has_value()) return exit_status_;
  // A pidfd becomes readable when the process exits, so the wait is an event, not a poll.
  // glibc 2.36 declares pidfd_open without C linkage; the raw syscall avoids that bug.
  int pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid_, 0));
  if (pidfd < 0) throw std::runtime_error("pidfd_open failed");
  pollfd entry{.fd = pidfd, .events = POLLIN, .revents = 0};
  int ready = poll(&entry, 1, static_cast<int>(timeout.count()));
  close(pidfd);
  if (ready <= 0) return std::nullopt;
  int status = 0;
  if (waitpid(pid_, &status, 0) != pid_) return std::nullopt;
  exit_status_ = status;
  // Let the reader take in everything the process wrote before it exited, so callers can
  // inspect the complete output right away.
  std::unique_lock lock(mu_);
  changed_.wait_for(lock, timeout, [this] { return output_closed_; });
  return exit_status_;
}

int WaitForListeningPort(ChildProcess& process, std::chrono::milliseconds timeout) {
  static const std::regex kListening(R"(listening .*port=(\d+))");
  auto port = process.WaitForLine(kListening, timeout);
  if (!port.has_value()) {
    ADD_FAILURE() << "process " << process.pid() << " never printed its port; output:\n"
                  << process.OutputForDiagnostics();
    return 0;
  }
  return std::stoi(*port);
}

}  // namespace streamgate::testing
