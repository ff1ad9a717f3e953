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
    : channel_(grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(),
                                         ChannelArgs())),
      stub_(llm::v1::LlmService::NewStub(channel_)) {}

bool LlmClient::IsConnected() {
  return channel_->GetState(/*try_to_connect=*/true) == GRPC_CHANNEL_READY;
}

}  // namespace streamgate::gateway
