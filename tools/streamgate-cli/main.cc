// streamgate-cli: chat with the gateway (or llm-service directly) from a terminal or a
// script; also the health probe the container images run.
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_join.h"
#include "common/credential_file.h"
#include "common/options.h"
#include "common/version.h"
#include "tools/streamgate-cli/chat_console.h"
#include "tools/streamgate-cli/cli_config.h"
#include "tools/streamgate-cli/grpc_chat_backend.h"
#include "tools/streamgate-cli/grpc_credentials.h"
#include "tools/streamgate-cli/health_probe.h"
#include "tools/streamgate-cli/one_shot_message.h"
#include "tools/streamgate-cli/ws_chat_backend.h"

namespace cli = streamgate::cli;

namespace {

constexpr char kUsageHead[] = R"(streamgate-cli: chat with streamgate from a terminal or a script.

  streamgate-cli [flags] "question"   stream one reply to stdout, then exit; with stdin a
                                      pipe or file, the message is the piped text, a blank
                                      line, then the question (`cat f | streamgate-cli "q"`)
  streamgate-cli [flags] -            the whole of stdin is the one message
  streamgate-cli [flags]              interactive: one message per line of stdin, one session
                                      (multi-turn) until end of input (Ctrl-D)
  streamgate-cli --health URL         probe an HTTP health endpoint (the gateway's /healthz)
  streamgate-cli --grpc-health HOST:PORT   probe the standard gRPC health service
  streamgate-cli keys add NAME        make a credential for identity NAME: prints the key
                                      (once) and the line for --api-keys-file or
                                      --auth-tokens-file

A gateway or llm-service with auth on wants a credential: put it in STREAMGATE_TOKEN or in a
file named by --token-file (never on the command line, where other users can see it).

Interactively, a line ending in \ continues on the next line; "/multi" starts a block that
the line "/end" sends; on a terminal (line editing and history by libedit) a paste is one
message, sent with the next Enter. Control characters and escape sequences in replies are
shown as U+FFFD, never run by the terminal.

Ctrl-C during a reply stops it ("[stopped]" on stderr); a second Ctrl-C, or Ctrl-C at the
prompt, exits. Reply text goes to stdout, everything else to stderr. `--` ends the flags.

A lost connection (a network failure, a gateway restart) does not end the session: the CLI
reconnects with backoff for up to --reconnect-timeout and resumes it, and a reply in flight
goes on where it stopped, no text twice (a note on stderr says so). If the gateway cannot
resume it, the CLI says so and goes on as a new session without the earlier history. With
--json every server frame is printed as received, except frames already printed before the
drop and resume tokens, which are secrets: their value is printed as "<redacted>".

Threads: --conversation ID sends every message (and Ctrl-C's cancel) to thread ID of the
session; each thread has its own history. Interactively, the line "/conversation ID" switches
to thread ID and "/conversation" alone names the current one.
)";

constexpr char kUsageTail[] = R"(
exit codes:
  0    the reply (interactively: every reply) completed; a probe found the service healthy
  1    a reply failed (an `error` frame, a failed gRPC call); a probe found it unhealthy
  2    bad flags or arguments
  3    cannot connect to the gateway (or llm-service with --grpc), or the connection was
       lost and could not be resumed
  130  interrupted by Ctrl-C (also a one-shot reply stopped with Ctrl-C)
  143  terminated by SIGTERM
)";

int Fail(const absl::Status& status) {
  std::fprintf(stderr, "streamgate-cli: %s (see --help)\n", std::string(status.message()).c_str());
  return cli::kExitUsage;
}

// `keys add NAME`: the secret goes to stdout once; it is stored nowhere.
int AddKey(const std::vector<std::string>& words) {
  if (words.size() != 3 || words[1] != "add") {
    return Fail(absl::InvalidArgumentError("usage: streamgate-cli keys add NAME"));
  }
  auto made = streamgate::common::MakeCredential(words[2]);
  if (!made.ok()) return Fail(made.status());
  std::printf(
      "# A new credential for %s. The key is shown this once: hand it to the client now.\n"
      "%s\n"
      "# Add this line to the gateway's --api-keys-file (or llm-service's --auth-tokens-file),\n"
      "# then send the process SIGHUP; removing the line and SIGHUP revokes the key.\n"
      "%s\n",
      words[2].c_str(), made->secret.c_str(), made->line.c_str());
  return cli::kExitOk;
}

absl::Status ReadToken(const std::string& path, std::string* token) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::InvalidArgumentError("--token-file: cannot read " + path);
  std::ostringstream text;
  text << in.rdbuf();
  *token = std::string(absl::StripAsciiWhitespace(text.str()));
  if (token->empty()) return absl::InvalidArgumentError("--token-file " + path + " is empty");
  return absl::OkStatus();
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
  options.AddString("token-file", "file holding the credential (else env STREAMGATE_TOKEN)",
                    &config.token_file);
  options.AddString("tls-ca", "PEM CA to trust for wss://, https:// and --grpc (TLS)",
                    &config.tls_ca);
  options.AddBool("grpc-tls", "--grpc/--grpc-health over TLS (implied by --tls-ca)",
                  &config.grpc_tls);
  options.AddString("tls-cert", "--grpc: client certificate (mTLS)", &config.tls_cert);
  options.AddString("tls-key", "--grpc: private key of --tls-cert", &config.tls_key);
  options.AddString("conversation", "the gateway thread to talk in: 1-64 of A-Za-z0-9_-",
                    &config.conversation);
  options.AddDuration("reconnect-timeout",
                      "after a lost connection, how long to try to resume the session (0: exit)",
                      &config.reconnect_timeout);
  cli::SplitArgs args = cli::SplitArguments(argc, argv, {"json", "help", "version", "grpc-tls"});
  if (!args.words.empty() && args.words.front() == "keys") return AddKey(args.words);
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
  if (options.version_requested()) {
    std::fputs(streamgate::common::VersionText("streamgate-cli").c_str(), stdout);
    return cli::kExitOk;
  }
  config.question = absl::StrJoin(args.words, " ");
  config.token = env("STREAMGATE_TOKEN").value_or("");
  if (!config.token_file.empty()) {
    if (auto read = ReadToken(config.token_file, &config.token); !read.ok()) return Fail(read);
  }
  if (auto valid = cli::Validate(config); !valid.ok()) return Fail(valid);
  if (!config.probe_mode()) {
    auto plan = cli::PlanMessage(args.words, isatty(STDIN_FILENO) == 1);
    if (!plan.ok()) return Fail(plan.status());
    if (plan->read_stdin) {
      auto piped = cli::ReadAllStdin(cli::kMaxStdinMessageBytes);
      if (!piped.ok()) return Fail(piped.status());
      auto message = cli::ComposeMessage(*plan, *piped);
      if (!message.ok()) return Fail(message.status());
      config.question = *std::move(message);
    }
  }

