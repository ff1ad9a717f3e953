// gateway: WebSocket front door that streams llm-service replies to clients.
#include <atomic>
#include <boost/asio/io_context.hpp>
#include <cstdio>
#include <thread>
#include <vector>

#include "common/log.h"
#include "common/mutex_mode.h"
#include "common/options.h"
#include "common/process_signals.h"
#include "gateway/gateway_config.h"
#include "gateway/heartbeat.h"
#include "gateway/listener.h"
#include "gateway/llm_client.h"
#include "gateway/session.h"
#include "gateway/session_registry.h"

namespace sg = streamgate;

namespace {

int Fail(const absl::Status& status) {
  std::fprintf(stderr, "gateway: %s\n", std::string(status.message()).c_str());
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  sg::common::ProcessSignals signals;
  sg::gateway::GatewayConfig config;
  sg::common::OptionSet options("gateway", "GATEWAY");
  options.AddString("bind", "address to listen on", &config.bind);
  options.AddInt("port", "HTTP/WebSocket port (0 picks a free one)", &config.port, 0, 65535);
  options.AddString("llm-service", "llm-service gRPC target (host:port or dns:///name:port)",
                    &config.llm_service);
  options.AddInt("io-threads", "threads running the network loop (0: one per core)",
                 &config.io_threads, 0, 256);
  options.AddInt("max-message-bytes", "largest client frame accepted",
                 &config.max_message_bytes, 256, int64_t{16} << 20);
  options.AddInt("max-outbound-bytes", "bytes queued per client before its reply is paused",
                 &config.max_outbound_bytes, 1024, int64_t{1} << 30);
  options.AddInt("max-connections", "open WebSocket sessions allowed", &config.max_connections, 1,
                 10000000);
  options.AddInt("history-max-bytes", "conversation history kept per session (oldest dropped)",
                 &config.history_max_bytes, 0, int64_t{1} << 30);
  options.AddDuration("handshake-timeout", "time allowed for the HTTP upgrade and handshake",
                      &config.handshake_timeout);
  options.AddDuration("ping-interval", "how often the server pings each client",
                      &config.ping_interval);
  options.AddDuration("idle-timeout", "drop a client silent (no frame, no pong, no reads) this long",
                      &config.idle_timeout);
  options.AddDuration("llm-connect-timeout", "how long a reply waits for llm-service to be reachable",
                      &config.connect_timeout);
  options.AddDuration("reply-timeout", "longest a single reply may take", &config.reply_timeout);
  options.AddDuration("drain-timeout", "on SIGTERM, how long running replies may finish",
                      &config.drain_timeout);
  options.AddString("log-level", "trace, debug, info, warn, error or off", &config.log_level);
  bool help = false;
  if (auto parsed = options.Parse(argc, argv, sg::common::ProcessEnv(), &help); !parsed.ok()) {
    return Fail(parsed);
  }
  if (help) {
    std::fputs(options.Usage().c_str(), stdout);
    return 0;
  }
  if (auto valid = sg::gateway::Validate(config); !valid.ok()) return Fail(valid);
  sg::common::UseReleaseMutexMode();
  if (auto logging = sg::common::InitLogging(config.log_level); !logging.ok()) {
    return Fail(logging);
  }
  auto log = sg::common::Logger("gateway");

  int threads = config.io_threads > 0 ? config.io_threads
                                      : static_cast<int>(std::thread::hardware_concurrency());
  threads = std::max(threads, 1);
  boost::asio::io_context io(threads);
  sg::gateway::LlmClient llm(config.llm_service);
  sg::gateway::SessionRegistry registry;
  std::atomic<bool> draining{false};
  sg::gateway::SessionDeps deps{
      .config = &config, .llm = &llm, .registry = &registry, .draining = &draining};
  sg::gateway::Heartbeat heartbeat(io, registry, config.ping_interval);
  heartbeat.Start();
  auto listener = sg::gateway::Listener::Create(io, config.bind, config.port, deps);
  if (!listener.ok()) return Fail(listener.status());
  (*listener)->Start();
  std::vector<std::thread> pool;
  for (int i = 0; i < threads; ++i) pool.emplace_back([&io] { io.run(); });
  sg::common::Announce("gateway", fmt::format("listening address={} port={} llm_service={} "
                                              "io_threads={}",
                                              config.bind, (*listener)->port(),
                                              config.llm_service, threads));


  int signo = signals.Wait();
  // Draining: HTTP keeps answering, upgrades get 503 and /readyz 503; idle sessions close
  // with 1001 now, busy ones when their reply ends or the drain timeout passes.
  log->info("draining signal={} sessions={}", signo, registry.size());
  draining.store(true);
  registry.ForEach([](const std::shared_ptr<sg::gateway::Session>& session) { session->Drain(); });
  bool drained = registry.WaitUntilEmpty(absl::Now() + config.drain_timeout);
  if (!drained) {
    log->info("drain timeout passed; closing sessions={}", registry.size());
    registry.ForEach([](const std::shared_ptr<sg::gateway::Session>& session) {
      session->Close(boost::beast::websocket::close_code::going_away);
    });
    // Closing handshakes are bounded by the handshake timeout.
    registry.WaitUntilEmpty(absl::Now() + config.handshake_timeout + absl::Seconds(1));
  }
  (*listener)->Stop();
  io.stop();
  for (auto& thread : pool) thread.join();
  log->info("stopped drained={}", drained);
  return 0;
}
