#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace streamgate::gateway {

// Everything the gateway is configured with, filled once by main from flags and the
// environment, validated, then passed by const reference.
struct GatewayConfig {
  std::string bind = "127.0.0.1";
  int port = 3000;
  std::string llm_service = "127.0.0.1:50051";
  // How replies travel to llm-service: "mux" (many replies over a few Chat streams) or
  // "per-call" (one StreamChat call each: for comparison, and for an llm-service that
  // predates Chat).
  std::string llm_transport = "mux";
  int llm_streams = 0;  // Chat streams with --llm-transport mux; 0: one per I/O thread
  // A Chat stream older than this takes no new replies and ends once its running ones did,
  // so that replicas added behind the same name get streams too.
  absl::Duration llm_stream_max_age = absl::Minutes(5);
  int io_threads = 0;   // 0: one per core
  // A pasted document is an ordinary prompt: 256 KiB is about 64k tokens of prose (README
  // "Limits"). History holds four of those, and both together stay far inside llm-service's
  // 4 MiB request limit.
  int64_t max_message_bytes = 256 * 1024;
  // Bound on the bytes queued for one client; beyond it the reply's gRPC stream is paused.
  int64_t max_outbound_bytes = 256 * 1024;
  // SO_SNDBUF of each accepted socket; 0 leaves the kernel's own (which autotunes up to
  // net.ipv4.tcp_wmem's maximum, megabytes per connection, for a client that stops reading).
  int64_t socket_send_buffer_bytes = 0;
  int64_t max_connections = 10000;
  int64_t history_max_bytes = 1024 * 1024;
  absl::Duration handshake_timeout = absl::Seconds(10);
  absl::Duration ping_interval = absl::Seconds(20);
  absl::Duration idle_timeout = absl::Seconds(60);
  // How long a new reply may wait for llm-service to be reachable before the client gets
  // upstream_unavailable.
  absl::Duration connect_timeout = absl::Seconds(2);
  // TLS to llm-service: on when llm_tls_ca is set (the CA that signed llm-service's
  // certificate); llm_tls_cert/llm_tls_key add a client certificate (mTLS).
  std::string llm_tls_ca;
  std::string llm_tls_cert;
  std::string llm_tls_key;
  // The name checked against llm-service's certificate when it differs from the target's
  // host (a replica reached by IP).
  std::string llm_tls_server_name;
  // A file holding the bearer token llm-service's --auth-tokens-file accepts; sent with
  // every call. A file, not a flag value, so the token never shows in `ps` or the env.
  std::string llm_token_file;
  absl::Duration reply_timeout = absl::Seconds(300);
  absl::Duration drain_timeout = absl::Seconds(25);
  std::string log_level = "info";
  std::string log_format = "text";  // or "json": one object per line (docs/observability.md)

  // --- who may connect (README "Security") ---
  // "none", "api-keys" or "jwt"; empty until ResolveDefaults, which picks none on a
  // loopback --bind and refuses to guess anywhere else.
  std::string auth;
  bool allow_unauthenticated = false;  // --auth none on a non-loopback address
  bool allow_plaintext = false;        // a clear-text listener on a non-loopback address
  std::string api_keys_file;
  std::string jwt_keys_file;
  std::string jwt_issuer;
  std::string jwt_audience;
  absl::Duration jwt_leeway = absl::Seconds(30);
  std::string allowed_origins = "self";
  absl::Duration ticket_lifetime = absl::Seconds(30);

  // --- limits: -1 means "not set" and becomes the default with auth on, 0 (off) with
  // --auth none; 0 switches a limit off ---
  int64_t limit_concurrent_replies = -1;
  int64_t limit_messages_per_minute = -1;
  int64_t limit_connections = -1;
  int64_t limit_upgrades_per_second = -1;  // burst: twice the rate
  int64_t limit_tokens_per_minute = -1;
  int64_t limit_frames_per_second = -1;  // burst: twice the rate
  int64_t max_pending_handshakes = 8192;
  int64_t max_pending_handshakes_per_address = 2048;
  // max_tokens sent with every request; 0 leaves it to llm-service, except that a tokens
  // limit needs a bound on what a reply may use and then makes it 1024.
  int64_t reply_max_tokens = 0;

  // --- sessions (README "Sessions and resume") ---
  // How long a session whose connection dropped waits for a `resume`; 0: a disconnect ends
  // the session at once (its reply cancelled), as before sessions could resume.
  absl::Duration resume_window = absl::Minutes(2);
  // Frames kept per session for a resume (the current reply at least, up to this).
  int64_t replay_max_bytes = 1024 * 1024;
  // What detached sessions hold in all; past it the longest-detached expire first.
  int64_t detached_max_bytes = int64_t{256} * 1024 * 1024;
  int64_t max_active_replies = 4;  // per session, across its conversations
  int64_t max_conversations = 32;  // per session
  // Told to clients in going_away: reconnect after this long (each session is given a
  // value between it and twice it, so that reconnects spread).
  absl::Duration drain_retry_after = absl::Seconds(1);
  // "sqlite:PATH", "sqlite" (the default file, see DefaultStorePath) or "memory".
  std::string store = "sqlite";
  absl::Duration store_flush_interval = absl::Milliseconds(100);
  // Frames queued for the store beyond this are dropped (and a resume needing them gets
  // `gap`); sessions and conversations are coalesced instead.
  int64_t store_queue_bytes = int64_t{64} * 1024 * 1024;
  // Sessions idle this long are removed from the store, with their conversations.
  absl::Duration session_ttl = absl::Hours(24);

  // --- TLS (wss) ---
  std::string tls_cert;
  std::string tls_key;
  // -1: TLS (when configured) is served on --port. Otherwise --port stays plain and TLS is
  // served here as well.
  int tls_port = -1;
};

// Limit defaults with auth on (README "Limits").
inline constexpr int64_t kDefaultConcurrentReplies = 4;
inline constexpr int64_t kDefaultMessagesPerMinute = 60;
inline constexpr int64_t kDefaultConnectionsPerIdentity = 20;
inline constexpr int64_t kDefaultUpgradesPerSecond = 10;
inline constexpr int64_t kDefaultFramesPerSecond = 100;
inline constexpr int64_t kDefaultReplyMaxTokensWithTokenLimit = 1024;

// Fills what depends on other settings: the auth mode (none on a loopback --bind) and the
// limits left unset. Call once, before Validate.
void ResolveDefaults(GatewayConfig* config);
absl::Status Validate(const GatewayConfig& config);

bool IsLoopbackBind(const std::string& bind);
// Where `--store sqlite` keeps its file: $STATE_DIRECTORY (systemd), else
// $XDG_STATE_HOME/streamgate, else ~/.local/state/streamgate, else ./ ; "gateway.db" in it.
std::string DefaultStorePath();
// The retryAfterMs one session is told in going_away (see drain_retry_after).
int64_t DrainRetryAfterMs(const GatewayConfig& config);
bool TlsEnabled(const GatewayConfig& config);
// Whether a clear-text listener is open: no TLS, or TLS on its own --tls-port.
bool PlainListenerEnabled(const GatewayConfig& config);

}  // namespace streamgate::gateway
