#pragma once

#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "gateway/auth/jwt/verification_key.h"

namespace streamgate::gateway::jwt {

// Reads a PEM bundle, the format KeySet::Parse picks when the text does not start with '{':
//
//   # any comment line that does not start with "kid="
//   # kid=main-2026 alg=RS256
//   -----BEGIN PUBLIC KEY-----
//   ...SubjectPublicKeyInfo, base64...
//   -----END PUBLIC KEY-----
//
// Each block is immediately preceded (blank lines and comments aside) by its label line,
// `# kid=<kid> alg=<RS256|ES256>`; nothing else may stand outside a block. HS256 secrets are
// not PEM and are configured only through JWKS. At least one key. Errors are InvalidArgument
// "<source>: line <n>: <what>" and never quote the file. Stateless.
absl::StatusOr<std::vector<VerificationKey>> ReadPemBundle(std::string_view text,
                                                           std::string_view source);

}  // namespace streamgate::gateway::jwt
