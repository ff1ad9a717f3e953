// streamgate-cli: chat with the gateway (or llm-service directly) from a terminal or a
// script; also the health probe the container images run.
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <cstdio>
#include <memory>

#include "absl/strings/str_join.h"
#include "common/options.h"
#include "tools/streamgate-cli/chat_console.h"
#include "tools/streamgate-cli/cli_config.h"
#include "tools/streamgate-cli/grpc_chat_backend.h"
#include "tools/streamgate-cli/health_probe.h"
#include "tools/streamgate-cli/ws_chat_backend.h"

namespace cli = streamgate::cli;

namespace {

constexpr char kUsageHead[] = R"(streamgate-cli: chat with streamgate from a terminal or a script.

  streamgate-cli [flags] "question"   stream one reply to stdout, then exit
  streamgate-cli [flags]              interactive: one message per line of stdin, one session
                                      (multi-turn) until end of input (Ctrl-D)
  streamgate-cli --health URL         probe an HTTP health endpoint (the gateway's /healthz)
  streamgate-cli --grpc-health HOST:PORT   probe the standard gRPC health service

Ctrl-C during a reply stops it ("[stopped]" on stderr); a second Ctrl-C, or Ctrl-C at the
prompt, exits. Reply text goes to stdout, everything else to stderr. `--` ends the flags.
)";

constexpr char kUsageTail[] = R"(
exit codes:
  0    the reply (interactively: every reply) completed; a probe found the service healthy
  1    a reply failed (an `error` frame, a failed gRPC call); a probe found it unhealthy
  2    bad flags or arguments
  3    cannot connect to the gateway, or the connection was lost
  130  interrupted by Ctrl-C (also a one-shot reply stopped with Ctrl-C)
  143  terminated by SIGTERM
)";

int Fail(const absl::Status& status) {
  std::fprintf(stderr, "streamgate-cli: %s (see --help)\n", std::string(status.message()).c_str());
  return cli::kExitUsage;
}

}  // namespace

int main(int argc, char** argv) {
  cli::CliConfig config;
  streamgate::common::OptionSet options("streamgate-cli", "STREAMGATE");
  options.AddString("url", "the gateway's WebSocket endpoint", &config.url);
  options.AddString("grpc", "stream from llm-service at host:port instead of the gateway",
                    &config.grpc_target);
  options.AddBool("json", "print the raw server frames (gRPC: messages as JSON), one per line",
                  &config.json);
  options.AddString("health", "probe this http:// URL (healthy on HTTP 200) and exit",
                    &config.health_url);
  options.AddString("grpc-health", "probe the gRPC health service at host:port and exit",
                    &config.grpc_health_target);
  options.AddDuration("connect-timeout", "connect + handshake limit (probes: the whole check)",
                      &config.connect_timeout);
  cli::SplitArgs args = cli::SplitArguments(argc, argv, {"json", "help"});
  bool help = false;
  auto env = streamgate::common::ProcessEnv();
  if (auto parsed =
          options.Parse(static_cast<int>(args.flag_args.size()), args.flag_args.data(), env, &help);
      !parsed.ok()) {
    return Fail(parsed);
  }
  if (help) {
    std::printf("%s\n%s%s", kUsageHead, options.Usage().c_str(), kUsageTail);
    return cli::kExitOk;
  }
  config.question = absl::StrJoin(args.words, " ");
  if (auto valid = cli::Validate(config); !valid.ok()) return Fail(valid);

  cli::HealthProbe probe(config.connect_timeout);
  if (!config.health_url.empty()) return probe.CheckHttp(config.health_url);
  if (!config.grpc_health_target.empty()) return probe.CheckGrpc(config.grpc_health_target);

  boost::asio::io_context io(1);
  cli::ChatConsole console(io, {.question = config.question,
                                .json = config.json,
                                .prompt = config.interactive() && isatty(STDIN_FILENO) == 1});
  std::unique_ptr<cli::ChatBackend> backend;
  if (config.grpc_mode()) {
    backend = std::make_unique<cli::GrpcChatBackend>(io, config.grpc_target, &console);
  } else {
    backend = std::make_unique<cli::WsChatBackend>(io, *cli::ParseUrl(config.url, "ws"),
                                                   config.connect_timeout, &console);
  }
  console.Start(backend.get());
  io.run();
  return console.exit_code();
}
