#include "gateway/llm_client.h"

namespace streamgate::gateway {
namespace {

grpc::ChannelArguments ChannelArgs() {
  grpc::ChannelArguments args;
  args.SetServiceConfigJSON(R"({"loadBalancingConfig":[{"round_robin":{}}]})");
  // gRPC's default reconnect backoff grows to two minutes; a restarted llm-service must be
  // usable again within a second or so. (Not GRPC_ARG_MIN_RECONNECT_BACKOFF_MS: gRPC also
  // uses it as the connect timeout, and 100 ms fails connections on a loaded machine.)
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
  // Find a silently dead llm-service (no FIN/RST) while replies are streaming.
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 20000);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 10000);
  return args;
}

}  // namespace

LlmClient::LlmClient(const std::string& target)
    : channel_(
          grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), ChannelArgs())),
      stub_(channel_),
      watcher_([this] { WatchConnectivity(); }) {}

LlmClient::~LlmClient() {
  stopping_.store(true);
  watcher_.join();
}

void LlmClient::WatchConnectivity() {
  // The bounded wait lets the thread notice shutdown; a state change wakes it at once.
  constexpr auto kMaxWait = std::chrono::milliseconds(250);
  grpc_connectivity_state state = channel_->GetState(/*try_to_connect=*/true);
  while (!stopping_.load()) {
    connected_.store(state == GRPC_CHANNEL_READY);
    channel_->WaitForStateChange(state, std::chrono::system_clock::now() + kMaxWait);
    // try_to_connect: an idle channel (after llm-service went away) reconnects by itself,
    // so readiness reflects whether llm-service can be reached now.
    state = channel_->GetState(/*try_to_connect=*/true);
  }
}

}  // namespace streamgate::gateway
