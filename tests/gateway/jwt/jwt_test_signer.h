#pragma once

#include <openssl/types.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "gateway/auth/jwt/verification_key.h"

// Test-only: mints JWTs (honest and forged) and writes the key files the gateway loads, for
// the verifier's unit tests and for other suites' end-to-end tests. Keys are generated
// in-process with OpenSSL. Every function is thread-safe; an OpenSSL failure aborts.
namespace streamgate::gateway::jwt::testing {

// A signing key and the kid and algorithm it is configured with. Copies share the key.
struct TestKey {
  std::string kid;
  Algorithm algorithm = Algorithm::kHs256;
  std::shared_ptr<EVP_PKEY> private_key;  // RS256 and ES256
  std::string secret;                     // HS256
};

TestKey MakeRsaKey(std::string kid, int bits = 2048);
// `curve` as OpenSSL names it ("P-256"; another curve only to test that it is refused).
TestKey MakeEcKey(std::string kid, const std::string& curve = "P-256");
TestKey MakeHmacKey(std::string kid, std::string secret);
// Wraps any private key (RSA-PSS, Ed25519, ...) and takes ownership of it.
TestKey WrapPrivateKey(std::string kid, Algorithm algorithm, EVP_PKEY* private_key);

// The public half as a "-----BEGIN PUBLIC KEY-----" (SubjectPublicKeyInfo) PEM block.
std::string PublicKeyPem(const TestKey& key);
// The JWK the verifier should accept for `key`: kid, alg, use "sig", and kty with n/e, crv/x/y
// or (HS256) k. Tests edit it to make bad ones.
nlohmann::json PublicJwk(const TestKey& key);
// {"keys": [PublicJwk(key)...]}, serialized.
std::string JwksFor(const std::vector<TestKey>& keys);
// "# kid=<kid> alg=<alg>" and the PEM block of each key; RS256 and ES256 keys only.
std::string PemBundleFor(const std::vector<TestKey>& keys);
absl::Status WriteFile(const std::string& path, std::string_view text);

// {"alg": <the key's algorithm>, "typ": "JWT", "kid": <the key's kid>}.
nlohmann::json HeaderFor(const TestKey& key);
// {"sub": subject, "iat": now, "exp": now + lifetime} in whole seconds.
nlohmann::json ClaimsFor(std::string_view subject, absl::Time now,
                         absl::Duration lifetime = absl::Minutes(5));

// base64url(compact JSON of `value`), a token segment.
std::string Segment(const nlohmann::json& value);

// How an ES256 signature is written into the token: JWS's raw r||s, or the DER that OpenSSL
// produces (which verifiers must refuse).
enum class EcdsaEncoding { kRawRs, kDer };

// The signature bytes of `signing_input` under the key's own algorithm.
std::string SignatureOf(const TestKey& key, std::string_view signing_input,
                        EcdsaEncoding encoding = EcdsaEncoding::kRawRs);

// "<header>.<payload>.<signature>" signed with the key's own algorithm whatever `header`
// says, so a test can forge a header (alg "none", a lowercase alg, a foreign kid...).
std::string Sign(const TestKey& key, const nlohmann::json& header, const nlohmann::json& payload,
                 EcdsaEncoding encoding = EcdsaEncoding::kRawRs);
// The same for segments given as text, which need not be valid base64url.
std::string SignSegments(const TestKey& key, std::string_view header_segment,
                         std::string_view payload_segment,
                         EcdsaEncoding encoding = EcdsaEncoding::kRawRs);
// An HS256 token under an arbitrary secret: for the key-confusion attack, whose secret is an
// RSA public key's PEM.
std::string SignHs256WithSecret(std::string_view secret, const nlohmann::json& header,
                                const nlohmann::json& payload);

}  // namespace streamgate::gateway::jwt::testing
