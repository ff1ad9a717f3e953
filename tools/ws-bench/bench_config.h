#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace streamgate::bench {

// Everything one ws-bench run is told, filled once by main from flags and the environment,
// validated, then passed by const reference to the drivers.
struct BenchConfig {
  std::string url = "ws://127.0.0.1:3000/ws";
  std::string grpc_target;  // non-empty: drive llm-service's StreamChat directly
  std::string label;        // copied into the report, to tell runs apart
  int connections = 10;
  int ramp_per_sec = 1000;  // 0: open every connection at once
  int idle_seconds = 0;     // idle mode: hold the connections this long
  int messages = 0;         // > 0: message mode, this many replies per connection
  int words = 4;            // words per user message, the unique tag included
  int think_ms = 0;         // pause between a stream_end and the next user_message
  // Message mode: no connection sends before every connection is open; then connection i
  // sends its first message start_spread_ms * i / connections later, so that N streams run
  // at once from the start instead of growing with the ramp.
  bool sync_start = false;
  int start_spread_ms = 0;
  // Resume scenario: each connection is a session that sends one message, drops its TCP
  // connection (no close handshake) after cut_after_chunks chunks, reconnects at once,
  // resumes the session and reads the reply to its end, checking it is whole and exactly once.
  bool resume = false;
  int cut_after_chunks = 3;
  // Between the cut and the reconnect; 0 (at once) leaves the replay with only what was in
  // flight, a longer pause lets the reply run on detached into the replay log.
  int reconnect_delay_ms = 0;
  int threads = 1;  // each runs its own event loop over a share of the connections
  int timeout_seconds = 60;
  bool allow_remote = false;
  // wss:// URLs: trust this CA (PEM) for the server's certificate.
  std::string tls_ca;
  // Sent as "Authorization: Bearer" on every upgrade (env WS_BENCH_TOKEN, never a flag).
  std::string token;
  std::vector<int> server_pids;

  bool message_mode() const { return messages > 0; }
  bool resume_mode() const { return resume; }
  // A scenario that sends messages and waits for their replies (not the idle hold).
  bool reply_mode() const { return message_mode() || resume_mode(); }
  bool grpc_mode() const { return !grpc_target.empty(); }
};

absl::Status Validate(const BenchConfig& config);

// Where the traffic goes, resolved once before the run so that every connection reaches
// the address that was checked.
struct Target {
  std::string host;  // as written; sent in the Host header
  uint16_t port = 0;
  std::string path;  // "/ws"
  bool tls = false;  // wss://
  std::vector<boost::asio::ip::tcp::endpoint> endpoints;
  // For wss://: one client context for every connection (made by MakeTlsContext).
  std::shared_ptr<boost::asio::ssl::context> tls_context;
};

// Parses "ws[s]://host[:port][/path]" (IPv6 literals in brackets).
absl::StatusOr<Target> ParseWsUrl(const std::string& url);
// Parses "host:port" or "[v6]:port", the form of --grpc.
absl::StatusOr<Target> ParseHostPort(const std::string& text);
// Resolves target->host into target->endpoints, then refuses any address outside
// 127.0.0.0/8 and ::1 unless `allow_remote`: a load generator must not be pointed at a
// machine by accident.
absl::Status ResolveTarget(Target* target, bool allow_remote);
// For a wss:// target: the client context checking the server against `ca_file` (or the
// system's CAs) and the target's host name.
absl::Status MakeTlsContext(Target* target, const std::string& ca_file);

// The text of one user message: "bench-c17-m3" followed by filler words up
// to `words` in all, e.g. "bench-c17-m3 w1 w2 w3". Unique per connection and message, so an
// echo that reaches the wrong connection shows as a mismatch.
std::string UserMessageText(int connection, int message, int words);

}  // namespace streamgate::bench
