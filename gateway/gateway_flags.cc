#include "gateway/gateway_flags.h"

#include "absl/strings/str_cat.h"

namespace streamgate::gateway {
namespace {

// A limit whose default depends on the auth mode: left at -1 here, resolved later.
void AddLimit(common::OptionSet& options, std::string name, std::string help, int64_t* value,
              int64_t default_with_auth) {
  options.AddInt(std::move(name), std::move(help), value, 0, int64_t{1} << 40);
  options.SetDefaultText(default_with_auth > 0
                             ? absl::StrCat(default_with_auth, " with auth, off with --auth none")
                             : std::string("off"));
}

}  // namespace

void AddGatewayFlags(common::OptionSet& options, GatewayConfig& config) {
  options.AddString("bind", "address to listen on", &config.bind);
  // Read by the container's HEALTHCHECK (gateway/Dockerfile), not by the gateway.
  options.DeclareEnv("GATEWAY_HEALTHCHECK_URL");
  options.AddInt("port", "HTTP/WebSocket port (0 picks a free one)", &config.port, 0, 65535);
  options.AddString("llm-service", "llm-service gRPC target (host:port or dns:///name:port)",
                    &config.llm_service);
  options.AddInt("io-threads", "threads running the network loop (0: one per core)",
                 &config.io_threads, 0, 256);
  options.AddInt("max-message-bytes", "largest client frame accepted", &config.max_message_bytes,
                 256, int64_t{16} << 20);
  options.AddInt("max-outbound-bytes", "bytes queued per client before its reply is paused",
                 &config.max_outbound_bytes, 1024, int64_t{1} << 30);
  options.AddInt("socket-send-buffer-bytes",
                 "kernel send buffer per client socket (0: the kernel's autotuning)",
                 &config.socket_send_buffer_bytes, 0, int64_t{1} << 30);
  options.AddInt("max-connections", "open WebSocket sessions allowed", &config.max_connections, 1,
                 10000000);
  options.AddInt("history-max-bytes", "conversation history kept per session (oldest dropped)",
                 &config.history_max_bytes, 0, int64_t{1} << 30);
  options.AddDuration("handshake-timeout", "time allowed for the HTTP upgrade and handshake",
                      &config.handshake_timeout);
  options.AddDuration("ping-interval", "how often the server pings each client",
                      &config.ping_interval);
  options.AddDuration("idle-timeout",
                      "drop a client silent (no frame, no pong, no reads) this long",
                      &config.idle_timeout);
  options.AddString("llm-transport",
                    "mux (replies share Chat streams) or per-call (a StreamChat call per reply)",
                    &config.llm_transport);
  options.AddInt("llm-streams", "Chat streams with --llm-transport mux (0: one per I/O thread)",
                 &config.llm_streams, 0, 64);
  options.AddDuration("llm-stream-max-age",
                      "a Chat stream this old takes no new replies and ends after its last one",
                      &config.llm_stream_max_age);
  options.AddDuration("llm-connect-timeout",
                      "how long a reply waits for llm-service to be reachable",
                      &config.connect_timeout);
  options.AddString("llm-tls-ca", "PEM CA file: use TLS to llm-service, trusting this CA",
                    &config.llm_tls_ca);
  options.AddString("llm-tls-cert", "PEM client certificate for mTLS to llm-service",
                    &config.llm_tls_cert);
  options.AddString("llm-tls-key", "PEM private key of --llm-tls-cert", &config.llm_tls_key);
  options.AddString("llm-tls-server-name", "name to expect in llm-service's certificate",
                    &config.llm_tls_server_name);
  options.AddString("llm-token-file", "file with the bearer token llm-service requires",
                    &config.llm_token_file);
  options.AddDuration("reply-timeout", "longest a single reply may take", &config.reply_timeout);
  options.AddDuration("drain-timeout", "on SIGTERM, how long running replies may finish",
                      &config.drain_timeout);
  options.AddString("log-level", "trace, debug, info, warn, error or off", &config.log_level);
  options.AddString("log-format", "text, or json (one object per line)", &config.log_format);

  // --- who may connect (README "Security") ---
  options.AddString("auth", "none, api-keys or jwt", &config.auth);
  options.SetDefaultText("none on a loopback --bind, else required");
  options.AddBool("allow-unauthenticated", "allow --auth none on a non-loopback --bind",
                  &config.allow_unauthenticated);
  options.AddBool("allow-plaintext", "allow a clear-text listener on a non-loopback --bind",
                  &config.allow_plaintext);
  options.AddString("api-keys-file", "api-keys: file of '<id> <name> sha256:<hex>' lines",
                    &config.api_keys_file);
  options.AddString("jwt-keys-file", "jwt: JWKS or PEM bundle of verification keys",
                    &config.jwt_keys_file);
  options.AddString("jwt-issuer", "jwt: required iss (empty: not checked)", &config.jwt_issuer);
  options.AddString("jwt-audience", "jwt: required aud (empty: not checked)", &config.jwt_audience);
  options.AddDuration("jwt-leeway", "jwt: clock skew allowed, and time to re-authenticate",
                      &config.jwt_leeway);
  options.AddString("allowed-origins",
                    "pages that may connect: self, *, https://host, "
                    "https://*.domain (comma-separated)",
                    &config.allowed_origins);
  options.AddDuration("ticket-lifetime", "how long a POST /v1/tickets ticket stays usable",
                      &config.ticket_lifetime);
  // --- limits (per identity with auth; per client address with --auth none, and then
  // only those set here) ---
  AddLimit(options, "limit-concurrent-replies", "replies streaming at once per identity",
           &config.limit_concurrent_replies, kDefaultConcurrentReplies);
  AddLimit(options, "limit-messages-per-minute", "user messages per minute per identity",
           &config.limit_messages_per_minute, kDefaultMessagesPerMinute);
  AddLimit(options, "limit-connections", "open connections per identity (then HTTP 429)",
           &config.limit_connections, kDefaultConnectionsPerIdentity);
  AddLimit(options, "limit-upgrades-per-second", "upgrades per client address (burst: twice)",
           &config.limit_upgrades_per_second, kDefaultUpgradesPerSecond);
  AddLimit(options, "limit-tokens-per-minute", "model tokens per minute per identity",
           &config.limit_tokens_per_minute, 0);
  AddLimit(options, "limit-frames-per-second",
           "client frames per connection (burst: twice; "
           "then close 1008)",
           &config.limit_frames_per_second, kDefaultFramesPerSecond);
  options.AddInt("max-pending-handshakes", "connections not yet upgraded, in all",
                 &config.max_pending_handshakes, 1, 10000000);
  options.AddInt("max-pending-handshakes-per-address", "connections not yet upgraded, per address",
                 &config.max_pending_handshakes_per_address, 1, 10000000);
  options.AddInt("reply-max-tokens", "max_tokens sent with each request (0: llm-service's)",
                 &config.reply_max_tokens, 0, 1000000);
  options.SetDefaultText("0, or 1024 with --limit-tokens-per-minute");
  // --- sessions (README "Sessions and resume") ---
  options.AddDuration("resume-window",
                      "how long a disconnected session waits for a resume (0: not at all)",
                      &config.resume_window);
  options.AddInt("replay-max-bytes", "frames kept per session for a resume",
                 &config.replay_max_bytes, 4096, int64_t{1} << 32);
  options.AddInt("detached-max-bytes", "frames kept by all disconnected sessions together",
                 &config.detached_max_bytes, 0, int64_t{1} << 40);
  options.AddInt("max-active-replies", "replies streaming at once per session",
                 &config.max_active_replies, 1, 1024);
  options.AddInt("max-conversations", "conversations per session", &config.max_conversations, 1,
                 100000);
  options.AddDuration("drain-retry-after",
                      "on SIGTERM, when clients are told to reconnect (spread up to twice it)",
                      &config.drain_retry_after);
  options.AddString(
      "store",
      "where sessions are kept: sqlite, sqlite:PATH, redis://host[:port][/db] (shared by "
      "gateways) or memory",
      &config.store);
  options.SetDefaultText(
      "sqlite ($STATE_DIRECTORY, $XDG_STATE_HOME/streamgate or "
      "~/.local/state/streamgate, file gateway.db)");
  options.AddDuration("store-flush-interval", "how often queued store writes are committed",
                      &config.store_flush_interval);
  options.AddInt("store-queue-bytes", "frames queued for the store before some are dropped",
                 &config.store_queue_bytes, 4096, int64_t{1} << 40);
  options.AddDuration("session-ttl", "sessions idle this long leave the store",
                      &config.session_ttl);
  // --- TLS ---
  options.AddString("tls-cert", "PEM certificate chain: serve wss:// and https://",
                    &config.tls_cert);
  options.AddString("tls-key", "PEM private key of --tls-cert", &config.tls_key);
  options.AddInt("tls-port", "serve TLS here and keep --port plain (default: TLS on --port)",
                 &config.tls_port, 0, 65535);
  options.SetDefaultText("TLS on --port");
}

}  // namespace streamgate::gateway
