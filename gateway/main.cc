// gateway: WebSocket front door that streams llm-service replies to clients.
#include <cstdio>
#include <string>

#include "common/log.h"
#include "common/mutex_mode.h"
#include "common/options.h"
#include "common/process_signals.h"
#include "common/version.h"
#include "gateway/gateway_config.h"
#include "gateway/gateway_flags.h"
#include "gateway/gateway_server.h"

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
  sg::gateway::AddGatewayFlags(options, config);
  bool help = false;
  if (auto parsed = options.Parse(argc, argv, sg::common::ProcessEnv(), &help); !parsed.ok()) {
    return Fail(parsed);
  }
  if (help) {
    std::fputs(options.Usage().c_str(), stdout);
    return 0;
  }
  if (options.version_requested()) {
    std::fputs(sg::common::VersionText("gateway").c_str(), stdout);
    return 0;
  }
  sg::gateway::ResolveDefaults(&config);
  if (auto valid = sg::gateway::Validate(config); !valid.ok()) return Fail(valid);
  sg::common::UseReleaseMutexMode();
  if (auto logging = sg::common::InitLogging(config.log_level, config.log_format); !logging.ok()) {
    return Fail(logging);
  }
  for (const std::string& name : options.UnknownEnvironment(sg::common::ProcessEnvNames())) {
    sg::common::Logger("gateway")->warn("unknown environment variable ignored name={} (no flag has this twin)", name);
  }

  auto server = sg::gateway::GatewayServer::Create(config);
  if (!server.ok()) return Fail(server.status());
  auto listening = (*server)->Start();
  if (!listening.ok()) return Fail(listening.status());
  sg::common::Announce("gateway", *listening);

  int signo = signals.Wait();
  for (; sg::common::ProcessSignals::IsReload(signo); signo = signals.Wait()) (*server)->Reload();
  bool drained = (*server)->Drain(signo);
  sg::common::Logger("gateway")->info("stopped drained={}", drained);
  return 0;
}
