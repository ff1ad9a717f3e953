#include "gateway/auth/jwt/verification_key.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/sha256.h"

namespace streamgate::gateway::jwt {
namespace {

// ES256 signatures are two 32-byte big-endian integers, r then s (RFC 7518 section 3.4).
constexpr size_t kEs256CoordinateBytes = 32;

struct PkeyCtxFree {
  void operator()(EVP_PKEY_CTX* ctx) const { EVP_PKEY_CTX_free(ctx); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};
struct EcdsaSigFree {
  void operator()(ECDSA_SIG* sig) const { ECDSA_SIG_free(sig); }
};

absl::Status KeyError(std::string_view what) {
  return absl::InvalidArgumentError(absl::string_view(what.data(), what.size()));
}

bool PassesPublicKeyCheck(EVP_PKEY* key) {
  std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree> ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, key, nullptr));
  bool ok = ctx != nullptr && EVP_PKEY_public_check(ctx.get()) == 1;
  ERR_clear_error();
  return ok;
}

// SP 800-56B / FIPS 186-5 bound the RSA public exponent to an odd 2^16 < e < 2^256.
// OpenSSL 3.0's public-key check outside FIPS mode does not, and e = 3 keys invite the
// sloppy-padding forgeries that a strict verifier should not need to think about.
bool HasStandardRsaExponent(EVP_PKEY* key) {
  BIGNUM* e = nullptr;
  bool ok = EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_E, &e) == 1 && BN_is_odd(e) &&
            BN_num_bits(e) > 16 && BN_num_bits(e) <= 256;
  BN_free(e);
  ERR_clear_error();
  return ok;
}

bool IsP256(EVP_PKEY* key) {
  char name[64] = {};
  size_t length = 0;
  bool ok = EVP_PKEY_get_group_name(key, name, sizeof(name), &length) == 1 &&
            std::string_view(name, length) == "prime256v1";
  ERR_clear_error();
  return ok;
}

// The DER ECDSA-Sig-Value for a raw r||s; empty when OpenSSL cannot build it.
std::string DerFromRawEcdsa(std::string_view raw) {
  std::unique_ptr<ECDSA_SIG, EcdsaSigFree> sig(ECDSA_SIG_new());
  if (sig == nullptr) return {};
  const auto* bytes = reinterpret_cast<const unsigned char*>(raw.data());
  BIGNUM* r = BN_bin2bn(bytes, kEs256CoordinateBytes, nullptr);
  BIGNUM* s = BN_bin2bn(bytes + kEs256CoordinateBytes, kEs256CoordinateBytes, nullptr);
  if (r == nullptr || s == nullptr || ECDSA_SIG_set0(sig.get(), r, s) != 1) {
    BN_free(r);
    BN_free(s);
    return {};
  }
  int size = i2d_ECDSA_SIG(sig.get(), nullptr);
  if (size <= 0) return {};
  std::string der(static_cast<size_t>(size), '\0');
  auto* out = reinterpret_cast<unsigned char*>(der.data());
  if (i2d_ECDSA_SIG(sig.get(), &out) != size) return {};
  return der;
}

}  // namespace

std::string_view AlgorithmName(Algorithm algorithm) {
  switch (algorithm) {
    case Algorithm::kHs256:
      return "HS256";
    case Algorithm::kRs256:
      return "RS256";
    case Algorithm::kEs256:
      return "ES256";
  }
  return "unknown";
}

bool ParseAlgorithm(std::string_view name, Algorithm* algorithm) {
  for (Algorithm candidate : {Algorithm::kHs256, Algorithm::kRs256, Algorithm::kEs256}) {
    if (name == AlgorithmName(candidate)) {
      *algorithm = candidate;
      return true;
    }
  }
  return false;
}

bool IsValidKid(std::string_view kid) {
  if (kid.empty() || kid.size() > kMaxKidBytes) return false;
  for (char c : kid) {
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
}

void VerificationKey::PkeyFree::operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }

VerificationKey::VerificationKey(std::string kid, Algorithm algorithm, std::string secret,
                                 std::unique_ptr<EVP_PKEY, PkeyFree> public_key)
    : kid_(std::move(kid)),
      algorithm_(algorithm),
      secret_(std::move(secret)),
      public_key_(std::move(public_key)) {}

VerificationKey::VerificationKey(VerificationKey&& other) noexcept
    : kid_(std::move(other.kid_)),
      algorithm_(other.algorithm_),
      secret_(std::move(other.secret_)),
      public_key_(std::move(other.public_key_)) {}

