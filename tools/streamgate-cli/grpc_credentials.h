#pragma once

#include <grpcpp/security/credentials.h>

#include <memory>

#include "absl/status/statusor.h"
#include "tools/streamgate-cli/cli_config.h"

namespace streamgate::cli {

// The channel credentials for --grpc and --grpc-health: plaintext, or TLS (--grpc-tls or
// --tls-ca) trusting --tls-ca (else the system's CAs) and presenting --tls-cert/--tls-key
// when given (mTLS). The files are read here; a missing one is an error naming it.
absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> GrpcChannelCredentials(
    const CliConfig& config);

}  // namespace streamgate::cli
