#include "tests/cli/cli_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "tests/support/spawn.h"

namespace streamgate::testing {
namespace {

std::vector<std::string> SplitLines(const std::string& text, bool ended) {
  std::vector<std::string> lines;
  size_t start = 0;
  for (size_t nl; (nl = text.find('\n', start)) != std::string::npos; start = nl + 1) {
    lines.push_back(text.substr(start, nl - start));
  }
  if (ended && start < text.size()) lines.push_back(text.substr(start));
  return lines;
}

}  // namespace

CliProcess::CliProcess(std::vector<std::string> argv, std::vector<std::string> env, Input input) {
  // Writing to the stdin of a child that already exited must fail, not kill the test.
  signal(SIGPIPE, SIG_IGN);
  int in[2], out[2], err[2];
  if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0) {
    throw std::runtime_error("pipe2 failed");
  }
  try {
    // The child gets default dispositions for the signals the tests send or this process
    // ignores.
    pid_ = SpawnProcess(
        std::move(argv),
        {.env = std::move(env),
         .redirects = {{in[0], STDIN_FILENO}, {out[1], STDOUT_FILENO}, {err[1], STDERR_FILENO}},
         .default_signals = {SIGINT, SIGTERM, SIGPIPE}});
  } catch (...) {
    for (int fd : {in[0], in[1], out[0], out[1], err[0], err[1]}) close(fd);
    throw;
  }
  close(in[0]);
  close(out[1]);
  close(err[1]);
  stdin_fd_ = in[1];
  if (input == Input::kNone) CloseStdin();
  reader_ = std::thread([this, o = out[0], e = err[0]] { ReadOutput(o, e); });
}

CliProcess::~CliProcess() {
  CloseStdin();
  if (!exit_code_.has_value()) KillAndReap(pid_);
  if (reader_.joinable()) reader_.join();
}

bool CliProcess::WriteStdin(std::string_view text) {
  while (!text.empty()) {
    if (stdin_fd_ < 0) return false;
    ssize_t n = write(stdin_fd_, text.data(), text.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    text.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

void CliProcess::CloseStdin() {
  if (stdin_fd_ >= 0) close(stdin_fd_);
  stdin_fd_ = -1;
}

void CliProcess::ReadOutput(int out_fd, int err_fd) {
  pollfd fds[2] = {{.fd = out_fd, .events = POLLIN, .revents = 0},
                   {.fd = err_fd, .events = POLLIN, .revents = 0}};
  int open_count = 2;
  char buffer[4096];
  while (open_count > 0) {
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      ssize_t n = read(fds[i].fd, buffer, sizeof(buffer));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        close(fds[i].fd);
        fds[i].fd = -1;  // poll ignores negative descriptors
        --open_count;
        continue;
      }
      std::lock_guard lock(mu_);
      (i == 0 ? stdout_ : stderr_).append(buffer, static_cast<size_t>(n));
      changed_.notify_all();
    }
  }
  std::lock_guard lock(mu_);
  output_closed_ = true;
  changed_.notify_all();
}

bool CliProcess::WaitForOutput(Stream stream, const std::regex& pattern,
                               std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  std::unique_lock lock(mu_);
  for (;;) {
    const std::string& text = stream == Stream::kStdout ? stdout_ : stderr_;
    if (std::regex_search(text, pattern)) return true;
    if (output_closed_) return false;
    if (changed_.wait_until(lock, deadline) == std::cv_status::timeout) {
      return std::regex_search(stream == Stream::kStdout ? stdout_ : stderr_, pattern);
    }
  }
}

std::string CliProcess::Output(Stream stream) const {
  std::lock_guard lock(mu_);
  return stream == Stream::kStdout ? stdout_ : stderr_;
}

std::vector<std::string> CliProcess::Lines(Stream stream) const {
  std::lock_guard lock(mu_);
  return SplitLines(stream == Stream::kStdout ? stdout_ : stderr_, output_closed_);
}

std::string CliProcess::Diagnostics() const {
  std::lock_guard lock(mu_);
  return "stdout:\n" + stdout_ + "\nstderr:\n" + stderr_ + "\n";
}

void CliProcess::Signal(int signo) {
  if (!exit_code_.has_value()) kill(pid_, signo);
}

std::optional<int> CliProcess::WaitForExit(std::chrono::milliseconds timeout) {
  if (exit_code_.has_value()) return exit_code_;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  // A pidfd becomes readable when the process exits: an event, not a poll loop. (glibc 2.36
  // declares pidfd_open without C linkage; the raw syscall avoids that bug.)
  int pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid_, 0));
  if (pidfd < 0) throw std::runtime_error("pidfd_open failed");
  pollfd entry{.fd = pidfd, .events = POLLIN, .revents = 0};
  int ready = poll(&entry, 1, static_cast<int>(timeout.count()));
  close(pidfd);
  if (ready <= 0) return std::nullopt;
  int status = 0;
  if (waitpid(pid_, &status, 0) != pid_) return std::nullopt;
  exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  // The output pipes close when the process is gone; let the reader drain them.
  std::unique_lock lock(mu_);
  changed_.wait_until(lock, deadline, [this] { return output_closed_; });
  return exit_code_;
}

}  // namespace streamgate::testing
