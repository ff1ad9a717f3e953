#include "common/pem_files.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <fstream>
#include <memory>
#include <sstream>

#include "absl/strings/str_cat.h"

namespace streamgate::common {
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

int NoPassphrase(char*, int, int, void*) { return 0; }

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

// OpenSSL queues an error per failed parse; leave none behind for the TLS code that runs
// next on this thread.
struct ClearErrors {
  ~ClearErrors() { ERR_clear_error(); }
};

}  // namespace

absl::StatusOr<std::string> ReadConfigFile(const std::string& flag, const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat(flag, ": cannot read ", path));
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

absl::Status CheckCertificatePem(const std::string& flag, const std::string& path,
                                 const std::string& pem) {
  ClearErrors clear;
  if (FirstCertificate(pem) == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(flag, ": ", path, " holds no PEM certificate"));
  }
  return absl::OkStatus();
}

absl::Status CheckKeyPairPem(const std::string& cert_flag, const std::string& cert_path,
                             const std::string& cert_pem, const std::string& key_flag,
                             const std::string& key_path, const std::string& key_pem) {
  ClearErrors clear;
  auto leaf = FirstCertificate(cert_pem);
  if (leaf == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat(cert_flag, ": ", cert_path, " holds no PEM certificate"));
  }
  auto key = PrivateKey(key_pem);
  if (key == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat(key_flag, ": ", key_path, " holds no unencrypted PEM private key"));
  }
  if (X509_check_private_key(leaf.get(), key.get()) != 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        key_flag, ": ", key_path, " is not the key of the certificate in ", cert_path));
  }
  return absl::OkStatus();
}

}  // namespace streamgate::common
