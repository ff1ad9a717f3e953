#include "gateway/auth/jwt/jwks_reader.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/base64url.h"
#include "gateway/auth/jwt/strict_json.h"

namespace streamgate::gateway::jwt {
namespace {

using Json = nlohmann::json;

absl::string_view Absl(std::string_view text) {
  return absl::string_view(text.data(), text.size());
}

struct BnFree {
  void operator()(BIGNUM* bn) const { BN_free(bn); }
};
struct ParamBldFree {
  void operator()(OSSL_PARAM_BLD* bld) const { OSSL_PARAM_BLD_free(bld); }
};
struct ParamFree {
  void operator()(OSSL_PARAM* params) const { OSSL_PARAM_free(params); }
};
struct PkeyCtxFree {
  void operator()(EVP_PKEY_CTX* ctx) const { EVP_PKEY_CTX_free(ctx); }
};
using ParamBld = std::unique_ptr<OSSL_PARAM_BLD, ParamBldFree>;

constexpr size_t kP256CoordinateBytes = 32;
// Members that only a private JWK has (RFC 7518 sections 6.2.2 and 6.3.2).
constexpr const char* kPrivateMembers[] = {"d", "p", "q", "dp", "dq", "qi", "oth"};

// The string member `name` of `key`, or null when it is absent or not a string.
const std::string* StringMember(const Json& key, const char* name) {
  auto it = key.find(name);
  if (it == key.end() || !it->is_string()) return nullptr;
  return &it->get_ref<const std::string&>();
}

// The strictly decoded base64url member `name`, or nullopt.
std::optional<std::string> BytesMember(const Json& key, const char* name) {
  const std::string* text = StringMember(key, name);
  if (text == nullptr) return std::nullopt;
  return common::Base64UrlDecode(*text);
}

// A Base64urlUInt (RFC 7518 section 2): non-empty, and without leading zero octets so that
// each integer has one spelling.
bool IsMinimalUnsigned(const std::optional<std::string>& bytes) {
  return bytes.has_value() && !bytes->empty() && (bytes->size() == 1 || (*bytes)[0] != '\0');
}

// Builds a public EVP_PKEY of `type` ("RSA", "EC") from what `bld` holds; null on failure.
EVP_PKEY* PublicKeyFromParams(const char* type, OSSL_PARAM_BLD* bld) {
  std::unique_ptr<OSSL_PARAM, ParamFree> params(OSSL_PARAM_BLD_to_param(bld));
  std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree> ctx(
      EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  EVP_PKEY* key = nullptr;
  if (params == nullptr || ctx == nullptr || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &key, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
    EVP_PKEY_free(key);
    key = nullptr;
  }
  ERR_clear_error();
  return key;
}

EVP_PKEY* RsaKey(const std::string& n, const std::string& e) {
  const auto* n_bytes = reinterpret_cast<const unsigned char*>(n.data());
  const auto* e_bytes = reinterpret_cast<const unsigned char*>(e.data());
  std::unique_ptr<BIGNUM, BnFree> n_bn(BN_bin2bn(n_bytes, static_cast<int>(n.size()), nullptr));
  std::unique_ptr<BIGNUM, BnFree> e_bn(BN_bin2bn(e_bytes, static_cast<int>(e.size()), nullptr));
  ParamBld bld(OSSL_PARAM_BLD_new());
  if (n_bn == nullptr || e_bn == nullptr || bld == nullptr ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, n_bn.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, e_bn.get()) != 1) {
    ERR_clear_error();
    return nullptr;
  }
  return PublicKeyFromParams("RSA", bld.get());
}

EVP_PKEY* P256Key(const std::string& x, const std::string& y) {
  // The uncompressed SEC 1 point, 0x04 || x || y.
  std::string point = absl::StrCat("\x04", x, y);
  ParamBld bld(OSSL_PARAM_BLD_new());
  if (bld == nullptr ||
      OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) !=
          1 ||
      OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                       point.size()) != 1) {
    ERR_clear_error();
    return nullptr;
  }
  return PublicKeyFromParams("EC", bld.get());
}

