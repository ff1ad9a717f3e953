#include "tools/streamgate-cli/tls_client_context.h"

#include <openssl/ssl.h>

#include <boost/asio/ssl/host_name_verification.hpp>

namespace streamgate::cli {

namespace ssl = boost::asio::ssl;

absl::StatusOr<std::shared_ptr<ssl::context>> MakeClientTlsContext(const std::string& ca_file,
                                                                   const std::string& host) {
  auto context = std::make_shared<ssl::context>(ssl::context::tls_client);
  SSL_CTX_set_min_proto_version(context->native_handle(), TLS1_2_VERSION);
  boost::system::error_code ec;
  if (ca_file.empty()) {
    context->set_default_verify_paths(ec);
  } else {
    context->load_verify_file(ca_file, ec);
  }
  if (ec) {
    return absl::InvalidArgumentError("cannot load the CA certificates " +
                                      (ca_file.empty() ? std::string("of the system") : ca_file) +
                                      ": " + ec.message());
  }
  context->set_verify_mode(ssl::verify_peer, ec);
  context->set_verify_callback(ssl::host_name_verification(host), ec);
  return context;
}

void SetServerName(common::LeanTlsStream& stream, const std::string& host) {
  SSL_set_tlsext_host_name(stream.native_handle(), host.c_str());
}

}  // namespace streamgate::cli
