#pragma once

#include <openssl/types.h>

#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace streamgate::gateway::jwt {

// The JWS algorithms the gateway verifies (RFC 7518 section 3.1). Each key is configured with
// exactly one of them; a token's header never chooses it.
enum class Algorithm { kHs256, kRs256, kEs256 };

// "HS256", "RS256", "ES256": the JWS spelling, which is also the key-file spelling.
std::string_view AlgorithmName(Algorithm algorithm);
// The algorithm spelled exactly (case-sensitive) as in AlgorithmName; false for anything else,
// including "none".
bool ParseAlgorithm(std::string_view name, Algorithm* algorithm);

// Kids are 1-128 printable ASCII characters (0x21-0x7e): they appear in log lines and in the
// PEM bundle's label lines, so they hold no spaces or control characters.
inline constexpr size_t kMaxKidBytes = 128;
bool IsValidKid(std::string_view kid);

// HS256 secrets shorter than this are refused: RFC 7518 section 3.2 asks for a key at least
// as long as the hash output.
inline constexpr size_t kMinHmacSecretBytes = 32;
inline constexpr int kMinRsaBits = 2048;

// One verification key: its kid, its one algorithm, and its key material (an HMAC secret,
// or a public EVP_PKEY owned here and freed in the destructor). Built once while a KeySet is
// loaded and never changed afterwards, so any number of threads may call VerifySignature at
// once (every call uses its own EVP_MD_CTX; OpenSSL 3 allows shared read-only EVP_PKEYs).
class VerificationKey {
 public:
  // An HS256 key. InvalidArgument (without the secret) when it is shorter than
  // kMinHmacSecretBytes.
  static absl::StatusOr<VerificationKey> FromHmacSecret(std::string kid, std::string secret);
  // An RS256 or ES256 key; takes ownership of `public_key` in every case. InvalidArgument
  // when the key does not fit the algorithm: RSA (not RSA-PSS) of at least kMinRsaBits for
  // RS256, EC on the named curve P-256 for ES256; a key that fails OpenSSL's public-key check;
  // or a key that holds private material.
  static absl::StatusOr<VerificationKey> FromPublicKey(std::string kid, Algorithm algorithm,
                                                       EVP_PKEY* public_key);

  VerificationKey(VerificationKey&&) noexcept;
  VerificationKey& operator=(VerificationKey&&) noexcept;
  ~VerificationKey();

  const std::string& kid() const { return kid_; }
  Algorithm algorithm() const { return algorithm_; }

  // Whether `signature` (the decoded third JWS segment) signs `signing_input` (the first two
  // segments and their dot) under this key's algorithm. ES256 signatures must be the raw
  // 64-byte r||s of RFC 7518 section 3.4; a DER-encoded ECDSA signature is refused.
  bool VerifySignature(std::string_view signing_input, std::string_view signature) const;

 private:
  struct PkeyFree {
    void operator()(EVP_PKEY* key) const;
  };
  VerificationKey(std::string kid, Algorithm algorithm, std::string secret,
                  std::unique_ptr<EVP_PKEY, PkeyFree> public_key);

  bool VerifyWithPublicKey(std::string_view signing_input, std::string_view der_or_rsa) const;

  std::string kid_;
  Algorithm algorithm_;
  std::string secret_;                              // HS256 only; wiped on destruction
  std::unique_ptr<EVP_PKEY, PkeyFree> public_key_;  // RS256 and ES256 only
};

}  // namespace streamgate::gateway::jwt
