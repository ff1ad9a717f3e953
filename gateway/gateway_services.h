#pragma once

#include <atomic>

namespace streamgate::common::metrics {
class Registry;
}  // namespace streamgate::common::metrics

namespace streamgate::gateway {

struct GatewayConfig;
class LlmClient;
class ReplyBackend;
class ConnectionRegistry;
class AnonymousPrincipals;
class Authenticator;
class TicketStore;
class OriginPolicy;
class AddressAdmission;
class IdentityLimits;
class TlsContextSource;
class SessionTable;
class SessionStore;
class GatewayMetrics;

// The process-wide services every connection uses. Built and owned by main, which keeps
// them alive until every connection is gone; connections hold a reference (one pointer per
// connection, since idle connections are the many). Each service is thread-safe itself.
struct GatewayServices {
  const GatewayConfig* config = nullptr;
  LlmClient* llm = nullptr;  // llm-service's channel: its reachability, /readyz
  ReplyBackend* replies = nullptr;
  ConnectionRegistry* registry = nullptr;
  const std::atomic<bool>* draining = nullptr;  // set once at SIGTERM
  const Authenticator* auth = nullptr;
  AnonymousPrincipals* anonymous = nullptr;  // --auth none
  TicketStore* tickets = nullptr;
  const OriginPolicy* origins = nullptr;
  AddressAdmission* addresses = nullptr;
  IdentityLimits* identities = nullptr;
  const TlsContextSource* tls = nullptr;  // null without --tls-cert
  SessionTable* sessions = nullptr;
  SessionStore* store = nullptr;
  GatewayMetrics* metrics = nullptr;                            // never null: tests give their own
  const common::metrics::Registry* metrics_registry = nullptr;  // what GET /metrics renders
};

}  // namespace streamgate::gateway
