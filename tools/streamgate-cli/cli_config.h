#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace streamgate::cli {

// Process exit codes; `--help` lists them. Docker reads anything but 0 from a HEALTHCHECK as
// unhealthy and reserves 2, so the health probes only ever return 0 or 1.
enum ExitCode : int {
  kExitOk = 0,             // the reply (every reply, interactively) completed; healthy
  kExitReplyFailed = 1,    // an `error` frame / a failed gRPC call; unhealthy
  kExitUsage = 2,          // bad flags or arguments
  kExitConnection = 3,     // cannot reach the gateway, or the connection was lost
  kExitInterrupted = 130,  // Ctrl-C (128 + SIGINT)
  kExitTerminated = 143,   // SIGTERM (128 + SIGTERM)
};

// Everything one streamgate-cli run is told, filled once by main from flags, the environment
// and the positional words, then validated and passed by const reference.
struct CliConfig {
  std::string url = "ws://localhost:3000/ws";
  std::string grpc_target;         // non-empty: stream from llm-service's StreamChat directly
  bool json = false;               // print raw frames (gRPC: messages as JSON), one per line
  std::string health_url;          // non-empty: probe an HTTP health endpoint and exit
  std::string grpc_health_target;  // non-empty: probe the gRPC health service and exit
  absl::Duration connect_timeout = absl::Seconds(10);
  // The bearer credential (API key or JWT) sent to the gateway (Authorization header) and
  // to llm-service (authorization metadata). From STREAMGATE_TOKEN or --token-file, never a
  // flag value: a command line is visible to every user of the machine.
  std::string token;
  std::string token_file;
  // TLS: trust this CA (PEM) for wss://, https:// and --grpc-tls instead of the system's.
  std::string tls_ca;
  // --grpc over TLS (implied by --tls-ca), with this client certificate for mTLS.
  bool grpc_tls = false;
  std::string tls_cert;
  std::string tls_key;
  // The gateway's conversation thread every user_message and cancel names (1-64 of
  // [A-Za-z0-9_-]).
  std::string conversation = "default";
  // After a lost connection, how long to keep trying to reconnect and resume the gateway
  // session; zero: give up at once (exit 3).
  absl::Duration reconnect_timeout = absl::Minutes(2);
  std::string question;  // from the positional words; empty means interactive

  bool interactive() const { return question.empty(); }
  bool grpc_mode() const { return !grpc_target.empty(); }
  bool probe_mode() const { return !health_url.empty() || !grpc_health_target.empty(); }
};

absl::Status Validate(const CliConfig& config);

// argv split into what OptionSet parses (argv[0] first) and the positional words. A flag
// written `--name value` takes the next word unless it is one of `bool_flags`; `--` ends the
// flags, so a question may start with a dash.
struct SplitArgs {
  std::vector<const char*> flag_args;
  std::vector<std::string> words;
};
SplitArgs SplitArguments(int argc, const char* const* argv,
                         const std::vector<std::string>& bool_flags);

// Where to connect: "ws[s]://host[:port][/path]" or "http[s]://host[:port][/path]" (IPv6
// literals in brackets), or "host:port" for gRPC targets.
struct Endpoint {
  std::string host;  // without brackets
  uint16_t port = 0;
  std::string path = "/";
  bool tls = false;  // wss:// or https://
  // "host:port" as the Host header wants it (brackets kept for IPv6).
  std::string HostHeader() const;
};
// `scheme` is the plain one ("ws" or "http"); its TLS twin ("wss", "https") is accepted too.
absl::StatusOr<Endpoint> ParseUrl(std::string_view url, std::string_view scheme);

}  // namespace streamgate::cli
