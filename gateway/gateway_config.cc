#include "gateway/gateway_config.h"

#include <boost/asio/ip/address.hpp>
#include <cstdlib>
#include <random>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gateway/store/redis/redis_url.h"

namespace streamgate::gateway {

bool IsLoopbackBind(const std::string& bind) {
  if (bind == "localhost") return true;
  boost::system::error_code ec;
  auto address = boost::asio::ip::make_address(bind, ec);
  return !ec && address.is_loopback();
}

std::string DefaultStorePath() {
  auto env = [](const char* name) -> std::string {
    const char* value = std::getenv(name);
    return value == nullptr ? std::string() : std::string(value);
  };
  std::string dir = env("STATE_DIRECTORY");
  // systemd may list several, colon-separated: the first is ours.
  if (auto colon = dir.find(':'); colon != std::string::npos) dir.resize(colon);
  if (dir.empty() && !env("XDG_STATE_HOME").empty()) dir = env("XDG_STATE_HOME") + "/streamgate";
  if (dir.empty() && !env("HOME").empty()) dir = env("HOME") + "/.local/state/streamgate";
  if (dir.empty()) dir = ".";
  return dir + "/gateway.db";
}

int64_t DrainRetryAfterMs(const GatewayConfig& config) {
  int64_t base = std::max<int64_t>(absl::ToInt64Milliseconds(config.drain_retry_after), 0);
  if (base == 0) return 0;
  thread_local std::minstd_rand spread(std::random_device{}());
  return base + static_cast<int64_t>(spread() % static_cast<uint64_t>(base));
}

bool TlsEnabled(const GatewayConfig& config) { return !config.tls_cert.empty(); }

bool PlainListenerEnabled(const GatewayConfig& config) {
  return !TlsEnabled(config) || config.tls_port >= 0;
}

void ResolveDefaults(GatewayConfig* config) {
  if (config->auth.empty() && IsLoopbackBind(config->bind)) config->auth = "none";
  bool auth_on = config->auth == "api-keys" || config->auth == "jwt";
  auto resolve = [auth_on](int64_t* value, int64_t default_with_auth) {
    if (*value < 0) *value = auth_on ? default_with_auth : 0;
  };
  resolve(&config->limit_concurrent_replies, kDefaultConcurrentReplies);
  resolve(&config->limit_messages_per_minute, kDefaultMessagesPerMinute);
  resolve(&config->limit_connections, kDefaultConnectionsPerIdentity);
  resolve(&config->limit_upgrades_per_second, kDefaultUpgradesPerSecond);
  resolve(&config->limit_tokens_per_minute, 0);
  resolve(&config->limit_frames_per_second, kDefaultFramesPerSecond);
  if (config->limit_tokens_per_minute > 0 && config->reply_max_tokens == 0) {
    config->reply_max_tokens = kDefaultReplyMaxTokensWithTokenLimit;
  }
}

namespace {

absl::Status ValidateSecurity(const GatewayConfig& config) {
  bool loopback = IsLoopbackBind(config.bind);
  if (config.auth.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--bind ", config.bind,
        " is not a loopback address, so anyone who can reach it could use it: set --auth "
        "api-keys or --auth jwt, or --auth none --allow-unauthenticated to accept that"));
  }
  if (config.auth != "none" && config.auth != "api-keys" && config.auth != "jwt") {
    return absl::InvalidArgumentError("--auth must be none, api-keys or jwt");
  }
  if (config.auth == "none" && !loopback && !config.allow_unauthenticated) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--auth none on --bind ", config.bind,
        " (not a loopback address) lets anyone use the gateway: add --allow-unauthenticated "
        "to accept that, or set --auth api-keys or --auth jwt"));
  }
  if (config.auth == "api-keys" && config.api_keys_file.empty()) {
    return absl::InvalidArgumentError("--auth api-keys needs --api-keys-file");
  }
  if (config.auth == "jwt" && config.jwt_keys_file.empty()) {
    return absl::InvalidArgumentError("--auth jwt needs --jwt-keys-file");
  }
  if (config.tls_cert.empty() != config.tls_key.empty()) {
    return absl::InvalidArgumentError("--tls-cert and --tls-key go together");
  }
  if (config.tls_port >= 0 && !TlsEnabled(config)) {
    return absl::InvalidArgumentError("--tls-port needs --tls-cert and --tls-key");
  }
  if (PlainListenerEnabled(config) && !loopback && !config.allow_plaintext) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--bind ", config.bind,
        " would serve clear text on a non-loopback address: set --tls-cert/--tls-key, or add "
        "--allow-plaintext when a TLS-terminating proxy sits in front"));
  }
  if (config.ticket_lifetime <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("--ticket-lifetime must be positive");
  }
  if (config.max_pending_handshakes_per_address > config.max_pending_handshakes) {
    return absl::InvalidArgumentError(
        "--max-pending-handshakes-per-address must not exceed --max-pending-handshakes");
  }
  return absl::OkStatus();
}

