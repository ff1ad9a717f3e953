// llm-service: the stateless gRPC service that streams model replies.
#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>

#include <cstdio>
#include <memory>

#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "common/options.h"
#include "common/shutdown_signal.h"
#include "llm-service/llm_service_config.h"
#include "llm-service/llm_stream_service.h"
#include "llm-service/mock_provider.h"

namespace sg = streamgate;

namespace {

int Fail(const absl::Status& status) {
  std::fprintf(stderr, "llm-service: %s\n", std::string(status.message()).c_str());
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  sg::common::ShutdownSignal signals;
  sg::llm::LlmServiceConfig config;
  sg::common::OptionSet options("llm-service", "LLM_SERVICE");
  options.AddString("bind", "address to listen on", &config.bind);
  options.AddInt("port", "gRPC port (0 picks a free one)", &config.port, 0, 65535);
  options.AddString("provider", "mock or claude (default: claude when ANTHROPIC_API_KEY is set)",
                    &config.provider);
  options.AddInt("mock-chunk-delay-ms", "mock: wait before each delta", &config.mock_chunk_delay_ms,
                 0, 60000);
  options.AddInt("mock-extra-words", "mock: filler words appended to each reply",
                 &config.mock_extra_words, 0, 10000000);
  options.AddInt("max-queued-bytes-per-call", "reply bytes buffered per call before pausing",
                 &config.max_queued_bytes_per_call, 1024, int64_t{1} << 30);
  options.AddDuration("drain-timeout", "on SIGTERM, how long running calls may finish",
                      &config.drain_timeout);
  options.AddString("log-level", "trace, debug, info, warn, error or off", &config.log_level);
  bool help = false;
  auto env = sg::common::ProcessEnv();
  if (auto parsed = options.Parse(argc, argv, env, &help); !parsed.ok()) return Fail(parsed);
  if (help) {
    std::fputs(options.Usage().c_str(), stdout);
    return 0;
  }
  config.anthropic_api_key = env("ANTHROPIC_API_KEY").value_or("");
  sg::llm::ProviderKind provider_kind;
  if (auto valid = sg::llm::Validate(config, &provider_kind); !valid.ok()) return Fail(valid);
  if (auto logging = sg::common::InitLogging(config.log_level); !logging.ok()) {
    return Fail(logging);
  }
  if (provider_kind == sg::llm::ProviderKind::kClaude) {
    return Fail(absl::UnimplementedError(
        "the claude provider is not available in this build; unset ANTHROPIC_API_KEY or pass "
        "--provider=mock"));
  }
  auto log = sg::common::Logger("llm-service");

  auto provider = std::make_unique<sg::llm::MockProvider>(sg::llm::MockProviderOptions{
      .chunk_delay = absl::Milliseconds(config.mock_chunk_delay_ms),
      .extra_words = config.mock_extra_words});
  sg::llm::LlmStreamService service(provider.get(),
                                    static_cast<size_t>(config.max_queued_bytes_per_call));

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(absl::StrCat(config.bind, ":", config.port),
                           grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) {
    return Fail(absl::UnavailableError(
        absl::StrCat("cannot listen on ", config.bind, ":", config.port)));
  }
  server->GetHealthCheckService()->SetServingStatus(true);
  sg::common::Announce("llm-service", fmt::format("listening address={} port={} provider={}",
                                                  config.bind, port, provider->name()));

  int signo = signals.Wait();
  log->info("draining signal={} active_calls={}", signo, service.calls().active());
  // Health watchers see NOT_SERVING; Shutdown refuses new calls, lets running ones finish
  // until the deadline and cancels the rest.
  server->GetHealthCheckService()->SetServingStatus(false);
  server->Shutdown(absl::ToChronoTime(absl::Now() + config.drain_timeout));
  server->Wait();
  provider->Shutdown();
  log->info("stopped calls_served={}", service.calls().total_started());
  return 0;
}
