#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tests/e2e/e2e_helpers.h"

// Shared by the session e2e tests: a client's view of its session (id, token, last seq
// processed), a resume and what came back, and a gateway process that can be stopped and
// started again on the same store.
namespace streamgate::testing {

struct ClientSession {
  std::string id;
  std::string token;
  uint64_t last_seq = 0;
  std::string text;  // every stream_chunk's content processed, in order
};

// Connects and reads connection_established; nullopt when either fails.
std::optional<ClientSession> OpenSession(WsTestClient& client, int port,
                                         const WsTestClient::ConnectOptions& options = {});
// Reads one frame and records it in `session` (seq must be last_seq + 1 or later).
std::optional<Json> ReadTracked(WsTestClient& client, ClientSession& session,
                                std::chrono::milliseconds timeout = 10s);
// Reads frames until one of `type` (inclusive), recording each.
std::optional<Json> ReadTrackedUntil(WsTestClient& client, ClientSession& session,
                                     const std::string& type,
                                     std::chrono::milliseconds timeout = 10s);

struct ResumeOutcome {
  std::string fresh_id;          // the session the new connection started with
  std::vector<Json> replayed;    // frames before session_resumed
  std::optional<Json> resumed;   // session_resumed, on success
  std::optional<Json> failure;   // error resume_failed, on failure
};

// Connects to `port` and resumes `session` from `last_seq`; on success the replayed
// frames are recorded in `session` (seq, text) and its token is the new one.
ResumeOutcome Resume(WsTestClient& client, int port, ClientSession& session,
                     std::optional<uint64_t> last_seq = std::nullopt,
                     const WsTestClient::ConnectOptions& options = {});

// The whole text of a mock reply to `content`, read on a fresh connection (what a client
// that was never cut gets).
std::string ReferenceReply(int port, const std::string& content);

// A gateway process pointed at an llm-service, restartable on the same store.
class GatewayProcess {
 public:
  GatewayProcess(int llm_port, std::vector<std::string> args);
  ChildProcess& process() { return *process_; }
  int port() const { return port_; }
  void Start();
  // SIGTERM and wait for a clean exit (true when it exited 0).
  bool Stop(std::chrono::milliseconds timeout = 30s);
  void Kill();

 private:
  int llm_port_;
  std::vector<std::string> args_;
  std::unique_ptr<ChildProcess> process_;
  int port_ = 0;
};

// No line the process printed contains `secret`.
void ExpectNotInLog(ChildProcess& process, const std::string& secret);

}  // namespace streamgate::testing
