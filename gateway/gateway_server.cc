#include "gateway/gateway_server.h"

#include <sys/resource.h>

#include <algorithm>
#include <boost/beast/websocket/rfc6455.hpp>
#include <filesystem>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/log.h"
#include "common/metrics/process_metrics.h"
#include "gateway/chat_session.h"
#include "gateway/mux_backend.h"
#include "gateway/per_call_backend.h"
#include "gateway/store/memory_session_store.h"
#include "gateway/store/queued_session_store.h"
#include "gateway/store/redis/redis_session_database.h"
#include "gateway/store/redis/redis_url.h"
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

absl::StatusOr<std::unique_ptr<SessionStore>> OpenStore(const GatewayConfig& config,
                                                        std::string* path,
                                                        common::metrics::Registry& metrics) {
  if (config.store == "memory") {
    return std::make_unique<MemorySessionStore>(MemorySessionStore::Options{
        .max_queued_bytes = static_cast<size_t>(config.store_queue_bytes)});
  }
  auto commit_seconds = [&metrics] {
    return &metrics.AddHistogram(
        "streamgate_gateway_store_commit_seconds",
        "How long the store's thread took to commit one group of writes (SQLite or Redis).",
        common::metrics::LatencySecondsBuckets());
  };
  const QueuedSessionStore::Options queued{
      .flush_interval = config.store_flush_interval,
      .max_queued_bytes = static_cast<size_t>(config.store_queue_bytes),
      .session_ttl = config.session_ttl,
      // A short TTL (tests, small deployments) is swept in step with it.
      .expiry_interval =
          std::clamp(config.session_ttl / 4, absl::Milliseconds(100), absl::Minutes(1)),
      .commit_seconds = commit_seconds()};
  if (absl::StartsWith(config.store, "redis://")) {
    auto address = ParseRedisUrl(config.store);
    if (!address.ok()) return address.status();
    *path = config.store;
    common::Logger("store")->info("session store redis host={} port={} db={}", address->host,
                                  address->port, address->db);
    auto store = QueuedSessionStore::Open(
        queued, std::make_unique<RedisSessionDatabase>(
                    RedisSessionDatabase::Options{.address = *address, .url = config.store}));
    if (!store.ok()) return store.status();
    return std::unique_ptr<SessionStore>(*std::move(store));
  }
  *path = config.store == "sqlite" ? DefaultStorePath() : config.store.substr(7);
  if (config.store == "sqlite") {
    // The default directory is ours to make; a path given explicitly must exist.
    std::error_code ignored;
    std::filesystem::create_directories(std::filesystem::path(*path).parent_path(), ignored);
  }
  QueuedSessionStore::Options sqlite = queued;
  sqlite.path = *path;
  auto store = QueuedSessionStore::OpenSqlite(std::move(sqlite));
  if (!store.ok()) return store.status();
  return std::unique_ptr<SessionStore>(*std::move(store));
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
      io_(IoThreads(config)),
      sessions_(static_cast<size_t>(config.detached_max_bytes)) {}

GatewayServer::~GatewayServer() {
  // Before anything the listener reaches goes.
  if (llm_) llm_->reachability().SetListener(nullptr);
  io_.Stop();
  // No thread runs any more: sessions and the connections they hold let go of each other.
  sessions_.ForEach([](const std::shared_ptr<ChatSession>& session) { session->Abandon(); });
}

absl::StatusOr<std::unique_ptr<GatewayServer>> GatewayServer::Create(const GatewayConfig& config) {
  std::unique_ptr<GatewayServer> server(new GatewayServer(config));
  common::metrics::RegisterProcessMetrics(server->metrics_registry_);
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
  auto store = OpenStore(c, &server->store_path_, server->metrics_registry_);
  if (!store.ok()) return store.status();
  server->store_ = *std::move(store);
  SessionStore* stores = server->store_.get();
  server->metrics_registry_.AddGaugeFunction(
      "streamgate_gateway_store_queued_bytes",
      "Writes waiting for the session store (bounded by --store-queue-bytes).", {},
      [stores] { return static_cast<double>(stores->stats().queued_bytes); });
  server->metrics_registry_.AddCounterFunction(
      "streamgate_gateway_store_dropped_frames_total",
      "Frames the session store's full queue dropped (a resume then says replay_lost).", {},
      [stores] { return static_cast<double>(stores->stats().dropped_frames); });
  server->metrics_registry_.AddCounterFunction(
      "streamgate_gateway_store_commits_total", "Groups of writes the session store committed.", {},
      [stores] { return static_cast<double>(stores->stats().commits); });
  auto llm = LlmClient::Create(c);
  if (!llm.ok()) return llm.status();
  server->llm_ = *std::move(llm);
  const std::string sessions_help =
      "Sessions held, by state: attached to a connection, or detached and waiting for a resume.";
  server->metrics_registry_.AddGaugeFunction(
      "streamgate_gateway_sessions", sessions_help, {{"state", "attached"}},
      [sessions = &server->sessions_] {
        // Two readings, each under its own lock: never below zero.
        return std::max(0.0, static_cast<double>(sessions->size()) -
                                 static_cast<double>(sessions->detached_sessions()));
      });
  server->metrics_registry_.AddGaugeFunction(
      "streamgate_gateway_sessions", sessions_help, {{"state", "detached"}},
      [sessions = &server->sessions_] {
        return static_cast<double>(sessions->detached_sessions());
      });
  server->metrics_registry_.AddGaugeFunction(
      "streamgate_gateway_llm_service_up",
      "1 while the gateway's channel to llm-service is connected (what /readyz reports), else 0.",
      {}, [llm = server->llm_.get()] { return llm->IsConnected() ? 1.0 : 0.0; });
  if (c.llm_transport == "mux") {
    server->replies_ = std::make_unique<MuxReplyBackend>(
        server->llm_.get(), c.llm_streams > 0 ? c.llm_streams : server->io_.size(),
        c.llm_stream_max_age);
  } else {
    server->replies_ = std::make_unique<PerCallReplyBackend>(server->llm_.get());
  }
  server->services_ = GatewayServices{.config = &server->config_,
                                      .llm = server->llm_.get(),
                                      .replies = server->replies_.get(),
                                      .registry = &server->registry_,
                                      .draining = &server->draining_,
                                      .auth = server->auth_.get(),
                                      .anonymous = &server->anonymous_,
                                      .tickets = &server->tickets_,
                                      .origins = server->origins_.get(),
                                      .addresses = &server->addresses_,
                                      .identities = &server->identities_,
                                      .tls = server->tls_.get(),
                                      .sessions = &server->sessions_,
                                      .store = server->store_.get(),
                                      .metrics = &server->metrics_,
                                      .metrics_registry = &server->metrics_registry_};
  // Every attached client hears when llm-service goes or comes back (a `status` frame),
  // each on its session's loop.
  server->llm_->reachability().SetListener(
      [sessions = &server->sessions_](const ServiceStatus& changed) {
        auto status = std::make_shared<const ServiceStatus>(changed);
        sessions->ForEach([&status](const std::shared_ptr<ChatSession>& session) {
          boost::asio::post(session->executor(),
                            [session, status] { session->OnServiceStatus(status); });
        });
      });
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
  heartbeat_ = std::make_unique<Heartbeat>(io_.first(), registry_, config_.ping_interval);
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
  int threads = io_.size();
  io_.Start();
  return absl::StrCat("listening address=", config_.bind, ports,
                      " tls=", TlsEnabled(config_) ? "true" : "false", " auth=", config_.auth,
                      " llm_service=", config_.llm_service, " io_threads=", threads,
                      " store=", store_description());
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

std::string GatewayServer::store_description() const {
  if (config_.store == "memory") return std::string("memory");
  return absl::StartsWith(config_.store, "redis://") ? store_path_
                                                     : absl::StrCat("sqlite:", store_path_);
}

bool GatewayServer::OnEverySession(const std::function<void(ChatSession&)>& fn,
                                   absl::Duration timeout) {
  std::vector<std::shared_ptr<ChatSession>> all;
  sessions_.ForEach([&](const std::shared_ptr<ChatSession>& session) { all.push_back(session); });
  struct Pending {
    absl::Mutex mu;
    size_t left ABSL_GUARDED_BY(mu) = 0;
  };
  auto pending = std::make_shared<Pending>();
  {
    absl::MutexLock lock(&pending->mu);
    pending->left = all.size();
  }
  for (auto& session : all) {
    boost::asio::post(session->executor(), [session, fn, pending] {
      fn(*session);
      absl::MutexLock lock(&pending->mu);
      --pending->left;
    });
  }
  absl::MutexLock lock(&pending->mu);
  return pending->mu.AwaitWithTimeout(absl::Condition(
                                          +[](size_t* left) { return *left == 0; }, &pending->left),
                                      timeout);
}

bool GatewayServer::Drain(int signo) {
  auto log = common::Logger("gateway");
  // Draining: HTTP keeps answering, upgrades get 503 and /readyz 503. Every session says
  // going_away: idle ones close their connection with 1012 at once, busy ones when their
  // replies end; at the deadline the replies still running end with `interrupted`.
  log->info("draining signal={} connections={} sessions={}", signo, registry_.size(),
            sessions_.size());
  draining_.store(true);
  // The page's top bar says so before going_away arrives.
  llm_->reachability().SetDraining();
  const GatewayConfig& config = config_;
  OnEverySession([&config](ChatSession& session) { session.Drain(DrainRetryAfterMs(config)); },
                 config_.drain_timeout);
  bool drained = registry_.WaitUntilEmpty(absl::Now() + config_.drain_timeout);
  if (!drained) {
    log->info("drain timeout passed; interrupting connections={}", registry_.size());
    OnEverySession([](ChatSession& session) { session.Interrupt(); }, absl::Seconds(5));
    // Closing handshakes are bounded by the handshake timeout.
    if (!registry_.WaitUntilEmpty(absl::Now() + config_.handshake_timeout + absl::Seconds(1))) {
      registry_.ForEach([](const std::shared_ptr<WsConnection>& connection) {
        connection->Close(boost::beast::websocket::close_code::going_away);
      });
      registry_.WaitUntilEmpty(absl::Now() + absl::Seconds(1));
    }
  }
  for (auto& listener : listeners_) listener->Stop();
  // Whatever the sessions hold that the store has not, then the store's own queue.
  OnEverySession([](ChatSession& session) { session.Persist(); }, absl::Seconds(5));
  if (absl::Status flushed = store_->Flush(absl::Seconds(10)); !flushed.ok()) {
    log->error("store flush failed at exit: {}", flushed.message());
  }
  log->info("drained sessions={} store={}", sessions_.size(), store_description());
  io_.Stop();
  return drained;
}

}  // namespace streamgate::gateway
