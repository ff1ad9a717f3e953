#include "gateway/gateway_server.h"

#include <sys/resource.h>

#include <boost/beast/websocket/rfc6455.hpp>

#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "gateway/ws_connection.h"

namespace streamgate::gateway {
namespace {

int IoThreads(const GatewayConfig& config) {
  int threads = config.io_threads > 0 ? config.io_threads
                                      : static_cast<int>(std::thread::hardware_concurrency());
  return std::max(threads, 1);
}

// Every open connection and pending handshake holds a descriptor: use what the hard limit
// allows, and say so when even that is short of the configured bounds.
void RaiseDescriptorLimit(const GatewayConfig& config) {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return;
  if (limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
  }
  auto needed = static_cast<rlim_t>(config.max_connections + config.max_pending_handshakes + 64);
  if (limit.rlim_cur != RLIM_INFINITY && limit.rlim_cur < needed) {
    common::Logger("gateway")->warn(
        "descriptor limit {} is below --max-connections + --max-pending-handshakes + 64 = {}; "
        "raise `ulimit -n` (LimitNOFILE=) or lower them",
        limit.rlim_cur, needed);
  }
}

}  // namespace

GatewayServer::GatewayServer(const GatewayConfig& config)
    : config_(config),
      tickets_(TicketStore::Options{.lifetime = config.ticket_lifetime}),
      addresses_(AddressAdmissionRules{
          .max_pending = config.max_pending_handshakes,
          .max_pending_per_address = config.max_pending_handshakes_per_address,
          .upgrades_per_second = static_cast<double>(config.limit_upgrades_per_second),
          .upgrades_burst = 2.0 * static_cast<double>(config.limit_upgrades_per_second)}),
      identities_(IdentityLimitRules{.connections = config.limit_connections,
                                     .concurrent_replies = config.limit_concurrent_replies,
                                     .messages_per_minute = config.limit_messages_per_minute,
                                     .tokens_per_minute = config.limit_tokens_per_minute}),
      io_(IoThreads(config)) {}

GatewayServer::~GatewayServer() {
  io_.stop();
  for (auto& thread : threads_) {
    if (thread.joinable()) thread.join();
  }
}

absl::StatusOr<std::unique_ptr<GatewayServer>> GatewayServer::Create(const GatewayConfig& config) {
  std::unique_ptr<GatewayServer> server(new GatewayServer(config));
  const GatewayConfig& c = server->config_;
  AuthMode mode = c.auth == "api-keys" ? AuthMode::kApiKeys
                  : c.auth == "jwt"    ? AuthMode::kJwt
                                       : AuthMode::kNone;
  auto auth = Authenticator::Create(Authenticator::Options{
      .mode = mode,
      .api_keys_file = c.api_keys_file,
      .jwt_keys_file = c.jwt_keys_file,
      .jwt_policy = {.issuer = c.jwt_issuer, .audience = c.jwt_audience, .leeway = c.jwt_leeway}});
  if (!auth.ok()) return auth.status();
  server->auth_ = *std::move(auth);
  auto origins =
      OriginPolicy::Parse(c.allowed_origins, /*rebinding_guard=*/mode == AuthMode::kNone);
  if (!origins.ok()) return origins.status();
  server->origins_ = std::make_unique<OriginPolicy>(*std::move(origins));
  if (TlsEnabled(c)) {
    auto tls = TlsContextSource::Create(c.tls_cert, c.tls_key);
    if (!tls.ok()) return tls.status();
    server->tls_ = *std::move(tls);
  }
  auto llm = LlmClient::Create(c);
  if (!llm.ok()) return llm.status();
  server->llm_ = *std::move(llm);
  server->services_ = GatewayServices{.config = &server->config_,
                                      .llm = server->llm_.get(),
                                      .registry = &server->registry_,
                                      .draining = &server->draining_,
                                      .auth = server->auth_.get(),
                                      .anonymous = &server->anonymous_,
                                      .tickets = &server->tickets_,
                                      .origins = server->origins_.get(),
                                      .addresses = &server->addresses_,
                                      .identities = &server->identities_,
                                      .tls = server->tls_.get()};
  RaiseDescriptorLimit(c);
  return server;
}

absl::StatusOr<std::string> GatewayServer::Start() {
  auto log = common::Logger("gateway");
  if (config_.auth == "none" && !IsLoopbackBind(config_.bind)) {
    log->warn(
        "UNAUTHENTICATED: --auth none on {}: anyone who can reach this address can use "
        "the gateway (--allow-unauthenticated was given)",
        config_.bind);
  }
  if (PlainListenerEnabled(config_) && !IsLoopbackBind(config_.bind)) {
    log->warn(
        "CLEAR TEXT: a plain listener on {} (--allow-plaintext was given); use it only "
        "behind a TLS-terminating proxy",
        config_.bind);
  }
  heartbeat_ = std::make_unique<Heartbeat>(io_, registry_, config_.ping_interval);
  heartbeat_->Start();
  std::string ports;
  auto open = [&](int port, bool tls) -> absl::Status {
    auto listener = Listener::Create(io_, config_.bind, port, tls, services_);
    if (!listener.ok()) return listener.status();
    (*listener)->Start();
    absl::StrAppend(&ports, tls && PlainListenerEnabled(config_) ? " tls_port=" : " port=",
                    (*listener)->port());
    listeners_.push_back(*std::move(listener));
    return absl::OkStatus();
  };
  // The TLS port is printed first, so that a reader of "port=N" finds the main one last.
  if (TlsEnabled(config_)) {
    if (auto opened = open(config_.tls_port >= 0 ? config_.tls_port : config_.port, true);
        !opened.ok()) {
      return opened;
    }
  }
  if (PlainListenerEnabled(config_)) {
    if (auto opened = open(config_.port, false); !opened.ok()) return opened;
  }
  int threads = IoThreads(config_);
  for (int i = 0; i < threads; ++i) threads_.emplace_back([this] { io_.run(); });
  return absl::StrCat("listening address=", config_.bind, ports,
                      " tls=", TlsEnabled(config_) ? "true" : "false", " auth=", config_.auth,
                      " llm_service=", config_.llm_service, " io_threads=", threads);
}

void GatewayServer::Reload() {
  auto log = common::Logger("gateway");
  bool ok = true;
  if (absl::Status status = auth_->Reload(); !status.ok()) {
    ok = false;
    log->error("reload failed, keeping the previous keys: {}", status.message());
  }
  if (tls_) {
    if (absl::Status status = tls_->Reload(); !status.ok()) {
      ok = false;
      log->error("reload failed, keeping the previous certificate: {}", status.message());
    }
  }
  registry_.ForEach(
      [](const std::shared_ptr<WsConnection>& connection) { connection->Revalidate(); });
  log->info("reloaded ok={} connections={}", ok, registry_.size());
}

bool GatewayServer::Drain(int signo) {
  auto log = common::Logger("gateway");
  // Draining: HTTP keeps answering, upgrades get 503 and /readyz 503; idle connections close
  // with 1001 now, busy ones when their reply ends or the drain timeout passes.
  log->info("draining signal={} sessions={}", signo, registry_.size());
  draining_.store(true);
  registry_.ForEach([](const std::shared_ptr<WsConnection>& connection) { connection->Drain(); });
  bool drained = registry_.WaitUntilEmpty(absl::Now() + config_.drain_timeout);
  if (!drained) {
    log->info("drain timeout passed; closing sessions={}", registry_.size());
    registry_.ForEach([](const std::shared_ptr<WsConnection>& connection) {
      connection->Close(boost::beast::websocket::close_code::going_away);
    });
    // Closing handshakes are bounded by the handshake timeout.
    registry_.WaitUntilEmpty(absl::Now() + config_.handshake_timeout + absl::Seconds(1));
  }
  for (auto& listener : listeners_) listener->Stop();
  io_.stop();
  for (auto& thread : threads_) thread.join();
  threads_.clear();
  return drained;
}

}  // namespace streamgate::gateway
