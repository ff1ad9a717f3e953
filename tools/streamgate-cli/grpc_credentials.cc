#include "tools/streamgate-cli/grpc_credentials.h"

#include "common/pem_files.h"

namespace streamgate::cli {

absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> GrpcChannelCredentials(
    const CliConfig& config) {
  if (!config.grpc_tls && config.tls_ca.empty()) return grpc::InsecureChannelCredentials();
  grpc::SslCredentialsOptions options;
  if (!config.tls_ca.empty()) {
    auto ca = common::ReadConfigFile("--tls-ca", config.tls_ca);
    if (!ca.ok()) return ca.status();
    options.pem_root_certs = *std::move(ca);
  }
  if (!config.tls_cert.empty()) {
    auto cert = common::ReadConfigFile("--tls-cert", config.tls_cert);
    if (!cert.ok()) return cert.status();
    auto key = common::ReadConfigFile("--tls-key", config.tls_key);
    if (!key.ok()) return key.status();
    options.pem_cert_chain = *std::move(cert);
    options.pem_private_key = *std::move(key);
  }
  return grpc::SslCredentials(options);
}

}  // namespace streamgate::cli