// Turns the members of one JWK whose kid and alg are already checked into a key; the
// message of an error is the bare reason, the caller adds where.
absl::StatusOr<VerificationKey> KeyFromJwk(const Json& jwk, std::string kid, Algorithm algorithm) {
  const std::string* kty = StringMember(jwk, "kty");
  switch (algorithm) {
    case Algorithm::kHs256: {
      if (kty == nullptr || *kty != "oct") return absl::InvalidArgumentError("HS256 needs kty oct");
      std::optional<std::string> k = BytesMember(jwk, "k");
      if (!k.has_value()) return absl::InvalidArgumentError("k must be base64url (no padding)");
      return VerificationKey::FromHmacSecret(std::move(kid), *std::move(k));
    }
    case Algorithm::kRs256: {
      if (kty == nullptr || *kty != "RSA") return absl::InvalidArgumentError("RS256 needs kty RSA");
      std::optional<std::string> n = BytesMember(jwk, "n");
      std::optional<std::string> e = BytesMember(jwk, "e");
      if (!IsMinimalUnsigned(n) || !IsMinimalUnsigned(e)) {
        return absl::InvalidArgumentError(
            "n and e must be base64url (no padding) big-endian integers without leading zero "
            "bytes");
      }
      EVP_PKEY* key = RsaKey(*n, *e);
      if (key == nullptr) return absl::InvalidArgumentError("n and e do not form an RSA key");
      return VerificationKey::FromPublicKey(std::move(kid), algorithm, key);
    }
    case Algorithm::kEs256: {
      if (kty == nullptr || *kty != "EC") return absl::InvalidArgumentError("ES256 needs kty EC");
      const std::string* crv = StringMember(jwk, "crv");
      if (crv == nullptr || *crv != "P-256") {
        return absl::InvalidArgumentError("ES256 needs crv P-256");
      }
      std::optional<std::string> x = BytesMember(jwk, "x");
      std::optional<std::string> y = BytesMember(jwk, "y");
      if (!x.has_value() || !y.has_value() || x->size() != kP256CoordinateBytes ||
          y->size() != kP256CoordinateBytes) {
        return absl::InvalidArgumentError(
            "x and y must be base64url (no padding) of 32 bytes each");
      }
      EVP_PKEY* key = P256Key(*x, *y);
      if (key == nullptr) return absl::InvalidArgumentError("x and y are not a point on P-256");
      return VerificationKey::FromPublicKey(std::move(kid), algorithm, key);
    }
  }
  return absl::InvalidArgumentError("unsupported alg");
}

// Checks what a JWK says about its purpose: `use` and `key_ops` are optional, but when
// present they must allow verifying signatures.
bool AllowsVerifying(const Json& jwk) {
  auto use = jwk.find("use");
  if (use != jwk.end() && (!use->is_string() || use->get_ref<const std::string&>() != "sig")) {
    return false;
  }
  auto ops = jwk.find("key_ops");
  if (ops == jwk.end()) return true;
  if (!ops->is_array()) return false;
  bool verify = false;
  for (const Json& op : *ops) {
    if (!op.is_string()) return false;
    if (op.get_ref<const std::string&>() == "verify") verify = true;
  }
  return verify;
}

}  // namespace

absl::StatusOr<std::vector<VerificationKey>> ReadJwks(std::string_view text,
                                                      std::string_view source) {
  std::optional<Json> document = ParseStrictJsonObject(text);
  if (!document.has_value()) {
    return absl::InvalidArgumentError(
        absl::StrCat(Absl(source), ": not a JSON object (or a member name repeats)"));
  }
  auto keys = document->find("keys");
  if (keys == document->end() || !keys->is_array()) {
    return absl::InvalidArgumentError(
        absl::StrCat(Absl(source), ": a JWKS needs a \"keys\" array"));
  }
  if (keys->empty()) return absl::InvalidArgumentError(absl::StrCat(Absl(source), ": no keys"));

  std::vector<VerificationKey> result;
  std::set<std::string, std::less<>> kids;
  for (size_t i = 0; i < keys->size(); ++i) {
    const Json& jwk = (*keys)[i];
    std::string where = absl::StrCat(Absl(source), ": keys[", i, "]");
    auto fail = [&](absl::string_view what) {
      return absl::InvalidArgumentError(absl::StrCat(where, ": ", what));
    };
    if (!jwk.is_object()) return fail("not a JSON object");
    const std::string* kid = StringMember(jwk, "kid");
    if (kid == nullptr || !IsValidKid(*kid)) {
      return fail("kid must be 1-128 printable ASCII characters without spaces");
    }
    // A valid kid is printable and short, and names the key in the rest of the messages.
    absl::StrAppend(&where, " (kid ", *kid, ")");
    if (!kids.insert(*kid).second) return fail("this kid is already used by an earlier key");
    const std::string* alg_name = StringMember(jwk, "alg");
    Algorithm algorithm;
    if (alg_name == nullptr || !ParseAlgorithm(*alg_name, &algorithm)) {
      return fail("alg must be HS256, RS256 or ES256");
    }
    if (!AllowsVerifying(jwk)) {
      return fail("use must be \"sig\" and key_ops must contain \"verify\" when present");
    }
    if (algorithm != Algorithm::kHs256) {
      for (const char* member : kPrivateMembers) {
        if (jwk.contains(member)) {
          return fail("this is a private key; configure only the public key (no d, p, q, ...)");
        }
      }
    }
    absl::StatusOr<VerificationKey> key = KeyFromJwk(jwk, *kid, algorithm);
    if (!key.ok()) return fail(key.status().message());
    result.push_back(*std::move(key));
  }
  return result;
}

}  // namespace streamgate::gateway::jwt
