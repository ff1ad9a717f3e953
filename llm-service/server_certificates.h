#pragma once

#include <grpc/grpc_security.h>

#include <cstdint>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"

namespace streamgate::llm {

// Paths of the PEM files llm-service serves TLS with.
struct TlsFiles {
  std::string cert;       // certificate chain, leaf first
  std::string key;        // private key of the leaf
  std::string client_ca;  // empty: no client certificate asked for; else mTLS with this CA
};

// The certificate, key and client CA llm-service's TLS port presents and trusts. Read and
// checked at startup (the chain parses, the key is the leaf's, the CA parses) and again on
// every Reload; a reload that fails any check keeps what was loaded. gRPC picks the new
// files up on its next TLS handshake through the SSL certificate-config fetcher (Fetch), so
// connections open already keep the certificate they were made with.
//
// Shared (shared_ptr) by the server credentials, whose fetcher gRPC calls on its handshake
// threads, and by main, which calls Reload on SIGHUP. Thread-safe (mu_).
class ServerCertificates {
 public:
  static absl::StatusOr<std::shared_ptr<ServerCertificates>> Load(TlsFiles files);

  // Re-reads the files. On error the old ones stay in use and the status says what is wrong
  // (file and check, never file contents).
  absl::Status Reload();

  bool requires_client_certificate() const { return !files_.client_ca.empty(); }

  // The fetcher's answer: a new config when the files were (re)loaded since the last fetch,
  // else UNCHANGED. gRPC owns *config afterwards. One listening port fetches from this.
  grpc_ssl_certificate_config_reload_status Fetch(grpc_ssl_server_certificate_config** config);

 private:
  struct Pem {
    std::string cert_chain;
    std::string key;
    std::string client_ca;
  };

  explicit ServerCertificates(TlsFiles files) : files_(std::move(files)) {}
  static absl::StatusOr<Pem> Read(const TlsFiles& files);

  const TlsFiles files_;
  absl::Mutex mu_;
  Pem pem_ ABSL_GUARDED_BY(mu_);
  // Bumped by every successful load; Fetch hands out a config when it moved.
  uint64_t generation_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t fetched_generation_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace streamgate::llm