  cli::HealthProbe probe(config.connect_timeout, config.tls_ca);
  if (!config.health_url.empty()) return probe.CheckHttp(config.health_url);
  auto grpc_credentials = cli::GrpcChannelCredentials(config);
  if (!grpc_credentials.ok()) return Fail(grpc_credentials.status());
  if (!config.grpc_health_target.empty()) {
    return probe.CheckGrpc(config.grpc_health_target, *grpc_credentials);
  }

  boost::asio::io_context io(1);
  cli::ChatConsole console(io, {.question = config.question,
                                .json = config.json,
                                .prompt = config.interactive() && isatty(STDIN_FILENO) == 1});
  std::unique_ptr<cli::ChatBackend> backend;
  if (config.grpc_mode()) {
    backend = std::make_unique<cli::GrpcChatBackend>(
        io, config.grpc_target, *grpc_credentials,
        config.token.empty() ? "" : "Bearer " + config.token, &console);
  } else {
    backend = std::make_unique<cli::WsChatBackend>(
        io, *cli::ParseUrl(config.url, "ws"),
        cli::WsChatBackend::Options{.connect_timeout = config.connect_timeout,
                                    .token = config.token,
                                    .tls_ca = config.tls_ca,
                                    .conversation = config.conversation,
                                    .reconnect_timeout = config.reconnect_timeout},
        &console);
  }
  console.Start(backend.get());
  io.run();
  return console.exit_code();
}
