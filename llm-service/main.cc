// llm-service: the stateless gRPC service that streams model replies.
#include <curl/curl.h>
#include <grpcpp/ext/proto_server_reflection_plugin.h>

#include <cstdio>
#include <memory>

#include "common/log.h"
#include "common/log_value.h"
#include "common/metrics/metrics_http_server.h"
#include "common/metrics/process_metrics.h"
#include "common/metrics/registry.h"
#include "common/mutex_mode.h"
#include "common/options.h"
#include "common/process_signals.h"
#include "common/version.h"
#include "llm-service/claude_provider.h"
#include "llm-service/llm_metrics.h"
#include "llm-service/llm_server.h"
#include "llm-service/llm_service_config.h"
#include "llm-service/mock_provider.h"

namespace sg = streamgate;

namespace {

int Fail(const absl::Status& status) {
  std::fprintf(stderr, "llm-service: %s\n", std::string(status.message()).c_str());
  return 2;
}

// Flags and their environment twins (LLM_SERVICE_<NAME>; two also read the SDKs' ANTHROPIC_*
// names, which the LLM_SERVICE_ twin overrides).
void AddOptions(sg::common::OptionSet& options, sg::llm::LlmServiceConfig& config) {
  options.AddString("bind", "address to listen on", &config.bind);
  options.AddInt("port", "gRPC port (0 picks a free one)", &config.port, 0, 65535);
  options.AddString("advertise-address",
                    "host:port callers reach this replica at, in each reply's Started "
                    "(default: the bind address, or the host name when bound to all, and the port)",
                    &config.advertise_address);
  options.AddInt("metrics-port", "Prometheus /metrics HTTP port (0 picks a free one)",
                 &config.metrics_port, 0, 65535);
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
  options.AddString("log-format", "text, or json (one object per line)", &config.log_format);
  options.AddString("tls-cert", "PEM certificate chain: serve gRPC over TLS (reloaded on SIGHUP)",
                    &config.tls_cert);
  options.AddString("tls-key", "PEM private key of --tls-cert", &config.tls_key);
  options.AddString("tls-client-ca", "PEM CA: accept only callers with a certificate it signed",
                    &config.tls_client_ca);
  options.AddString("auth-tokens-file",
                    "hashed bearer tokens; every call but health needs one (reloaded on SIGHUP)",
                    &config.auth_tokens_file);
  options.AddBool("reflection", "serve gRPC server reflection", &config.reflection);
  options.AddInt("max-request-bytes", "largest StreamChat request accepted",
                 &config.max_request_bytes, 1024, int64_t{1} << 30);
  options.AddInt("max-concurrent-calls", "StreamChat calls at once; more get RESOURCE_EXHAUSTED",
                 &config.max_concurrent_calls, 1, 10000000);
  options.AddString("anthropic-base-url", "claude: API base URL", &config.anthropic_base_url);
  options.AddEnvAlias("ANTHROPIC_BASE_URL");
  options.AddString("anthropic-model", "claude: model when a request names none",
                    &config.anthropic_model);
  options.AddEnvAlias("ANTHROPIC_MODEL");
  options.AddString("anthropic-version", "claude: anthropic-version header",
                    &config.anthropic_version);
  options.AddInt("max-tokens", "claude: max_tokens when a request sets none", &config.max_tokens, 1,
                 1000000);
  options.AddDuration("upstream-connect-timeout", "claude: TCP+TLS connect timeout",
                      &config.upstream_connect_timeout);
  options.AddDuration("upstream-stall-timeout", "claude: no byte for this long ends a reply",
                      &config.upstream_stall_timeout);
  options.AddInt("upstream-max-retries", "claude: retries after the first attempt",
                 &config.upstream_max_retries, 0, 10);
  options.AddDuration("upstream-retry-base-delay", "claude: first backoff step (tests shorten it)",
                      &config.upstream_retry_base_delay);
  options.AddInt("curl-threads", "claude: threads running upstream HTTP", &config.curl_threads, 1,
                 64);
}

absl::StatusOr<std::unique_ptr<sg::llm::Provider>> MakeProvider(
    const sg::llm::LlmServiceConfig& config, sg::llm::ProviderKind kind,
    sg::llm::LlmMetrics* metrics) {
  if (kind == sg::llm::ProviderKind::kMock) {
    return std::make_unique<sg::llm::MockProvider>(
        sg::llm::MockProviderOptions{.chunk_delay = absl::Milliseconds(config.mock_chunk_delay_ms),
                                     .extra_words = config.mock_extra_words});
  }
  auto claude = sg::llm::ClaudeProvider::Create(sg::llm::ClaudeProviderOptions{
      .api_key = config.anthropic_api_key,
      .base_url = config.anthropic_base_url,
      .request = {.default_model = config.anthropic_model,
                  .default_max_tokens = static_cast<uint32_t>(config.max_tokens),
                  .anthropic_version = config.anthropic_version},
      .connect_timeout = config.upstream_connect_timeout,
      .stall_timeout = config.upstream_stall_timeout,
      .retry = {.max_retries = config.upstream_max_retries,
                .initial_delay = config.upstream_retry_base_delay},
      .curl_threads = config.curl_threads,
      .metrics = metrics});
  if (!claude.ok()) return claude.status();
  return std::unique_ptr<sg::llm::Provider>(*std::move(claude));
}

}  // namespace

