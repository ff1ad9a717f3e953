#pragma once

#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "gateway/auth/jwt/verification_key.h"

namespace streamgate::gateway::jwt {

// Reads a JWKS document (RFC 7517 section 5), the format KeySet::Parse picks when the text
// starts with '{'. Every key needs a unique valid `kid` and an `alg` (HS256, RS256, ES256),
// a `kty` that fits it (oct + k, RSA + n/e, EC + crv P-256 + x/y), `use` "sig" if present and
// `key_ops` containing "verify" if present; private members are refused. At least one key.
// Errors are InvalidArgument "<source>: keys[<i>] (kid <kid>): <what>"; the kid is named only
// once it is known to be valid, and key material is never quoted. Stateless.
absl::StatusOr<std::vector<VerificationKey>> ReadJwks(std::string_view text,
                                                      std::string_view source);

}  // namespace streamgate::gateway::jwt