VerificationKey& VerificationKey::operator=(VerificationKey&& other) noexcept {
  if (this != &other) {
    OPENSSL_cleanse(secret_.data(), secret_.size());
    kid_ = std::move(other.kid_);
    algorithm_ = other.algorithm_;
    secret_ = std::move(other.secret_);
    public_key_ = std::move(other.public_key_);
  }
  return *this;
}

VerificationKey::~VerificationKey() { OPENSSL_cleanse(secret_.data(), secret_.size()); }

absl::StatusOr<VerificationKey> VerificationKey::FromHmacSecret(std::string kid,
                                                                std::string secret) {
  if (secret.size() < kMinHmacSecretBytes) {
    OPENSSL_cleanse(secret.data(), secret.size());
    return KeyError(
        absl::StrCat("an HS256 secret must be at least ", kMinHmacSecretBytes, " bytes"));
  }
  return VerificationKey(std::move(kid), Algorithm::kHs256, std::move(secret), nullptr);
}

absl::StatusOr<VerificationKey> VerificationKey::FromPublicKey(std::string kid, Algorithm algorithm,
                                                               EVP_PKEY* public_key) {
  std::unique_ptr<EVP_PKEY, PkeyFree> key(public_key);
  if (key == nullptr) return KeyError("no public key");
  switch (algorithm) {
    case Algorithm::kHs256:
      return KeyError("HS256 takes a secret, not a public key");
    case Algorithm::kRs256:
      // "RSA" only: an RSA-PSS key (its own OpenSSL type) is bound to a different scheme.
      if (!EVP_PKEY_is_a(key.get(), "RSA")) return KeyError("RS256 needs an RSA key");
      if (EVP_PKEY_get_bits(key.get()) < kMinRsaBits) {
        return KeyError(absl::StrCat("an RS256 key must have at least ", kMinRsaBits, " bits"));
      }
      if (!HasStandardRsaExponent(key.get())) {
        return KeyError("the RSA exponent e must be odd and between 2^16 and 2^256");
      }
      break;
    case Algorithm::kEs256:
      if (!EVP_PKEY_is_a(key.get(), "EC") || !IsP256(key.get())) {
        return KeyError("ES256 needs an EC key on the named curve P-256");
      }
      break;
  }
  if (!PassesPublicKeyCheck(key.get())) return KeyError("the public key is not valid");
  return VerificationKey(std::move(kid), algorithm, std::string(), std::move(key));
}

bool VerificationKey::VerifySignature(std::string_view signing_input,
                                      std::string_view signature) const {
  switch (algorithm_) {
    case Algorithm::kHs256:
      return common::ConstantTimeEquals(common::HmacSha256(secret_, signing_input), signature);
    case Algorithm::kRs256:
      // An RSA signature is exactly the modulus length (RFC 8017 section 8.2.2).
      if (signature.size() != static_cast<size_t>(EVP_PKEY_get_size(public_key_.get()))) {
        return false;
      }
      return VerifyWithPublicKey(signing_input, signature);
    case Algorithm::kEs256: {
      // Only the fixed-size JWS form; this also refuses a DER signature, whose length is
      // 70-72 bytes.
      if (signature.size() != 2 * kEs256CoordinateBytes) return false;
      std::string der = DerFromRawEcdsa(signature);
      return !der.empty() && VerifyWithPublicKey(signing_input, der);
    }
  }
  return false;
}

bool VerificationKey::VerifyWithPublicKey(std::string_view signing_input,
                                          std::string_view der_or_rsa) const {
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pkey_ctx = nullptr;  // owned by ctx
  bool ok =
      ctx != nullptr &&
      EVP_DigestVerifyInit(ctx.get(), &pkey_ctx, EVP_sha256(), nullptr, public_key_.get()) == 1 &&
      (algorithm_ != Algorithm::kRs256 ||
       EVP_PKEY_CTX_set_rsa_padding(pkey_ctx, RSA_PKCS1_PADDING) == 1) &&
      EVP_DigestVerify(
          ctx.get(), reinterpret_cast<const unsigned char*>(der_or_rsa.data()), der_or_rsa.size(),
          reinterpret_cast<const unsigned char*>(signing_input.data()), signing_input.size()) == 1;
  // A failed check leaves entries on this thread's OpenSSL error queue; nothing reads them.
  ERR_clear_error();
  return ok;
}

}  // namespace streamgate::gateway::jwt
