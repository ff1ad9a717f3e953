#include "gateway/llm_client.h"

#include <grpcpp/security/tls_certificate_provider.h>
#include <grpcpp/security/tls_credentials_options.h>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/pem_files.h"
#include "common/status_util.h"

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

// gRPC would only find these out in a handshake, and then keep failing it; the gateway
// refuses to start instead.
absl::Status CheckTlsFiles(const GatewayConfig& config) {
  auto ca = common::ReadConfigFile("--llm-tls-ca", config.llm_tls_ca);
  if (!ca.ok()) return ca.status();
  SG_RETURN_IF_ERROR(common::CheckCertificatePem("--llm-tls-ca", config.llm_tls_ca, *ca));
  if (config.llm_tls_cert.empty()) return absl::OkStatus();
  auto cert = common::ReadConfigFile("--llm-tls-cert", config.llm_tls_cert);
  if (!cert.ok()) return cert.status();
  auto key = common::ReadConfigFile("--llm-tls-key", config.llm_tls_key);
  if (!key.ok()) return key.status();
  return common::CheckKeyPairPem("--llm-tls-cert", config.llm_tls_cert, *cert, "--llm-tls-key",
                                 config.llm_tls_key, *key);
}

// The token as metadata: "Bearer <token>". gRPC sends only printable ASCII in a metadata
// value, so anything else is refused here rather than failing every call.
absl::StatusOr<std::string> ReadAuthorization(const std::string& path) {
  auto text = common::ReadConfigFile("--llm-token-file", path);
  if (!text.ok()) return text.status();
  absl::string_view token = absl::StripAsciiWhitespace(*text);
  if (token.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("--llm-token-file: ", path, " is empty"));
  }
  for (char c : token) {
    if (c < 0x21 || c > 0x7e) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--llm-token-file: ", path, " must hold one token: printable ASCII, no spaces"));
    }
  }
  return absl::StrCat("Bearer ", token);
}

absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> Credentials(const GatewayConfig& config) {
  if (config.llm_tls_ca.empty()) return grpc::InsecureChannelCredentials();
  if (absl::Status checked = CheckTlsFiles(config); !checked.ok()) return checked;
  auto provider = std::make_shared<grpc::experimental::FileWatcherCertificateProvider>(
      config.llm_tls_key, config.llm_tls_cert, config.llm_tls_ca,
      LlmClient::kCertificateRefreshSeconds);
  grpc::experimental::TlsChannelCredentialsOptions options;
  options.set_certificate_provider(provider);
  options.watch_root_certs();
  if (!config.llm_tls_cert.empty()) options.watch_identity_key_cert_pairs();
  // Without a verifier of its own, gRPC checks the server's name (hostname verification).
  return grpc::experimental::TlsCredentials(options);
}

}  // namespace

absl::StatusOr<std::unique_ptr<LlmClient>> LlmClient::Create(const GatewayConfig& config) {
  auto credentials = Credentials(config);
  if (!credentials.ok()) return credentials.status();
  std::string authorization;
  if (!config.llm_token_file.empty()) {
    auto read = ReadAuthorization(config.llm_token_file);
    if (!read.ok()) return read.status();
    authorization = *std::move(read);
  }
  grpc::ChannelArguments args = ChannelArgs();
  if (!config.llm_tls_server_name.empty()) {
    args.SetSslTargetNameOverride(config.llm_tls_server_name);
  }
  return std::unique_ptr<LlmClient>(new LlmClient(
      config.llm_service, grpc::CreateCustomChannel(config.llm_service, *credentials, args),
      std::move(authorization)));
}

LlmClient::LlmClient(const std::string& target)
    : LlmClient(
          target,
          grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), ChannelArgs()),
          "") {}

LlmClient::LlmClient(std::string target, std::shared_ptr<grpc::Channel> channel,
                     std::string authorization)
    : channel_(std::move(channel)),
      stub_{ReplyStub{decltype(ReplyStub::generic)(channel_), authorization}},
      reachability_(std::move(target), channel_, std::move(authorization)),
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
    reachability_.OnChannelState(state);
    channel_->WaitForStateChange(state, std::chrono::system_clock::now() + kMaxWait);
    // try_to_connect: an idle channel (after llm-service went away) reconnects by itself,
    // so readiness reflects whether llm-service can be reached now.
    state = channel_->GetState(/*try_to_connect=*/true);
  }
}

}  // namespace streamgate::gateway
