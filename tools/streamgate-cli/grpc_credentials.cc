#include "tools/streamgate-cli/grpc_credentials.h"

#include <fstream>
#include <sstream>

namespace streamgate::cli {
namespace {

absl::StatusOr<std::string> ReadFile(const std::string& flag, const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::InvalidArgumentError(flag + ": cannot read " + path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> GrpcChannelCredentials(
    const CliConfig& config) {
  if (!config.grpc_tls && config.tls_ca.empty()) return grpc::InsecureChannelCredentials();
  grpc::SslCredentialsOptions options;
  if (!config.tls_ca.empty()) {
    auto ca = ReadFile("--tls-ca", config.tls_ca);
    if (!ca.ok()) return ca.status();
    options.pem_root_certs = *std::move(ca);
  }
  if (!config.tls_cert.empty()) {
    auto cert = ReadFile("--tls-cert", config.tls_cert);
    if (!cert.ok()) return cert.status();
    auto key = ReadFile("--tls-key", config.tls_key);
    if (!key.ok()) return key.status();
    options.pem_cert_chain = *std::move(cert);
    options.pem_private_key = *std::move(key);
  }
  return grpc::SslCredentials(options);
}

}  // namespace streamgate::cli