absl::Status ValidateSessions(const GatewayConfig& config) {
  if (config.llm_transport != "per-call" && config.llm_transport != "mux") {
    return absl::InvalidArgumentError("--llm-transport must be mux or per-call");
  }
  if (config.llm_stream_max_age <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("--llm-stream-max-age must be positive");
  }
  if (config.resume_window < absl::ZeroDuration()) {
    return absl::InvalidArgumentError("--resume-window must not be negative");
  }
  if (absl::StartsWith(config.store, "redis://")) {
    if (auto redis = ParseRedisUrl(config.store); !redis.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("--store: ", redis.status().message()));
    }
  } else if (config.store != "memory" && config.store != "sqlite" &&
             !(absl::StartsWith(config.store, "sqlite:") && config.store.size() > 7)) {
    return absl::InvalidArgumentError(
        "--store must be sqlite, sqlite:PATH, redis://host[:port][/db] or memory");
  }
  if (config.store_flush_interval <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("--store-flush-interval must be positive");
  }
  if (config.session_ttl <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("--session-ttl must be positive");
  }
  if (config.session_ttl < config.resume_window) {
    return absl::InvalidArgumentError("--session-ttl must be at least --resume-window");
  }
  if (config.drain_retry_after < absl::ZeroDuration()) {
    return absl::InvalidArgumentError("--drain-retry-after must not be negative");
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status Validate(const GatewayConfig& config) {
  if (config.bind.empty()) return absl::InvalidArgumentError("--bind must not be empty");
  if (config.llm_service.empty()) {
    return absl::InvalidArgumentError("--llm-service must name host:port");
  }
  if (config.max_outbound_bytes < config.max_message_bytes) {
    return absl::InvalidArgumentError("--max-outbound-bytes must be at least --max-message-bytes");
  }
  if (config.reply_timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("--reply-timeout must be positive");
  }
  if (config.handshake_timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("--handshake-timeout must be positive");
  }
  if (config.ping_interval <= absl::ZeroDuration() || config.idle_timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("--ping-interval and --idle-timeout must be positive");
  }
  if (config.connect_timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("--llm-connect-timeout must be positive");
  }
  // The files themselves are read (and checked) when the LlmClient is made.
  if (config.llm_tls_cert.empty() != config.llm_tls_key.empty()) {
    return absl::InvalidArgumentError("--llm-tls-cert and --llm-tls-key go together");
  }
  if (config.llm_tls_ca.empty() && !config.llm_tls_cert.empty()) {
    return absl::InvalidArgumentError(
        "--llm-tls-cert needs --llm-tls-ca: a client certificate is presented over TLS only");
  }
  if (config.llm_tls_ca.empty() && !config.llm_tls_server_name.empty()) {
    return absl::InvalidArgumentError(
        "--llm-tls-server-name needs --llm-tls-ca: the name is checked in the TLS handshake");
  }
  if (absl::Status sessions = ValidateSessions(config); !sessions.ok()) return sessions;
  return ValidateSecurity(config);
}

}  // namespace streamgate::gateway
