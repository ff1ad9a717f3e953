// Forged, tampered and malformed tokens: each is refused with the right Failure, before the
// work it must not reach, and without its text reaching the detail.
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>

#include <string>
#include <vector>

#include "common/base64url.h"
#include "common/sha256.h"
#include "gateway/auth/jwt/jwt_verifier.h"
#include "gtest/gtest.h"
#include "tests/gateway/jwt/jwt_test_signer.h"

namespace streamgate::gateway::jwt {
namespace {

using ::nlohmann::json;
using testing::ClaimsFor;
using testing::HeaderFor;
using testing::JwksFor;
using testing::Segment;
using testing::Sign;
using testing::SignSegments;
using testing::TestKey;

const absl::Time kNow = absl::FromUnixSeconds(1'800'000'000);

struct Keys {
  TestKey hs = testing::MakeHmacKey("hs-1", std::string(48, 's'));
  TestKey rs = testing::MakeRsaKey("rs-1");
  TestKey es = testing::MakeEcKey("es-1");
  std::shared_ptr<const KeySet> all = *KeySet::Parse(JwksFor({hs, rs, es}), "keys.json");
  std::vector<const TestKey*> each() const { return {&hs, &rs, &es}; }
};
const Keys& K() {
  static const Keys* keys = new Keys();
  return *keys;
}

Result Check(std::string_view token) { return Verify(token, *K().all, Policy{}, kNow); }

json Claims() { return ClaimsFor("alice", kNow); }

std::vector<std::string> Segments(std::string_view token) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    size_t dot = token.find('.', start);
    out.emplace_back(token.substr(start, dot == std::string_view::npos ? dot : dot - start));
    if (dot == std::string_view::npos) return out;
    start = dot + 1;
  }
}

// Asserts the failure and that no segment of the token (long enough not to occur by chance)
// nor any planted string appears in the detail.
void ExpectRefused(std::string_view token, Failure failure,
                   const std::vector<std::string>& planted = {}) {
  Result result = Check(token);
  EXPECT_EQ(result.failure, failure) << FailureName(result.failure) << ": " << result.detail;
  EXPECT_FALSE(result.ok());
  EXPECT_FALSE(result.detail.empty());
  for (const std::string& segment : Segments(token)) {
    if (segment.size() >= 6) {
      EXPECT_EQ(result.detail.find(segment), std::string::npos) << segment;
    }
  }
  for (const std::string& text : planted) EXPECT_EQ(result.detail.find(text), std::string::npos);
}

std::string WithSegment(std::string_view token, int index, std::string_view replacement) {
  std::vector<std::string> parts = Segments(token);
  parts[index] = std::string(replacement);
  return parts[0] + "." + parts[1] + "." + parts[2];
}

// --- The algorithm comes from the key ------------------------------------------------------

TEST(JwtVerifier, RejectsAlgNoneBeforeVerifying) {
  for (const TestKey* key : K().each()) {
    for (const char* none : {"none", "None", "NONE", "nOnE"}) {
      json header = HeaderFor(*key);
      header["alg"] = none;
      // The unsecured JWS of RFC 7519 section 6: an empty signature.
      std::string token = Segment(header) + "." + Segment(Claims()) + ".";
      SCOPED_TRACE(key->kid + " " + none);
      ExpectRefused(token, Failure::kAlgorithmMismatch, {none});
    }
  }
}

TEST(JwtVerifier, RejectsAlgNoneWithoutKidAgainstASingleKey) {
  auto one = KeySet::Parse(JwksFor({K().rs}), "one.json");
  ASSERT_TRUE(one.ok());
  std::string token = Segment(json{{"alg", "none"}}) + "." + Segment(Claims()) + ".";
  EXPECT_EQ(Verify(token, **one, Policy{}, kNow).failure, Failure::kAlgorithmMismatch);
}

TEST(JwtVerifier, RejectsHs256SignedWithTheRsaPublicKeyPem) {
  // The classic key confusion: a verifier that takes alg from the header would HMAC with
  // the RS256 key's public PEM, which the attacker knows.
  for (const TestKey* key : {&K().rs, &K().es}) {
    std::string public_pem = testing::PublicKeyPem(*key);
    json header = HeaderFor(*key);
    header["alg"] = "HS256";
    for (const std::string& secret : {public_pem, public_pem.substr(0, public_pem.size() - 1)}) {
      SCOPED_TRACE(key->kid);
      ExpectRefused(testing::SignHs256WithSecret(secret, header, Claims()),
                    Failure::kAlgorithmMismatch);
    }
  }
}

TEST(JwtVerifier, RejectsHeaderAlgThatDiffersFromTheKeysBeforeDecodingTheSignature) {
  // Every header alg but the key's own, including lowercase spellings. The signature segment
  // is not even base64url: the mismatch is found before any signature work.
  const std::vector<std::string> algs = {"HS256", "RS256", "ES256",  "hs256", "rs256", "es256",
                                         "Rs256", "RS384", "RS512",  "PS256", "ES384", "HS512",
                                         "EdDSA", "",      "RS256 ", "none"};
  for (const TestKey* key : K().each()) {
    for (const std::string& alg : algs) {
      if (alg == AlgorithmName(key->algorithm)) continue;
      json header = HeaderFor(*key);
      header["alg"] = alg;
      std::string honest = Sign(*key, header, Claims());
      SCOPED_TRACE(key->kid + " " + alg);
      ExpectRefused(honest, Failure::kAlgorithmMismatch);
      ExpectRefused(WithSegment(honest, 2, "!not*base64"), Failure::kAlgorithmMismatch);
    }
  }
}

TEST(JwtVerifier, RejectsMissingOrNonStringAlgAsMalformed) {
  json header = HeaderFor(K().rs);
  header.erase("alg");
  ExpectRefused(Sign(K().rs, header, Claims()), Failure::kMalformed);
  for (const json& alg : {json(256), json(nullptr), json::array({"RS256"})}) {
    header["alg"] = alg;
    SCOPED_TRACE(alg.dump());
    ExpectRefused(Sign(K().rs, header, Claims()), Failure::kMalformed);
  }
}

TEST(JwtVerifier, RejectsTokenSignedWithAnotherAlgorithmUnderTheRightKid) {
  // An ES256 key's kid on an honestly RS256-signed token: the header says RS256.
  json header = HeaderFor(K().rs);
  header["kid"] = "es-1";
  ExpectRefused(Sign(K().rs, header, Claims()), Failure::kAlgorithmMismatch);
}

// --- Signatures ----------------------------------------------------------------------------

TEST(JwtVerifier, RejectsTamperedPayload) {
  for (const TestKey* key : K().each()) {
    std::string token = Sign(*key, HeaderFor(*key), Claims());
    SCOPED_TRACE(key->kid);
    ExpectRefused(WithSegment(token, 1, Segment(ClaimsFor("admin", kNow))), Failure::kBadSignature,
                  {"admin"});
  }
}

TEST(JwtVerifier, RejectsTamperedHeader) {
  for (const TestKey* key : K().each()) {
    json header = HeaderFor(*key);
    std::string token = Sign(*key, header, Claims());
    header["typ"] = "at+jwt";
    SCOPED_TRACE(key->kid);
    ExpectRefused(WithSegment(token, 0, Segment(header)), Failure::kBadSignature);
  }
}

TEST(JwtVerifier, RejectsTamperedSignature) {
  for (const TestKey* key : K().each()) {
    std::string token = Sign(*key, HeaderFor(*key), Claims());
    std::string signature = *common::Base64UrlDecode(Segments(token)[2]);
    SCOPED_TRACE(key->kid);
    for (size_t at : {size_t{0}, signature.size() / 2, signature.size() - 1}) {
      std::string flipped = signature;
      flipped[at] = static_cast<char>(flipped[at] ^ 0x01);
      ExpectRefused(WithSegment(token, 2, common::Base64UrlEncode(flipped)),
                    Failure::kBadSignature);
    }
    ExpectRefused(WithSegment(token, 2, common::Base64UrlEncode(signature.substr(1))),
                  Failure::kBadSignature);
    ExpectRefused(WithSegment(token, 2, common::Base64UrlEncode(signature + '\0')),
                  Failure::kBadSignature);
    ExpectRefused(WithSegment(token, 2, ""), Failure::kBadSignature);
  }
}

TEST(JwtVerifier, RejectsSignatureFromAnotherKeyOfTheSameAlgorithm) {
  for (const TestKey& other : {testing::MakeHmacKey("hs-1", std::string(48, 't')),
                               testing::MakeRsaKey("rs-1"), testing::MakeEcKey("es-1")}) {
    SCOPED_TRACE(other.kid);
    ExpectRefused(Sign(other, HeaderFor(other), Claims()), Failure::kBadSignature);
  }
}

TEST(JwtVerifier, RejectsDerEncodedEs256Signature) {
  std::string token = Sign(K().es, HeaderFor(K().es), Claims(), testing::EcdsaEncoding::kDer);
  ExpectRefused(token, Failure::kBadSignature);
  // The same signature as raw r||s is good: only the encoding is refused.
  EXPECT_TRUE(Check(Sign(K().es, HeaderFor(K().es), Claims())).ok());
}

TEST(JwtVerifier, RejectsEs256SignatureWithROrSOutOfRange) {
  std::string token = Sign(K().es, HeaderFor(K().es), Claims());
  std::string raw = *common::Base64UrlDecode(Segments(token)[2]);
  // The order n of P-256, big-endian.
  const std::string order =
      *common::HexDecode("ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551");
  ASSERT_EQ(order.size(), 32u);
  const std::string zero(32, '\0');
  for (const std::string& bad :
       {zero + zero, zero + raw.substr(32), raw.substr(0, 32) + zero, order + raw.substr(32),
        raw.substr(0, 32) + order, std::string(64, '\xff')}) {
    ExpectRefused(WithSegment(token, 2, common::Base64UrlEncode(bad)), Failure::kBadSignature);
  }
}

// --- Encoding and structure ----------------------------------------------------------------

TEST(JwtVerifier, RejectsOversizeTokenBeforeParsing) {
  ExpectRefused(std::string(kMaxTokenBytes + 1, '.'), Failure::kTooLong);
  ExpectRefused(std::string(kMaxTokenBytes + 1, 'A'), Failure::kTooLong);
  ExpectRefused(std::string(1 << 20, '\xff'), Failure::kTooLong);
  // A well-formed, validly signed token one byte too long is refused too, and one of exactly
  // kMaxTokenBytes is accepted.
  std::string at_limit;
  std::string over_limit;
  for (int header_pad = 0; header_pad < 3 && at_limit.empty(); ++header_pad) {
    json header = HeaderFor(K().hs);
    header["x"] = std::string(header_pad, 'h');
    for (size_t pad = 5000; pad < 7000; ++pad) {
      json claims = Claims();
      claims["pad"] = std::string(pad, 'p');
      std::string token = Sign(K().hs, header, claims);
      if (token.size() == kMaxTokenBytes) at_limit = token;
      if (token.size() == kMaxTokenBytes + 1) over_limit = token;
      if (token.size() > kMaxTokenBytes + 1) break;
    }
  }
  ASSERT_FALSE(at_limit.empty());
  EXPECT_TRUE(Check(at_limit).ok());
  if (over_limit.empty()) over_limit = at_limit + "A";
  ExpectRefused(over_limit, Failure::kTooLong);
}

TEST(JwtVerifier, RejectsWrongSegmentCount) {
  std::string token = Sign(K().rs, HeaderFor(K().rs), Claims());
  std::vector<std::string> parts = Segments(token);
  for (const std::string& bad :
       {std::string(), std::string("."), std::string(".."), std::string("..."), std::string("abc"),
        parts[0], parts[0] + "." + parts[1], token + ".", token + "." + parts[2], "." + token,
        // A JWE compact serialization has five segments.
        parts[0] + ".." + parts[1] + "." + parts[2] + "." + parts[2]}) {
    SCOPED_TRACE(bad.substr(0, 20));
    ExpectRefused(bad, Failure::kMalformed);
  }
}

TEST(JwtVerifier, RejectsBadBase64UrlInAnySegment) {
  std::string token = Sign(K().hs, HeaderFor(K().hs), Claims());
  std::vector<std::string> parts = Segments(token);
  for (int index = 0; index < 3; ++index) {
    const std::string& good = parts[index];
    std::string last_changed = good;
    // Base64url of the signature (32 bytes) and of our JSON ends in a partial group, so a
    // non-zero unused low bit makes a second spelling of the same bytes.
    std::vector<std::string> bad = {good + "=",
                                    good + "==",
                                    good.substr(0, good.size() - 1) + "+",
                                    good.substr(0, good.size() - 1) + "/",
                                    good + " ",
                                    " " + good,
                                    good + "\n",
                                    good.substr(0, 4) + "*" + good.substr(5)};
    // One leftover character carries 6 bits, less than a byte.
    if (good.size() % 4 == 0) bad.push_back(good + "A");
    if (good.size() % 4 != 0) {
      size_t last = good.size() - 1;
      static constexpr char kAlphabet[] =
          "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
      int value = static_cast<int>(std::string_view(kAlphabet).find(good[last]));
      last_changed[last] = kAlphabet[value | 1];
      if (last_changed != good) bad.push_back(last_changed);
    }
    for (const std::string& segment : bad) {
      std::string forged;
      if (index == 1) {
        // A payload segment that is not base64url is refused even under a valid signature.
        forged = SignSegments(K().hs, parts[0], segment);
      } else if (index == 0) {
        forged = SignSegments(K().hs, segment, parts[1]);
      } else {
        forged = WithSegment(token, 2, segment);
      }
      SCOPED_TRACE(std::to_string(index) + " " + segment);
      ExpectRefused(forged, Failure::kMalformed);
    }
  }
}

TEST(JwtVerifier, RejectsHeaderThatIsNotAJsonObject) {
  for (const std::string& header :
       {std::string(), std::string("null"), std::string("[]"), std::string("\"JWT\""),
        std::string("42"), std::string("{"), std::string(R"({"alg":"HS256",})"),
        std::string(R"({"alg":"HS256","kid":"hs-1"} {})"),
        std::string(R"({"alg":"HS256","kid":"hs-1"}x)"),
        std::string(R"({"alg":"HS256","kid":"hs-1"} // comment)"),
        std::string(R"({"alg":"HS256","kid":"hs-1","kid":"rs-1"})"),      // repeated member
        std::string(R"({"alg":"HS256","kid":"hs-1","x":")") + "\xff\"}",  // not UTF-8
        std::string(R"({"alg":"HS256","kid":"hs-1","x":)") + std::string(40, '[') +
            std::string(40, ']') + "}"}) {
    SCOPED_TRACE(header);
    ExpectRefused(SignSegments(K().hs, common::Base64UrlEncode(header), Segment(Claims())),
                  Failure::kMalformed);
  }
}

TEST(JwtVerifier, RejectsPayloadThatIsNotAJsonObjectEvenWhenSigned) {
  for (const std::string& payload :
       {std::string(), std::string("null"), std::string("[]"), std::string("\"alice\""),
        std::string(R"({"sub":"alice","exp":1900000000)"),
        std::string(R"({"sub":"alice","exp":1900000000}garbage)")}) {
    SCOPED_TRACE(payload);
    ExpectRefused(
        SignSegments(K().hs, Segment(HeaderFor(K().hs)), common::Base64UrlEncode(payload)),
        Failure::kMalformed);
  }
}

TEST(JwtVerifier, RejectsCritHeader) {
  for (const json& crit : {json::array({"exp"}), json::array(), json("b64"), json(nullptr)}) {
    json header = HeaderFor(K().rs);
    header["crit"] = crit;
    if (crit.is_array() && !crit.empty()) header["exp"] = 1;
    SCOPED_TRACE(crit.dump());
    ExpectRefused(Sign(K().rs, header, Claims()), Failure::kMalformed);
  }
  // The unencoded-payload extension (RFC 7797) needs crit, so it is refused with it.
  json header = HeaderFor(K().hs);
  header["b64"] = false;
  header["crit"] = json::array({"b64"});
  ExpectRefused(Sign(K().hs, header, Claims()), Failure::kMalformed);
}

TEST(JwtVerifier, RejectsGarbageWithoutEchoingIt) {
  for (const std::string& garbage :
       {std::string("Bearer abcdefghij"), std::string("\x01\x02\x03"),
        std::string("secret-looking-garbage.more-garbage-here.and-more-garbage"),
        std::string(kMaxTokenBytes, 'x')}) {
    Result result = Check(garbage);
    EXPECT_EQ(result.failure, Failure::kMalformed);
    EXPECT_EQ(result.detail.find("garbage"), std::string::npos);
    EXPECT_EQ(result.detail.find("abcdefghij"), std::string::npos);
    EXPECT_LT(result.detail.size(), 80u);
  }
}

}  // namespace
}  // namespace streamgate::gateway::jwt
