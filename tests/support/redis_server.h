#pragma once

#include <memory>
#include <string>

#include "tests/support/child_process.h"
#include "tests/support/temp_dir.h"

namespace streamgate::testing {

// A real redis-server (Debian's) for one test: loopback only, no persistence, in a temp
// directory, on a free port. Kill, Restart (same port, so clients reconnect to it), Pause
// and Resume (SIGSTOP/SIGCONT: a Redis that accepts nothing and answers nothing) stand in
// for what happens to Redis in production. Stopped by PID when destroyed. Test thread only.
class RedisServer {
 public:
  RedisServer();
  ~RedisServer();

  // False when redis-server did not come up (the test has failed already).
  bool ok() const { return process_ != nullptr; }
  int port() const { return port_; }
  std::string url() const { return "redis://127.0.0.1:" + std::to_string(port_); }
  ChildProcess& process() { return *process_; }

  void Kill();     // SIGKILL and reap; the port is free again
  bool Restart();  // a fresh, empty redis-server on the same port
  void Pause();
  void Resume();

 private:
  bool StartOn(int port);

  TempDir dir_;
  std::unique_ptr<ChildProcess> process_;
  int port_ = 0;
};

}  // namespace streamgate::testing
