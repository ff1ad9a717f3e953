// gateway: WebSocket front door that streams llm-service replies to clients.
#include <boost/asio/io_context.hpp>
#include <cstdio>
#include <thread>
#include <vector>

#include "common/log.h"
#include "common/options.h"
#include "common/shutdown_signal.h"
#include "gateway/gateway_config.h"
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
  sg::common::ShutdownSignal signals;
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
  options.AddDuration("handshake-timeout", "time allowed for the HTTP upgrade and handshake",
                      &config.handshake_timeout);
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
  sg::gateway::SessionDeps deps{.config = &config, .llm = &llm, .registry = &registry};
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
  log->info("shutting down signal={} sessions={}", signo, registry.size());
  (*listener)->Stop();
  registry.ForEach([](const std::shared_ptr<sg::gateway::Session>& session) {
    session->Close(boost::beast::websocket::close_code::going_away);
  });
  bool closed = registry.WaitUntilEmpty(absl::Now() + absl::Seconds(5));
  io.stop();
  for (auto& thread : pool) thread.join();
  log->info("stopped all_sessions_closed={}", closed);
  return 0;
}
