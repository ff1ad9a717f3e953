// fake_claude_server: a scripted stand-in for the Anthropic Messages API, for tests only.
//
// Interface summary (the full reference, with JSON shapes, is tests/fakes/README.md):
//
//   fake_claude_server [--bind=127.0.0.1] [--port=0] [--api-key=test-key]
//                      [--delta-delay-ms=0] [--max-body-bytes=4194304]
//                      [--max-recorded-requests=10000] [--max-recorded-body-bytes=268435456]
//                      [--max-recorded-connections=10000] [--log-level=info]
//   (every flag also reads FAKE_CLAUDE_<NAME>, e.g. FAKE_CLAUDE_API_KEY; flags win)
//
//   Ready line on stderr:  ... info fake_claude listening address=127.0.0.1 port=NNNN
//   SIGTERM/SIGINT: closes the listener and every connection, exits 0.
//
//   POST /v1/messages (HTTP/1.1, keep-alive) — point a client at ANTHROPIC_BASE_URL=
//   http://127.0.0.1:NNNN with ANTHROPIC_API_KEY=test-key. Checks, in order: x-api-key
//   (else 401 authentication_error), anthropic-version present (else 400), JSON body with
//   model, max_tokens > 0, messages, stream: true (else 400 invalid_request_error). The
//   normal reply is text/event-stream: message_start (usage.input_tokens = number of
//   messages), content_block_start, ping, one content_block_delta/text_delta per word of
//   "Claude echo: <last user message>", content_block_stop, message_delta
//   (stop_reason end_turn, usage.output_tokens = number of deltas), message_stop. Header
//   request-id: req_fake_<n>.
//
//   Scenarios: directives in the last user message, "[fake:NAME]" / "[fake:NAME:ARG]":
//     rate_limit[:HINT[:TIMES]] rate_limit_always[:HINT] retry_after_date[:SECS[:TIMES]]
//     overloaded[:TIMES] overloaded_always server_error[:TIMES] unauthorized bad_request
//     should_retry_false midstream_error[:N] drop[:N[:rst]] clean_end_without_stop[:N]
//     stall[:N]   — at most one of those, plus any of the modifiers —
//     slow[:MS] long[:N] ping_heavy tiny_writes thinking tool_use
//   HINT = 1 (retry-after seconds, default) | 250ms (retry-after-ms) | none. Retries of the
//   same request (same model, system and messages) see the next stage of the scenario.
//
//   Control: GET /__fake/requests[?since=ID], GET /__fake/connections, GET /__fake/stats,
//   POST /__fake/reset.
//   Log lines: "request id=req_fake_N conn=C method=M path=P status=S scenario=X stage=K",
//   "response ended id=req_fake_N conn=C outcome=O events=E",
//   "connection opened conn=C peer=IP:PORT",
//   "connection closed conn=C by=peer|server mid_stream=true|false requests=R".
#include <sys/resource.h>

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdio>
#include <future>
#include <thread>

#include "common/log.h"
#include "common/options.h"
#include "common/process_signals.h"
#include "tests/fakes/fake_server.h"

namespace fake = streamgate::fake_claude;
namespace common = streamgate::common;

namespace {

int Fail(const absl::Status& status) {
  std::fprintf(stderr, "fake_claude_server: %s\n", std::string(status.message()).c_str());
  return 2;
}

// A benchmark opens ~1,000 connections at once: use every descriptor the hard limit allows.
void RaiseDescriptorLimit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
  }
}

}  // namespace

int main(int argc, char** argv) {
  common::ProcessSignals signals;
  fake::FakeServerConfig config;
  common::OptionSet options("fake_claude_server", "FAKE_CLAUDE");
  options.AddString("bind", "address to listen on", &config.bind);
  options.AddInt("port", "port (0 picks a free one)", &config.port, 0, 65535);
  options.AddString("api-key", "the only x-api-key accepted", &config.api_key);
  options.AddInt("delta-delay-ms", "delay before every delta unless [fake:slow:MS]",
                 &config.delta_delay_ms, 0, 60000);
  options.AddInt("max-body-bytes", "largest request body (413 above)", &config.max_body_bytes, 1,
                 int64_t{1} << 30);
  options.AddInt("max-recorded-requests", "request records kept", &config.max_recorded_requests, 1,
                 10000000);
  options.AddInt("max-recorded-body-bytes", "request body bytes kept over all records",
                 &config.max_recorded_body_bytes, 0, int64_t{1} << 40);
  options.AddInt("max-recorded-connections", "closed-connection records kept",
                 &config.max_recorded_connections, 0, 10000000);
  options.AddString("log-level", "trace, debug, info, warn, error or off", &config.log_level);
  bool help = false;
  if (auto parsed = options.Parse(argc, argv, common::ProcessEnv(), &help); !parsed.ok()) {
    return Fail(parsed);
  }
  if (help) {
    std::fputs(options.Usage().c_str(), stdout);
    return 0;
  }
  if (auto logging = common::InitLogging(config.log_level); !logging.ok()) return Fail(logging);
  RaiseDescriptorLimit();

  boost::asio::io_context io(1);
  auto server = fake::FakeServer::Create(io, config);
  if (!server.ok()) return Fail(server.status());
  (*server)->Start();
  std::promise<void> io_done;
  std::future<void> io_finished = io_done.get_future();
  // One io thread: the server's shared state relies on it (see FakeServer).
  std::thread io_thread([&io, &io_done] {
    io.run();
    io_done.set_value();
  });
  common::Announce("fake_claude",
                   fmt::format("listening address={} port={}", config.bind, (*server)->port()));

  int signo = signals.Wait();
  while (common::ProcessSignals::IsReload(signo)) signo = signals.Wait();
  common::Logger("fake_claude")->info("shutting down signal={}", signo);
  (*server)->Stop();
  // Aborted handlers finish quickly; the deadline only guards against a bug hanging exit.
  if (io_finished.wait_for(std::chrono::seconds(5)) != std::future_status::ready) io.stop();
  io_thread.join();
  common::Logger("fake_claude")->info("stopped");
  return 0;
}
