#include "llm-service/server_certificates.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <fstream>
#include <sstream>
#include <utility>

#include "absl/strings/str_cat.h"

namespace streamgate::llm {
namespace {

struct BioFree {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
struct X509Free {
  void operator()(X509* cert) const { X509_free(cert); }
};
struct PkeyFree {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};

// Never prompts: an encrypted key is refused instead of asking a terminal for a passphrase.
int NoPassphrase(char*, int, int, void*) { return 0; }

absl::StatusOr<std::string> ReadFile(const std::string& flag, const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat(flag, ": cannot read ", path));
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::unique_ptr<X509, X509Free> FirstCertificate(const std::string& pem) {
  std::unique_ptr<BIO, BioFree> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  return std::unique_ptr<X509, X509Free>(
      PEM_read_bio_X509(bio.get(), nullptr, NoPassphrase, nullptr));
}

std::unique_ptr<EVP_PKEY, PkeyFree> PrivateKey(const std::string& pem) {
  std::unique_ptr<BIO, BioFree> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  return std::unique_ptr<EVP_PKEY, PkeyFree>(
      PEM_read_bio_PrivateKey(bio.get(), nullptr, NoPassphrase, nullptr));
}

}  // namespace

absl::StatusOr<ServerCertificates::Pem> ServerCertificates::Read(const TlsFiles& files) {
  Pem pem;
  auto cert = ReadFile("--tls-cert", files.cert);
  if (!cert.ok()) return cert.status();
  auto key = ReadFile("--tls-key", files.key);
  if (!key.ok()) return key.status();
  pem.cert_chain = *std::move(cert);
  pem.key = *std::move(key);
  // Checked here because gRPC would only find out at the next handshake, and then fail it.
  auto leaf = FirstCertificate(pem.cert_chain);
  auto private_key = PrivateKey(pem.key);
  absl::Status status;
  if (leaf == nullptr) {
    status = absl::InvalidArgumentError(
        absl::StrCat("--tls-cert: ", files.cert, " holds no PEM certificate"));
  } else if (private_key == nullptr) {
    status = absl::InvalidArgumentError(
        absl::StrCat("--tls-key: ", files.key, " holds no unencrypted PEM private key"));
  } else if (X509_check_private_key(leaf.get(), private_key.get()) != 1) {
    status = absl::InvalidArgumentError(absl::StrCat(
        "--tls-key: ", files.key, " is not the key of the certificate in ", files.cert));
  }
  if (status.ok() && !files.client_ca.empty()) {
    auto ca = ReadFile("--tls-client-ca", files.client_ca);
    if (!ca.ok()) return ca.status();
    pem.client_ca = *std::move(ca);
    if (FirstCertificate(pem.client_ca) == nullptr) {
      status = absl::InvalidArgumentError(
          absl::StrCat("--tls-client-ca: ", files.client_ca, " holds no PEM certificate"));
    }
  }
  // OpenSSL queues an error per failed parse; leave none behind for gRPC's TLS code.
  ERR_clear_error();
  if (!status.ok()) return status;
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
