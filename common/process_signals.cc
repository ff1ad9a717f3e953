#include "common/process_signals.h"

#include <pthread.h>
#include <signal.h>

#include <cerrno>
#include <ctime>

namespace streamgate::common {
namespace {

sigset_t HandledSet() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGHUP);
  return set;
}

}  // namespace

ProcessSignals::ProcessSignals() {
  sigset_t set = HandledSet();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  // A peer closing its socket mid-write must end that write with an error, not the process.
  signal(SIGPIPE, SIG_IGN);
}

bool ProcessSignals::IsReload(int signo) { return signo == SIGHUP; }

int ProcessSignals::Wait() {
  sigset_t set = HandledSet();
  int signo = 0;
  while (sigwait(&set, &signo) != 0) {
  }
  return signo;
}

std::optional<int> ProcessSignals::WaitFor(std::chrono::milliseconds timeout) {
  sigset_t set = HandledSet();
  timespec ts{};
  ts.tv_sec = static_cast<time_t>(timeout.count() / 1000);
  ts.tv_nsec = static_cast<long>((timeout.count() % 1000) * 1000000);
  for (;;) {
    int signo = sigtimedwait(&set, nullptr, &ts);
    if (signo > 0) return signo;
    if (errno == EAGAIN) return std::nullopt;
    // EINTR: an unrelated signal; the remaining timeout is not tracked precisely, which is
    // acceptable for a shutdown deadline.
  }
}

}  // namespace streamgate::common
