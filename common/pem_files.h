#pragma once

#include <string>

#include "absl/status/statusor.h"

namespace streamgate::common {

// Reading the PEM files TLS is configured with, checked at start and on reload: TLS stacks
// (gRPC's, OpenSSL's) find a bad file only at the next handshake and then keep failing it,
// so both binaries refuse it up front instead. Every message names the flag and the path,
// never a file's content. Encrypted keys are refused (nothing prompts for a passphrase).

// The whole content of `path`; NotFound naming `flag` when it cannot be read.
absl::StatusOr<std::string> ReadConfigFile(const std::string& flag, const std::string& path);

// InvalidArgument unless `pem` holds a certificate (the first of a chain is checked).
absl::Status CheckCertificatePem(const std::string& flag, const std::string& path,
                                 const std::string& pem);

// InvalidArgument unless `key_pem` is an unencrypted private key of the first certificate
// in `cert_pem`.
absl::Status CheckKeyPairPem(const std::string& cert_flag, const std::string& cert_path,
                             const std::string& cert_pem, const std::string& key_flag,
                             const std::string& key_path, const std::string& key_pem);

}  // namespace streamgate::common
