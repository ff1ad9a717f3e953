#include "tests/gateway/jwt/jwt_test_signer.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/buffer.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <fstream>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/base64url.h"
#include "common/fatal.h"
#include "common/sha256.h"

namespace streamgate::gateway::jwt::testing {
namespace {

using Json = nlohmann::json;

constexpr size_t kP256CoordinateBytes = 32;

std::shared_ptr<EVP_PKEY> Own(EVP_PKEY* key) {
  if (key == nullptr) common::Fatal("jwt_test_signer", "key generation failed");
  return std::shared_ptr<EVP_PKEY>(key, EVP_PKEY_free);
}

std::string Dump(const Json& value) {
  return value.dump(-1, ' ', false, Json::error_handler_t::replace);
}

std::string BigEndian(const BIGNUM* bn, int width) {
  int size = width > 0 ? width : BN_num_bytes(bn);
  std::string out(static_cast<size_t>(size), '\0');
  if (BN_bn2binpad(bn, reinterpret_cast<unsigned char*>(out.data()), size) != size) {
    common::Fatal("jwt_test_signer", "BN_bn2binpad failed");
  }
  return out;
}

std::string BnParam(EVP_PKEY* key, const char* name, int width = 0) {
  BIGNUM* bn = nullptr;
  if (EVP_PKEY_get_bn_param(key, name, &bn) != 1) {
    common::Fatal("jwt_test_signer", "EVP_PKEY_get_bn_param failed");
  }
  std::string out = BigEndian(bn, width);
  BN_free(bn);
  return out;
}

std::string CurveName(EVP_PKEY* key) {
  char name[64] = {};
  size_t length = 0;
  if (EVP_PKEY_get_group_name(key, name, sizeof(name), &length) != 1) return "";
  std::string group(name, length);
  if (group == "prime256v1") return "P-256";
  if (group == "secp384r1") return "P-384";
  if (group == "secp521r1") return "P-521";
  return group;
}

std::string DigestSign(EVP_PKEY* key, std::string_view input) {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  size_t size = 0;
  std::string out;
  const auto* data = reinterpret_cast<const unsigned char*>(input.data());
  if (ctx == nullptr || EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, key) != 1 ||
      EVP_DigestSign(ctx, nullptr, &size, data, input.size()) != 1) {
    common::Fatal("jwt_test_signer", "EVP_DigestSign failed");
  }
  out.resize(size);
  if (EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(out.data()), &size, data,
                     input.size()) != 1) {
    common::Fatal("jwt_test_signer", "EVP_DigestSign failed");
  }
  out.resize(size);
  EVP_MD_CTX_free(ctx);
  return out;
}

std::string RawFromDerEcdsa(const std::string& der) {
  const auto* cursor = reinterpret_cast<const unsigned char*>(der.data());
  ECDSA_SIG* sig = d2i_ECDSA_SIG(nullptr, &cursor, static_cast<long>(der.size()));
  if (sig == nullptr) common::Fatal("jwt_test_signer", "d2i_ECDSA_SIG failed");
  std::string raw = BigEndian(ECDSA_SIG_get0_r(sig), kP256CoordinateBytes) +
                    BigEndian(ECDSA_SIG_get0_s(sig), kP256CoordinateBytes);
  ECDSA_SIG_free(sig);
  return raw;
}

}  // namespace

TestKey MakeRsaKey(std::string kid, int bits) {
  return TestKey{std::move(kid), Algorithm::kRs256, Own(EVP_RSA_gen(static_cast<unsigned>(bits))),
                 ""};
}