int main(int argc, char** argv) {
  sg::common::ProcessSignals signals;
  sg::llm::LlmServiceConfig config;
  sg::common::OptionSet options("llm-service", "LLM_SERVICE");
  AddOptions(options, config);
  bool help = false;
  auto env = sg::common::ProcessEnv();
  if (auto parsed = options.Parse(argc, argv, env, &help); !parsed.ok()) return Fail(parsed);
  if (help) {
    std::fputs(options.Usage().c_str(), stdout);
    return 0;
  }
  if (options.version_requested()) {
    std::fputs(sg::common::VersionText("llm-service").c_str(), stdout);
    return 0;
  }
  config.anthropic_api_key = env("ANTHROPIC_API_KEY").value_or("");
  sg::llm::ProviderKind provider_kind;
  if (auto valid = sg::llm::Validate(config, &provider_kind); !valid.ok()) return Fail(valid);
  sg::common::UseReleaseMutexMode();
  if (auto logging = sg::common::InitLogging(config.log_level, config.log_format); !logging.ok()) {
    return Fail(logging);
  }
  // Once per process, before the first transfer.
  curl_global_init(CURL_GLOBAL_DEFAULT);
  auto log = sg::common::Logger("llm-service");
  for (const std::string& name : options.UnknownEnvironment(sg::common::ProcessEnvNames())) {
    log->warn("unknown environment variable ignored name={} (no flag has this twin)", name);
  }
  sg::common::metrics::Registry metrics;
  sg::common::metrics::RegisterProcessMetrics(metrics);
  bool claude = provider_kind == sg::llm::ProviderKind::kClaude;
  sg::llm::LlmMetrics llm_metrics(metrics, claude ? "claude" : "mock",
                                  claude ? config.anthropic_model : "mock");
  auto made = MakeProvider(config, provider_kind, &llm_metrics);
  if (!made.ok()) return Fail(made.status());
  std::unique_ptr<sg::llm::Provider> provider = *std::move(made);
  if (provider_kind == sg::llm::ProviderKind::kClaude) {
    log->info("claude base_url={} model={} anthropic_version={} curl_threads={} stall_timeout={}",
              config.anthropic_base_url, config.anthropic_model, config.anthropic_version,
              config.curl_threads, absl::FormatDuration(config.upstream_stall_timeout));
  }
  // Offers reflection to every server; LlmServer leaves it out under --reflection=false.
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  auto server = sg::llm::LlmServer::Start(config, provider.get(), &llm_metrics);
  if (!server.ok()) return Fail(server.status());
  auto scrapes =
      sg::common::metrics::MetricsHttpServer::Start(config.bind, config.metrics_port, metrics);
  if (!scrapes.ok()) return Fail(scrapes.status());
  // metrics_port before port: a reader of "port=N" (tests, scripts) finds the gRPC one last.
  sg::common::Announce(
      "llm-service",
      fmt::format("listening address={} metrics_port={} port={} provider={} {} reflection={} "
                  "replica={}",
                  config.bind, (*scrapes)->port(), (*server)->port(), provider->name(),
                  (*server)->Describe(), config.reflection ? "on" : "off",
                  sg::common::LogValue((*server)->replica())));

  int signo = signals.Wait();
  for (; sg::common::ProcessSignals::IsReload(signo); signo = signals.Wait()) {
    (*server)->Reload();
  }
  log->info("draining signal={} active_calls={}", signo, (*server)->calls().active());
  (*server)->Shutdown(config.drain_timeout);
  provider->Shutdown();
  log->info("stopped calls_served={}", (*server)->calls().total_started());
  provider.reset();
  curl_global_cleanup();
  return 0;
}
