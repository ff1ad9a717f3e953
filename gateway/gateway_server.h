#pragma once

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "gateway/auth/anonymous_principals.h"
#include "gateway/auth/authenticator.h"
#include "gateway/auth/origin_policy.h"
#include "gateway/auth/ticket_store.h"
#include "gateway/connection_registry.h"
#include "gateway/gateway_config.h"
#include "gateway/gateway_services.h"
#include "gateway/heartbeat.h"
#include "gateway/limits/address_admission.h"
#include "gateway/limits/identity_limits.h"
#include "gateway/listener.h"
#include "gateway/llm_client.h"
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
  // SIGTERM: refuse upgrades, let replies finish for --drain-timeout, close the rest.
  // Returns whether everything drained in time.
  bool Drain(int signo);

 private:
  explicit GatewayServer(const GatewayConfig& config);

  const GatewayConfig config_;
  std::unique_ptr<Authenticator> auth_;
  AnonymousPrincipals anonymous_;
  std::unique_ptr<OriginPolicy> origins_;
  std::unique_ptr<TlsContextSource> tls_;
  TicketStore tickets_;
  AddressAdmission addresses_;
  IdentityLimits identities_;
  std::unique_ptr<LlmClient> llm_;
  ConnectionRegistry registry_;
  std::atomic<bool> draining_{false};
  GatewayServices services_;
  boost::asio::io_context io_;
  std::unique_ptr<Heartbeat> heartbeat_;
  std::vector<std::shared_ptr<Listener>> listeners_;
  std::vector<std::thread> threads_;
};

}  // namespace streamgate::gateway
