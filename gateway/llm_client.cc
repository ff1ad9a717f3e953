#include "gateway/llm_client.h"

#include <grpcpp/security/tls_certificate_provider.h>
#include <grpcpp/security/tls_credentials_options.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

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

absl::StatusOr<std::string> ReadFile(const std::string& flag, const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat(flag, ": cannot read ", path));
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// Never prompts: an encrypted key is refused instead of asking a terminal for a passphrase.
int NoPassphrase(char*, int, int, void*) { return 0; }

struct Pem {
  explicit Pem(const std::string& text)
      : bio(BIO_new_mem_buf(text.data(), static_cast<int>(text.size()))) {}
  ~Pem() {
    BIO_free(bio);
    // OpenSSL queues an error per failed parse; leave none behind for gRPC's TLS code.
    ERR_clear_error();
  }
  BIO* bio;
};

bool HoldsCertificate(const std::string& text) {
  Pem pem(text);
  X509* cert = PEM_read_bio_X509(pem.bio, nullptr, NoPassphrase, nullptr);
  X509_free(cert);
  return cert != nullptr;
}

// gRPC would only find these out in a handshake, and then keep failing it; the gateway
// refuses to start instead.
absl::Status CheckTlsFiles(const GatewayConfig& config) {
  auto ca = ReadFile("--llm-tls-ca", config.llm_tls_ca);
  if (!ca.ok()) return ca.status();
  if (!HoldsCertificate(*ca)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--llm-tls-ca: ", config.llm_tls_ca, " holds no PEM certificate"));
  }
  if (config.llm_tls_cert.empty()) return absl::OkStatus();
  auto cert_text = ReadFile("--llm-tls-cert", config.llm_tls_cert);
  if (!cert_text.ok()) return cert_text.status();
  auto key_text = ReadFile("--llm-tls-key", config.llm_tls_key);
  if (!key_text.ok()) return key_text.status();
  Pem cert_pem(*cert_text), key_pem(*key_text);
  X509* cert = PEM_read_bio_X509(cert_pem.bio, nullptr, NoPassphrase, nullptr);
  EVP_PKEY* key = PEM_read_bio_PrivateKey(key_pem.bio, nullptr, NoPassphrase, nullptr);
  absl::Status status;
  if (cert == nullptr) {
    status = absl::InvalidArgumentError(
        absl::StrCat("--llm-tls-cert: ", config.llm_tls_cert, " holds no PEM certificate"));
  } else if (key == nullptr) {
    status = absl::InvalidArgumentError(absl::StrCat("--llm-tls-key: ", config.llm_tls_key,
                                                     " holds no unencrypted PEM private key"));
  } else if (X509_check_private_key(cert, key) != 1) {
    status = absl::InvalidArgumentError(absl::StrCat("--llm-tls-key: ", config.llm_tls_key,
                                                     " is not the key of the certificate in ",
                                                     config.llm_tls_cert));
  }
  X509_free(cert);
  EVP_PKEY_free(key);
  return status;
}

// The token as metadata: "Bearer <token>". gRPC sends only printable ASCII in a metadata
// value, so anything else is refused here rather than failing every call.
absl::StatusOr<std::string> ReadAuthorization(const std::string& path) {
  auto text = ReadFile("--llm-token-file", path);
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
      grpc::CreateCustomChannel(config.llm_service, *credentials, args), std::move(authorization)));
}

LlmClient::LlmClient(const std::string& target)
    : LlmClient(
          grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), ChannelArgs()),
          "") {}

LlmClient::LlmClient(std::shared_ptr<grpc::Channel> channel, std::string authorization)
    : channel_(std::move(channel)),
      stub_{ReplyStub{decltype(ReplyStub::generic)(channel_), std::move(authorization)}},
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
