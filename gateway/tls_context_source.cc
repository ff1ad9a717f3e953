#include "gateway/tls_context_source.h"

#include <openssl/ssl.h>

#include "absl/strings/str_cat.h"

namespace streamgate::gateway {

namespace ssl = boost::asio::ssl;

namespace {

// Mozilla's "intermediate" TLS 1.2 suites (TLS 1.3 keeps OpenSSL's defaults, all AEAD).
constexpr char kTls12Ciphers[] =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

}  // namespace

absl::StatusOr<std::unique_ptr<TlsContextSource>> TlsContextSource::Create(std::string cert_file,
                                                                           std::string key_file) {
  std::unique_ptr<TlsContextSource> source(
      new TlsContextSource(std::move(cert_file), std::move(key_file)));
  if (absl::Status loaded = source->Reload(); !loaded.ok()) return loaded;
  return source;
}

std::shared_ptr<ssl::context> TlsContextSource::Current() const {
  absl::MutexLock lock(&mu_);
  return current_;
}

absl::Status TlsContextSource::Reload() {
  auto built = Build();
  if (!built.ok()) return built.status();
  absl::MutexLock lock(&mu_);
  current_ = *std::move(built);
  return absl::OkStatus();
}

absl::StatusOr<std::shared_ptr<ssl::context>> TlsContextSource::Build() const {
  auto context = std::make_shared<ssl::context>(ssl::context::tls_server);
  SSL_CTX* native = context->native_handle();
  boost::system::error_code ec;
  context->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                           ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                           ssl::context::no_tlsv1_1 | ssl::context::no_compression |
                           ssl::context::single_dh_use,
                       ec);
  SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION);
  SSL_CTX_set_options(native, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  SSL_CTX_set_mode(native, SSL_MODE_RELEASE_BUFFERS);
  if (SSL_CTX_set_cipher_list(native, kTls12Ciphers) != 1) {
    return absl::InternalError("TLS: the cipher list was refused");
  }
  // Clients resume with TLS 1.3 tickets; a small stateful cache covers TLS 1.2.
  SSL_CTX_sess_set_cache_size(native, 1024);
  context->use_certificate_chain_file(cert_file_, ec);
  if (ec) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--tls-cert ", cert_file_, ": cannot load the certificate chain (", ec.message(), ")"));
  }
  context->use_private_key_file(key_file_, ssl::context::pem, ec);
  if (ec) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--tls-key ", key_file_, ": cannot load the private key (", ec.message(), ")"));
  }
  if (SSL_CTX_check_private_key(native) != 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("--tls-key ", key_file_, " does not belong to --tls-cert ", cert_file_));
  }
  return context;
}

}  // namespace streamgate::gateway
