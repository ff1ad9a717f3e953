#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "absl/time/time.h"
#include "gateway/auth/jwt/jwt_key_set.h"

namespace streamgate::gateway::jwt {

// What a token must claim besides a valid signature. Built once from the gateway config.
struct Policy {
  std::string issuer;    // `iss` must equal this; empty: iss is not checked
  std::string audience;  // `aud` must be or contain this; empty: aud is not checked
  // Clock skew allowed on exp and nbf; a negative value counts as zero.
  absl::Duration leeway = absl::Seconds(30);
};

// What a verified token says, for the session it admits.
struct Claims {
  std::string subject;  // `sub`: 1-256 printable ASCII characters, safe for logs and map keys
  std::string kid;      // the configured key that verified it (also when the token had no kid)
  absl::Time expires;   // `exp`, without the leeway
};

// Why a token was refused; see docs/jwt.md for which check yields which.
enum class Failure {
  kNone,
  kTooLong,            // longer than kMaxTokenBytes; nothing else was looked at
  kMalformed,          // not a compact JWS with JSON object header and payload we support
  kUnknownKey,         // kid not configured, or no kid while several keys are
  kAlgorithmMismatch,  // header alg is not the key's configured algorithm
  kBadSignature,
  kExpired,
  kNotYetValid,
  kWrongIssuer,
  kWrongAudience,
  kMissingClaim,  // a claim the policy needs is absent or not of its required type or form
};

// "none", "too_long", "malformed", "unknown_key", "algorithm_mismatch", "bad_signature",
// "expired", "not_yet_valid", "wrong_issuer", "wrong_audience", "missing_claim".
std::string_view FailureName(Failure failure);

struct Result {
  std::optional<Claims> claims;  // set exactly when failure == kNone
  Failure failure = Failure::kNone;
  // For the log line: fixed text naming the check that failed. Never holds any part of the
  // token nor any string taken from it (kid, iss, aud, ...).
  std::string detail;

  bool ok() const { return claims.has_value(); }
};

// Longer tokens are refused before any parsing: a browser's upgrade request carries the
// token, and a JWT with a few claims is well under 1 KiB.
inline constexpr size_t kMaxTokenBytes = 8 * 1024;

// Verifies a compact JWS (RFC 7515) JWT (RFC 7519) against `keys` and `policy` at `now`. The
// key is chosen by the header's kid and brings its own algorithm; the header's alg must name
// that same algorithm, so a token can never choose how it is checked. Pure function of its
// arguments: safe to call from any number of threads on the same KeySet.
Result Verify(std::string_view token, const KeySet& keys, const Policy& policy, absl::Time now);

}  // namespace streamgate::gateway::jwt
