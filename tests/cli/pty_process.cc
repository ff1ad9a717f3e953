#include "tests/cli/pty_process.h"

#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <stdexcept>

#include "tests/support/spawn.h"

extern char** environ;

namespace streamgate::testing {

PtyProcess::PtyProcess(std::vector<std::string> argv, std::vector<std::string> env) {
  // Everything the child needs is built before fork: after it, only exec.
  std::vector<std::string> full_env = {"TERM=xterm"};
  for (char** e = environ; *e != nullptr; ++e) full_env.emplace_back(*e);
  for (auto& e : env) full_env.push_back(std::move(e));
  std::vector<char*> envp, args;
  for (auto& e : full_env) envp.push_back(e.data());
  envp.push_back(nullptr);
  for (auto& a : argv) args.push_back(a.data());
  args.push_back(nullptr);
  winsize size{.ws_row = 40, .ws_col = 200, .ws_xpixel = 0, .ws_ypixel = 0};
  pid_ = forkpty(&master_, nullptr, nullptr, &size);
  if (pid_ < 0) throw std::runtime_error("forkpty failed");
  if (pid_ == 0) {
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    for (int signo : {SIGINT, SIGTERM, SIGPIPE}) signal(signo, SIG_DFL);
    execve(args[0], args.data(), envp.data());
    _exit(127);
  }
  reader_ = std::thread([this] { ReadOutput(); });
}

PtyProcess::~PtyProcess() {
  if (!exit_code_.has_value()) KillAndReap(pid_);
  if (reader_.joinable()) reader_.join();
  close(master_);
}

bool PtyProcess::Type(std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = write(master_, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

std::optional<termios> PtyProcess::TerminalModes() const {
  // The master's own modes are not the terminal's: open the terminal's side by name.
  const char* name = ptsname(master_);
  if (name == nullptr) return std::nullopt;
  int fd = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  termios modes{};
  bool ok = tcgetattr(fd, &modes) == 0;
  close(fd);
  if (!ok) return std::nullopt;
  return modes;
}

void PtyProcess::ReadOutput() {
  char buffer[4096];
  for (;;) {
    ssize_t n = read(master_, buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // EIO once the last descriptor of the terminal's side is closed
    std::lock_guard lock(mu_);
    output_.append(buffer, static_cast<size_t>(n));
    changed_.notify_all();
  }
  std::lock_guard lock(mu_);
  closed_ = true;
  changed_.notify_all();
}

bool PtyProcess::WaitForOutput(const std::regex& pattern, std::chrono::milliseconds timeout,
                               size_t from) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  std::unique_lock lock(mu_);
  auto matches = [&] {
    return from <= output_.size() && std::regex_search(output_.substr(from), pattern);
  };
  for (;;) {
    if (matches()) return true;
    if (closed_) return false;
    if (changed_.wait_until(lock, deadline) == std::cv_status::timeout) return matches();
  }
}

std::string PtyProcess::Output() const {
  std::lock_guard lock(mu_);
  return output_;
}

std::optional<int> PtyProcess::WaitForExit(std::chrono::milliseconds timeout) {
  if (exit_code_.has_value()) return exit_code_;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  int pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid_, 0));
  if (pidfd < 0) throw std::runtime_error("pidfd_open failed");
  pollfd entry{.fd = pidfd, .events = POLLIN, .revents = 0};
  int ready = poll(&entry, 1, static_cast<int>(timeout.count()));
  close(pidfd);
  if (ready <= 0) return std::nullopt;
  int status = 0;
  if (waitpid(pid_, &status, 0) != pid_) return std::nullopt;
  exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  std::unique_lock lock(mu_);
  changed_.wait_until(lock, deadline, [this] { return closed_; });
  return exit_code_;
}

}  // namespace streamgate::testing
