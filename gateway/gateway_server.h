#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/metrics/registry.h"
#include "gateway/auth/anonymous_principals.h"
#include "gateway/auth/authenticator.h"
#include "gateway/auth/origin_policy.h"
#include "gateway/auth/ticket_store.h"
#include "gateway/connection_registry.h"
#include "gateway/gateway_config.h"
#include "gateway/gateway_metrics.h"
#include "gateway/gateway_services.h"
#include "gateway/heartbeat.h"
#include "gateway/io_pool.h"
#include "gateway/limits/address_admission.h"
#include "gateway/limits/identity_limits.h"
#include "gateway/listener.h"
#include "gateway/llm_client.h"
#include "gateway/reply_backend.h"
#include "gateway/session_table.h"
#include "gateway/store/session_store.h"
#include "gateway/tls_context_source.h"

namespace streamgate::gateway {

// The whole gateway process: every shared service (credentials, tickets, limits, TLS, the
// llm-service channel, the connection registry), the listeners and the io threads. main
// builds it from a validated config, starts it, forwards SIGHUP to Reload and SIGTERM to
// Drain. Declared in dependency order, so members are destroyed after the io threads that
// use them have stopped. Its methods run on main's thread.
class GatewayServer {
 public:
  static absl::StatusOr<std::unique_ptr<GatewayServer>> Create(const GatewayConfig& config);
  ~GatewayServer();

  // Opens the listeners, starts the io threads and returns the "listening ..." line.
  absl::StatusOr<std::string> Start();
  // SIGHUP: re-reads key files and certificates, then closes the connections whose
  // credential is gone (close 4001). A file that fails to load keeps the old one in force.
  void Reload();
  // SIGTERM: refuse upgrades; every session says going_away and closes its connection with
  // 1012 once its replies end, or at --drain-timeout after an `interrupted` error; then
  // everything is flushed to the store (the next process resumes from it). Returns whether
  // every reply ended in time.
  bool Drain(int signo);
  // Where sessions are kept, for the "listening" line.
  std::string store_description() const;

 private:
  explicit GatewayServer(const GatewayConfig& config);

  // Runs `fn` on every session's loop and waits (at most `timeout`) until all have run.
  bool OnEverySession(const std::function<void(ChatSession&)>& fn, absl::Duration timeout);

  const GatewayConfig config_;
  // First: every series points into it, and the process series read from it at scrapes.
  common::metrics::Registry metrics_registry_;
  // Outlives every session (their writes go to it until they are destroyed).
  std::unique_ptr<SessionStore> store_;
  std::string store_path_;
  std::unique_ptr<Authenticator> auth_;
  AnonymousPrincipals anonymous_;
  std::unique_ptr<OriginPolicy> origins_;
  std::unique_ptr<TlsContextSource> tls_;
  TicketStore tickets_;
  AddressAdmission addresses_;
  IdentityLimits identities_;
  std::unique_ptr<LlmClient> llm_;
  std::unique_ptr<ReplyBackend> replies_;  // over llm_
  ConnectionRegistry registry_;
  GatewayMetrics metrics_{metrics_registry_, registry_};
  std::atomic<bool> draining_{false};
  GatewayServices services_;
  IoPool io_;
  // After io_: sessions hold timers of its loops, so they go first.
  SessionTable sessions_;
  std::unique_ptr<Heartbeat> heartbeat_;
  std::vector<std::shared_ptr<Listener>> listeners_;
};

}  // namespace streamgate::gateway