TestKey MakeEcKey(std::string kid, const std::string& curve) {
  return TestKey{std::move(kid), Algorithm::kEs256,
                 Own(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", curve.c_str())), ""};
}

TestKey MakeHmacKey(std::string kid, std::string secret) {
  return TestKey{std::move(kid), Algorithm::kHs256, nullptr, std::move(secret)};
}

TestKey WrapPrivateKey(std::string kid, Algorithm algorithm, EVP_PKEY* private_key) {
  return TestKey{std::move(kid), algorithm, Own(private_key), ""};
}

std::string PublicKeyPem(const TestKey& key) {
  if (key.private_key == nullptr) common::Fatal("jwt_test_signer", "an HS256 key has no PEM");
  BIO* bio = BIO_new(BIO_s_mem());
  if (bio == nullptr || PEM_write_bio_PUBKEY(bio, key.private_key.get()) != 1) {
    common::Fatal("jwt_test_signer", "PEM_write_bio_PUBKEY failed");
  }
  BUF_MEM* memory = nullptr;
  BIO_get_mem_ptr(bio, &memory);
  std::string pem(memory->data, memory->length);
  BIO_free(bio);
  return pem;
}

Json PublicJwk(const TestKey& key) {
  Json jwk = {{"kid", key.kid}, {"alg", std::string(AlgorithmName(key.algorithm))}, {"use", "sig"}};
  EVP_PKEY* pkey = key.private_key.get();
  if (pkey == nullptr) {
    jwk["kty"] = "oct";
    jwk["k"] = common::Base64UrlEncode(key.secret);
  } else if (EVP_PKEY_is_a(pkey, "RSA") || EVP_PKEY_is_a(pkey, "RSA-PSS")) {
    jwk["kty"] = "RSA";
    jwk["n"] = common::Base64UrlEncode(BnParam(pkey, OSSL_PKEY_PARAM_RSA_N));
    jwk["e"] = common::Base64UrlEncode(BnParam(pkey, OSSL_PKEY_PARAM_RSA_E));
  } else if (EVP_PKEY_is_a(pkey, "EC")) {
    int width = (EVP_PKEY_get_bits(pkey) + 7) / 8;
    jwk["kty"] = "EC";
    jwk["crv"] = CurveName(pkey);
    jwk["x"] = common::Base64UrlEncode(BnParam(pkey, OSSL_PKEY_PARAM_EC_PUB_X, width));
    jwk["y"] = common::Base64UrlEncode(BnParam(pkey, OSSL_PKEY_PARAM_EC_PUB_Y, width));
  } else {
    common::Fatal("jwt_test_signer", "no JWK form for this key type");
  }
  return jwk;
}

std::string JwksFor(const std::vector<TestKey>& keys) {
  Json list = Json::array();
  for (const TestKey& key : keys) list.push_back(PublicJwk(key));
  return Dump(Json{{"keys", list}});
}

std::string PemBundleFor(const std::vector<TestKey>& keys) {
  std::string bundle = "# streamgate JWT verification keys\n";
  for (const TestKey& key : keys) {
    absl::StrAppend(&bundle, "# kid=", key.kid, " alg=", std::string(AlgorithmName(key.algorithm)),
                    "\n", PublicKeyPem(key), "\n");
  }
  return bundle;
}

absl::Status WriteFile(const std::string& path, std::string_view text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(text.data(), static_cast<std::streamsize>(text.size()));
  out.close();
  if (!out) return absl::InternalError(absl::StrCat("cannot write ", path));
  return absl::OkStatus();
}

Json HeaderFor(const TestKey& key) {
  return Json{{"alg", std::string(AlgorithmName(key.algorithm))}, {"typ", "JWT"}, {"kid", key.kid}};
}

Json ClaimsFor(std::string_view subject, absl::Time now, absl::Duration lifetime) {
  return Json{{"sub", std::string(subject)},
              {"iat", absl::ToUnixSeconds(now)},
              {"exp", absl::ToUnixSeconds(now + lifetime)}};
}

std::string Segment(const Json& value) { return common::Base64UrlEncode(Dump(value)); }

std::string SignatureOf(const TestKey& key, std::string_view signing_input,
                        EcdsaEncoding encoding) {
  switch (key.algorithm) {
    case Algorithm::kHs256:
      return common::HmacSha256(key.secret, signing_input);
    case Algorithm::kRs256:
      return DigestSign(key.private_key.get(), signing_input);
    case Algorithm::kEs256: {
      std::string der = DigestSign(key.private_key.get(), signing_input);
      return encoding == EcdsaEncoding::kDer ? der : RawFromDerEcdsa(der);
    }
  }
  common::Fatal("jwt_test_signer", "unknown algorithm");
}

std::string SignSegments(const TestKey& key, std::string_view header_segment,
                         std::string_view payload_segment, EcdsaEncoding encoding) {
  std::string input = std::string(header_segment) + "." + std::string(payload_segment);
  return input + "." + common::Base64UrlEncode(SignatureOf(key, input, encoding));
}

std::string Sign(const TestKey& key, const Json& header, const Json& payload,
                 EcdsaEncoding encoding) {
  return SignSegments(key, Segment(header), Segment(payload), encoding);
}

std::string SignHs256WithSecret(std::string_view secret, const Json& header, const Json& payload) {
  std::string input = Segment(header) + "." + Segment(payload);
  return input + "." + common::Base64UrlEncode(common::HmacSha256(secret, input));
}

}  // namespace streamgate::gateway::jwt::testing
