#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "common/lean_tls_stream.h"

namespace streamgate::cli {

// The client side of wss:// and https://: TLS 1.2 or later, the server's certificate
// checked against `ca_file` (PEM) or, when empty, the system's trusted CAs, and its name
// against `host`. Immutable once made; used on the io thread.
absl::StatusOr<std::shared_ptr<boost::asio::ssl::context>> MakeClientTlsContext(
    const std::string& ca_file, const std::string& host);

// Sets SNI on a stream about to shake hands, so a server with several names picks the right
// certificate.
void SetServerName(common::LeanTlsStream& stream, const std::string& host);

}  // namespace streamgate::cli
