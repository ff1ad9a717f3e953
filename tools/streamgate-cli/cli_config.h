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

// Where to connect: "ws://host[:port][/path]" or "http://host[:port][/path]" (no TLS; IPv6
// literals in brackets), or "host:port" for gRPC targets.
struct Endpoint {
  std::string host;  // without brackets
  uint16_t port = 0;
  std::string path = "/";
  // "host:port" as the Host header wants it (brackets kept for IPv6).
  std::string HostHeader() const;
};
absl::StatusOr<Endpoint> ParseUrl(std::string_view url, std::string_view scheme);

}  // namespace streamgate::cli
