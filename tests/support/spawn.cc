#include "tests/support/spawn.h"

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <cstring>
#include <stdexcept>

extern char** environ;

namespace streamgate::testing {

pid_t SpawnProcess(std::vector<std::string> argv, SpawnOptions options) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  for (auto [parent_fd, child_fd] : options.redirects) {
    posix_spawn_file_actions_adddup2(&actions, parent_fd, child_fd);
  }
  posix_spawnattr_t attrs;
  posix_spawnattr_init(&attrs);
  sigset_t empty, defaults;
  sigemptyset(&empty);
  sigemptyset(&defaults);
  for (int signo : options.default_signals) sigaddset(&defaults, signo);
  posix_spawnattr_setsigmask(&attrs, &empty);
  posix_spawnattr_setsigdefault(&attrs, &defaults);
  posix_spawnattr_setflags(&attrs, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

  std::vector<char*> c_argv;
  for (auto& arg : argv) c_argv.push_back(arg.data());
  c_argv.push_back(nullptr);
  std::vector<std::string> full_env;
  for (char** e = environ; *e != nullptr; ++e) full_env.emplace_back(*e);
  for (auto& extra : options.env) full_env.push_back(std::move(extra));
  std::vector<char*> c_env;
  for (auto& entry : full_env) c_env.push_back(entry.data());
  c_env.push_back(nullptr);

  pid_t pid = -1;
  int rc = posix_spawn(&pid, c_argv[0], &actions, &attrs, c_argv.data(), c_env.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attrs);
  if (rc != 0) throw std::runtime_error("posix_spawn " + argv[0] + ": " + std::strerror(rc));
  return pid;
}

void KillAndReap(pid_t pid) {
  kill(pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
}

}  // namespace streamgate::testing
