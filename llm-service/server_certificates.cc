#include "llm-service/server_certificates.h"

#include <utility>

#include "common/pem_files.h"
#include "common/status_util.h"

namespace streamgate::llm {

absl::StatusOr<ServerCertificates::Pem> ServerCertificates::Read(const TlsFiles& files) {
  Pem pem;
  auto cert = common::ReadConfigFile("--tls-cert", files.cert);
  if (!cert.ok()) return cert.status();
  auto key = common::ReadConfigFile("--tls-key", files.key);
  if (!key.ok()) return key.status();
  pem.cert_chain = *std::move(cert);
  pem.key = *std::move(key);
  SG_RETURN_IF_ERROR(common::CheckKeyPairPem("--tls-cert", files.cert, pem.cert_chain, "--tls-key",
                                             files.key, pem.key));
  if (!files.client_ca.empty()) {
    auto ca = common::ReadConfigFile("--tls-client-ca", files.client_ca);
    if (!ca.ok()) return ca.status();
    pem.client_ca = *std::move(ca);
    SG_RETURN_IF_ERROR(
        common::CheckCertificatePem("--tls-client-ca", files.client_ca, pem.client_ca));
  }
  return pem;
}

absl::StatusOr<std::shared_ptr<ServerCertificates>> ServerCertificates::Load(TlsFiles files) {
  std::shared_ptr<ServerCertificates> certificates(new ServerCertificates(std::move(files)));
  if (absl::Status loaded = certificates->Reload(); !loaded.ok()) return loaded;
  return certificates;
}

absl::Status ServerCertificates::Reload() {
  auto pem = Read(files_);
  if (!pem.ok()) return pem.status();
  absl::MutexLock lock(&mu_);
  pem_ = *std::move(pem);
  ++generation_;
  return absl::OkStatus();
}

grpc_ssl_certificate_config_reload_status ServerCertificates::Fetch(
    grpc_ssl_server_certificate_config** config) {
  absl::MutexLock lock(&mu_);
  if (fetched_generation_ == generation_) return GRPC_SSL_CERTIFICATE_CONFIG_RELOAD_UNCHANGED;
  fetched_generation_ = generation_;
  grpc_ssl_pem_key_cert_pair pair{pem_.key.c_str(), pem_.cert_chain.c_str()};
  // gRPC 1.51 asserts that a fetched config has client roots even when no client
  // certificate is requested; without --tls-client-ca the server's own chain stands in. It
  // is never used: the handshake then asks the client for no certificate.
  const std::string& roots = requires_client_certificate() ? pem_.client_ca : pem_.cert_chain;
  // Copies the strings, so they need not outlive this call.
  *config = grpc_ssl_server_certificate_config_create(roots.c_str(), &pair, 1);
  return GRPC_SSL_CERTIFICATE_CONFIG_RELOAD_NEW;
}

}  // namespace streamgate::llm
