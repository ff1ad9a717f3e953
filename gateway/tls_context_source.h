#pragma once

#include <boost/asio/ssl/context.hpp>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"

namespace streamgate::gateway {

// The TLS server settings for wss://: the certificate chain and key from --tls-cert and
// --tls-key, TLS 1.2 and 1.3 only, forward-secret AEAD cipher suites, no compression, no
// renegotiation, and OpenSSL's read/write buffers released while a connection is idle
// (SSL_MODE_RELEASE_BUFFERS), since idle connections are the many.
//
// Reload (SIGHUP) reads the files again into a new context for new connections; running
// connections keep the context they were made with (TransportStream holds a reference),
// so none is dropped. A reload that fails keeps the current context.
//
// Owned by main; Current from any thread (accept), Reload from main's thread.
class TlsContextSource {
 public:
  static absl::StatusOr<std::unique_ptr<TlsContextSource>> Create(std::string cert_file,
                                                                  std::string key_file);

  std::shared_ptr<boost::asio::ssl::context> Current() const;
  absl::Status Reload();

 private:
  TlsContextSource(std::string cert_file, std::string key_file)
      : cert_file_(std::move(cert_file)), key_file_(std::move(key_file)) {}
  absl::StatusOr<std::shared_ptr<boost::asio::ssl::context>> Build() const;

  const std::string cert_file_;
  const std::string key_file_;
  mutable absl::Mutex mu_;
  std::shared_ptr<boost::asio::ssl::context> current_ ABSL_GUARDED_BY(mu_);
};

}  // namespace streamgate::gateway
