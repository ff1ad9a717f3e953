// ws-bench: load generator for the gateway's /ws protocol (and llm-service's StreamChat).
#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "common/options.h"
#include "common/version.h"
#include "tools/ws-bench/bench_config.h"
#include "tools/ws-bench/bench_report.h"
#include "tools/ws-bench/bench_run.h"

namespace sb = streamgate::bench;

namespace {

int Fail(const absl::Status& status) {
  std::fprintf(stderr, "ws-bench: %s\n", std::string(status.message()).c_str());
  return 2;
}

// --server-pid may be repeated, which OptionSet does not do: take every occurrence out of
// argv before it parses the rest. The environment twin reaches OptionSet as usual.
std::vector<std::string> TakeServerPids(std::vector<const char*>* args) {
  std::vector<std::string> texts;
  std::vector<const char*> rest;
  for (size_t i = 0; i < args->size(); ++i) {
    std::string arg = (*args)[i];
    if (arg == "--server-pid" && i + 1 < args->size()) {
      texts.push_back((*args)[++i]);
    } else if (arg.rfind("--server-pid=", 0) == 0) {
      texts.push_back(arg.substr(13));
    } else {
      rest.push_back((*args)[i]);
    }
  }
  *args = std::move(rest);
  return texts;
}

// Each text is one pid or a comma-separated list.
absl::Status ParsePids(const std::vector<std::string>& texts, std::vector<int>* pids) {
  for (const std::string& text : texts) {
    for (absl::string_view item : absl::StrSplit(text, ',', absl::SkipWhitespace())) {
      int pid = 0;
      if (!absl::SimpleAtoi(item, &pid) || pid <= 0) {
        return absl::InvalidArgumentError("--server-pid: expected a process id, got '" +
                                          std::string(item) + "'");
      }
      pids->push_back(pid);
    }
  }
  return absl::OkStatus();
}

}  // namespace

int main(int argc, char** argv) {
  sb::BenchConfig config;
  std::string pids_from_env;
  streamgate::common::OptionSet options("ws-bench", "WS_BENCH");
  options.AddString("url", "WebSocket endpoint (ws://host:port/path)", &config.url);
  options.AddString("grpc", "drive llm-service directly at host:port instead of --url",
                    &config.grpc_target);
  options.AddString("label", "name copied into the report", &config.label);
  options.AddInt("connections", "connections to open", &config.connections, 1, 1000000);
  options.AddInt("ramp-per-sec", "connections opened per second (0: all at once)",
                 &config.ramp_per_sec, 0, 1000000);
  options.AddInt("idle-seconds", "idle scenario: hold every connection open this long",
                 &config.idle_seconds, 0, 86400);
  options.AddInt("messages", "message scenario: replies per connection, one after another",
                 &config.messages, 0, 1000000);
  options.AddInt("words", "words per user message (the unique tag is the first)", &config.words, 1,
                 10000);
  options.AddInt("think-ms", "pause after each stream_end before the next message",
                 &config.think_ms, 0, 3600000);
  options.AddBool("sync-start", "send nothing until every connection is open", &config.sync_start);
  options.AddInt("start-spread-ms", "with --sync-start: spread the first messages over this",
                 &config.start_spread_ms, 0, 3600000);
  options.AddBool("resume", "resume scenario: cut each reply, reconnect, resume", &config.resume);
  options.AddInt("cut-after-chunks", "resume: chunks processed before the connection is cut",
                 &config.cut_after_chunks, 1, 1000000);
  options.AddInt("reconnect-delay-ms", "resume: pause between the cut and the reconnect",
                 &config.reconnect_delay_ms, 0, 3600000);
  options.AddInt("threads", "event-loop threads", &config.threads, 1, 64);
  options.AddInt("timeout", "seconds the whole run may take", &config.timeout_seconds, 1, 86400);
  options.AddBool("allow-remote", "allow a target outside 127.0.0.0/8 and ::1",
                  &config.allow_remote);
  options.AddString("tls-ca", "wss://: PEM CA to trust for the server's certificate",
                    &config.tls_ca);
  options.AddString("server-pid", "process to measure (RSS, CPU); repeatable or a,b,c",
                    &pids_from_env);
  std::vector<const char*> args(argv, argv + argc);
  auto env = streamgate::common::ProcessEnv();
  std::vector<std::string> pid_texts = TakeServerPids(&args);
  bool help = false;
  if (auto parsed = options.Parse(static_cast<int>(args.size()), args.data(), env, &help);
      !parsed.ok()) {
    return Fail(parsed);
  }
  if (help) {
    std::fputs(options.Usage().c_str(), stdout);
    return 0;
  }
  if (options.version_requested()) {
    std::fputs(streamgate::common::VersionText("ws-bench").c_str(), stdout);
    return 0;
  }
  if (!pids_from_env.empty()) pid_texts.push_back(pids_from_env);
  if (auto pids = ParsePids(pid_texts, &config.server_pids); !pids.ok()) return Fail(pids);
  if (auto valid = sb::Validate(config); !valid.ok()) return Fail(valid);
  auto target =
      config.grpc_mode() ? sb::ParseHostPort(config.grpc_target) : sb::ParseWsUrl(config.url);
  if (!target.ok()) return Fail(target.status());
  if (auto resolved = sb::ResolveTarget(&*target, config.allow_remote); !resolved.ok()) {
    return Fail(resolved);
  }
  if (auto tls = sb::MakeTlsContext(&*target, config.tls_ca); !tls.ok()) return Fail(tls);
  config.token = env("WS_BENCH_TOKEN").value_or("");

  uint64_t file_limit = sb::RaiseOpenFileLimit();
  // Each connection is one descriptor; a few more are ours (stdio, epoll, gRPC).
  if (!config.grpc_mode() && static_cast<uint64_t>(config.connections) + 64 > file_limit) {
    std::fprintf(stderr,
                 "ws-bench: warning: %d connections but only %llu descriptors; the rest will "
                 "fail. Run several ws-bench processes side by side.\n",
                 config.connections, static_cast<unsigned long long>(file_limit));
  }
  sb::BenchRun run(config, *target, file_limit);
  sb::BenchResult result = run.Run();
  std::fputs(sb::ReportSummary(config, result).c_str(), stderr);
  std::printf("%s\n", sb::ReportJson(config, result).c_str());
  return sb::RunSucceeded(config, result) ? 0 : 1;
}
