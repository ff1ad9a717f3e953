#include "gateway/auth/jwt/jwt_verifier.h"

#include <atomic>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "common/base64url.h"
#include "gtest/gtest.h"
#include "tests/gateway/jwt/jwt_test_signer.h"

namespace streamgate::gateway::jwt {
namespace {

using ::nlohmann::json;
using testing::ClaimsFor;
using testing::HeaderFor;
using testing::JwksFor;
using testing::Sign;
using testing::TestKey;

const absl::Time kNow = absl::FromUnixSeconds(1'800'000'000);
constexpr char kIssuer[] = "https://login.example.com";
constexpr char kAudience[] = "streamgate";

// Generated once: RSA key generation takes a while.
struct Keys {
  TestKey hs = testing::MakeHmacKey("hs-1", std::string(32, 'k'));
  TestKey rs = testing::MakeRsaKey("rs-1");
  TestKey es = testing::MakeEcKey("es-1");
  std::shared_ptr<const KeySet> all = *KeySet::Parse(JwksFor({hs, rs, es}), "keys.json");
};
const Keys& K() {
  static const Keys* keys = new Keys();
  return *keys;
}

Policy StrictPolicy() { return Policy{kIssuer, kAudience, absl::Seconds(30)}; }

json GoodClaims(std::string_view subject = "alice") {
  json claims = ClaimsFor(subject, kNow);
  claims["iss"] = kIssuer;
  claims["aud"] = kAudience;
  return claims;
}

// The detail is for a log line: no segment of the token, nor a string planted in it, may
// reach it.
void ExpectDetailHidesToken(const Result& result, std::string_view token,
                            const std::vector<std::string>& planted = {}) {
  size_t start = 0;
  while (start <= token.size()) {
    size_t dot = token.find('.', start);
    std::string_view segment =
        token.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (segment.size() >= 6) {
      EXPECT_EQ(result.detail.find(segment), std::string::npos) << segment;
    }
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  for (const std::string& text : planted) {
    EXPECT_EQ(result.detail.find(text), std::string::npos) << text;
  }
}

Result VerifyAt(std::string_view token, absl::Time now, const Policy& policy = StrictPolicy()) {
  return Verify(token, *K().all, policy, now);
}

Result VerifyClaims(const json& claims, const Policy& policy = StrictPolicy(),
                    absl::Time now = kNow) {
  std::string token = Sign(K().rs, HeaderFor(K().rs), claims);
  Result result = Verify(token, *K().all, policy, now);
  if (!result.ok()) {
    EXPECT_FALSE(result.detail.empty());
    ExpectDetailHidesToken(result, token);
  }
  return result;
}

void ExpectAccepted(const Result& result, std::string_view subject, std::string_view kid) {
  ASSERT_TRUE(result.ok()) << FailureName(result.failure) << ": " << result.detail;
  EXPECT_EQ(result.failure, Failure::kNone);
  EXPECT_EQ(result.claims->subject, subject);
  EXPECT_EQ(result.claims->kid, kid);
  EXPECT_EQ(result.claims->expires, kNow + absl::Minutes(5));
  EXPECT_TRUE(result.detail.empty());
}

TEST(JwtVerifier, AcceptsValidHs256TokenWithItsClaims) {
  ExpectAccepted(VerifyAt(Sign(K().hs, HeaderFor(K().hs), GoodClaims()), kNow), "alice", "hs-1");
}

TEST(JwtVerifier, AcceptsValidRs256TokenWithItsClaims) {
  ExpectAccepted(VerifyAt(Sign(K().rs, HeaderFor(K().rs), GoodClaims("bob")), kNow), "bob", "rs-1");
}

TEST(JwtVerifier, AcceptsValidEs256TokenWithItsClaims) {
  ExpectAccepted(VerifyAt(Sign(K().es, HeaderFor(K().es), GoodClaims("carol")), kNow), "carol",
                 "es-1");
}

TEST(JwtVerifier, AcceptsEveryKeyOfAPemBundle) {
  const TestKey rs2 = testing::MakeRsaKey("rs-2");
  auto pem = KeySet::Parse(testing::PemBundleFor({rs2, K().es}), "keys.pem");
  ASSERT_TRUE(pem.ok()) << pem.status();
  for (const TestKey* key : {&rs2, &K().es}) {
    Result result = Verify(Sign(*key, HeaderFor(*key), GoodClaims()), **pem, StrictPolicy(), kNow);
    ExpectAccepted(result, "alice", key->kid);
  }
}

TEST(JwtVerifier, AcceptsTypJwtAndAtJwtInAnyCaseOrNoTyp) {
  for (const char* typ : {"JWT", "jwt", "Jwt", "at+jwt", "AT+JWT"}) {
    json header = HeaderFor(K().rs);
    header["typ"] = typ;
    EXPECT_TRUE(VerifyAt(Sign(K().rs, header, GoodClaims()), kNow).ok()) << typ;
  }
  json header = HeaderFor(K().rs);
  header.erase("typ");
  EXPECT_TRUE(VerifyAt(Sign(K().rs, header, GoodClaims()), kNow).ok());
}

TEST(JwtVerifier, RejectsOtherTypAsMalformed) {
  for (const json& typ :
       {json("JWS"), json("application/jwt"), json("JOSE"), json(""), json(1), json(nullptr)}) {
    json header = HeaderFor(K().rs);
    header["typ"] = typ;
    std::string token = Sign(K().rs, header, GoodClaims());
    Result result = VerifyAt(token, kNow);
    EXPECT_EQ(result.failure, Failure::kMalformed) << typ.dump();
    ExpectDetailHidesToken(result, token, {"application/jwt", "JOSE"});
  }
}

TEST(JwtVerifier, IgnoresHeaderMembersItDoesNotUse) {
  // jku/jwk/x5u point at keys; the verifier never fetches or trusts them.
  json header = HeaderFor(K().rs);
  header["jku"] = "https://evil.example/jwks.json";
  header["jwk"] = testing::PublicJwk(testing::MakeEcKey("attacker"));
  EXPECT_TRUE(VerifyAt(Sign(K().rs, header, GoodClaims()), kNow).ok());
}

// --- Key selection -------------------------------------------------------------------------

TEST(JwtVerifier, RejectsUnknownKidWithoutEchoingIt) {
  json header = HeaderFor(K().rs);
  header["kid"] = "evil-kid-<script>";
  std::string token = Sign(K().rs, header, GoodClaims());
  Result result = VerifyAt(token, kNow);
  EXPECT_EQ(result.failure, Failure::kUnknownKey);
  EXPECT_EQ(result.detail, "kid not configured");
  ExpectDetailHidesToken(result, token, {"evil-kid"});
}

TEST(JwtVerifier, RejectsEmptyKidAsUnknown) {
  json header = HeaderFor(K().rs);
  header["kid"] = "";
  EXPECT_EQ(VerifyAt(Sign(K().rs, header, GoodClaims()), kNow).failure, Failure::kUnknownKey);
}

TEST(JwtVerifier, RejectsNonStringKidAsMalformed) {
  json header = HeaderFor(K().rs);
  header["kid"] = 7;
  EXPECT_EQ(VerifyAt(Sign(K().rs, header, GoodClaims()), kNow).failure, Failure::kMalformed);
}

TEST(JwtVerifier, AcceptsTokenWithoutKidWhenExactlyOneKeyIsConfigured) {
  auto one = KeySet::Parse(JwksFor({K().es}), "one.json");
  ASSERT_TRUE(one.ok()) << one.status();
  json header = HeaderFor(K().es);
  header.erase("kid");
  Result result = Verify(Sign(K().es, header, GoodClaims()), **one, StrictPolicy(), kNow);
  ExpectAccepted(result, "alice", "es-1");
}

TEST(JwtVerifier, RejectsTokenWithoutKidWhenSeveralKeysAreConfigured) {
  json header = HeaderFor(K().es);
  header.erase("kid");
  std::string token = Sign(K().es, header, GoodClaims());
  Result result = VerifyAt(token, kNow);
  EXPECT_EQ(result.failure, Failure::kUnknownKey);
  ExpectDetailHidesToken(result, token);
}

TEST(JwtVerifier, RejectsTokenWhoseKidNamesAKeyThatDidNotSignIt) {
  TestKey impostor = testing::MakeEcKey("es-1");  // same kid, different key
  std::string token = Sign(impostor, HeaderFor(impostor), GoodClaims());
  EXPECT_EQ(VerifyAt(token, kNow).failure, Failure::kBadSignature);
}

// --- exp and nbf ---------------------------------------------------------------------------

TEST(JwtVerifier, RejectsExpiredToken) {
  json claims = GoodClaims();
  claims["exp"] = absl::ToUnixSeconds(kNow - absl::Minutes(5));
  Result result = VerifyClaims(claims);
  EXPECT_EQ(result.failure, Failure::kExpired);
}

TEST(JwtVerifier, AcceptsExpiredTokenWithinTheLeeway) {
  json claims = GoodClaims();
  claims["exp"] = absl::ToUnixSeconds(kNow - absl::Seconds(30));  // now == exp + leeway
  EXPECT_TRUE(VerifyClaims(claims).ok());
  claims["exp"] = absl::ToUnixSeconds(kNow - absl::Seconds(31));
  EXPECT_EQ(VerifyClaims(claims).failure, Failure::kExpired);
}

TEST(JwtVerifier, AcceptsFractionalExp) {
  json claims = GoodClaims();
  claims["exp"] = absl::ToUnixSeconds(kNow) - 30 + 0.5;
  EXPECT_TRUE(VerifyClaims(claims).ok());
  claims["exp"] = absl::ToUnixSeconds(kNow) - 30 - 0.5;
  EXPECT_EQ(VerifyClaims(claims).failure, Failure::kExpired);
}

TEST(JwtVerifier, TreatsNegativeLeewayAsZero) {
  Policy policy = StrictPolicy();
  policy.leeway = -absl::Hours(1);
  json claims = GoodClaims();
  claims["exp"] = absl::ToUnixSeconds(kNow);
  EXPECT_TRUE(VerifyClaims(claims, policy).ok());
  claims["exp"] = absl::ToUnixSeconds(kNow) - 1;
  EXPECT_EQ(VerifyClaims(claims, policy).failure, Failure::kExpired);
}

TEST(JwtVerifier, RejectsMissingExp) {
  json claims = GoodClaims();
  claims.erase("exp");
  Result result = VerifyClaims(claims);
  EXPECT_EQ(result.failure, Failure::kMissingClaim);
  EXPECT_EQ(result.detail, "exp is missing");
}

TEST(JwtVerifier, RejectsExpThatIsNotAUsableNumericDate) {
  for (const json& exp : {json("1900000000"), json(nullptr), json(true), json::array({1}), json(-1),
                          json(1e12), json(18446744073709551615u)}) {
    json claims = GoodClaims();
    claims["exp"] = exp;
    EXPECT_EQ(VerifyClaims(claims).failure, Failure::kMissingClaim) << exp.dump();
  }
}

TEST(JwtVerifier, RejectsNbfInTheFuture) {
  json claims = GoodClaims();
  claims["nbf"] = absl::ToUnixSeconds(kNow + absl::Minutes(2));
  EXPECT_EQ(VerifyClaims(claims).failure, Failure::kNotYetValid);
}

TEST(JwtVerifier, AcceptsNbfInTheFutureWithinTheLeeway) {
  json claims = GoodClaims();
  claims["nbf"] = absl::ToUnixSeconds(kNow + absl::Seconds(30));  // now + leeway == nbf
  EXPECT_TRUE(VerifyClaims(claims).ok());
  claims["nbf"] = absl::ToUnixSeconds(kNow + absl::Seconds(31));
  EXPECT_EQ(VerifyClaims(claims).failure, Failure::kNotYetValid);
  claims["nbf"] = absl::ToUnixSeconds(kNow - absl::Hours(1));
  EXPECT_TRUE(VerifyClaims(claims).ok());
}

TEST(JwtVerifier, RejectsNbfThatIsNotANumber) {
  json claims = GoodClaims();
  claims["nbf"] = "now";
  EXPECT_EQ(VerifyClaims(claims).failure, Failure::kMissingClaim);
}

// --- iss and aud ---------------------------------------------------------------------------

TEST(JwtVerifier, RejectsWrongIssuerWithoutEchoingIt) {
  json claims = GoodClaims();
  claims["iss"] = "https://evil.example";
  std::string token = Sign(K().rs, HeaderFor(K().rs), claims);
  Result result = VerifyAt(token, kNow);
  EXPECT_EQ(result.failure, Failure::kWrongIssuer);
  ExpectDetailHidesToken(result, token, {"evil"});
  claims["iss"] = std::string(kIssuer) + "/";
  EXPECT_EQ(VerifyClaims(claims).failure, Failure::kWrongIssuer);
}

TEST(JwtVerifier, RejectsMissingOrNonStringIssuerWhenOneIsRequired) {
  json claims = GoodClaims();
  claims["iss"] = json::array({kIssuer});
  EXPECT_EQ(VerifyClaims(claims).failure, Failure::kMissingClaim);
  claims.erase("iss");
  EXPECT_EQ(VerifyClaims(claims).failure, Failure::kMissingClaim);
}

TEST(JwtVerifier, ChecksNoIssuerOrAudienceWhenThePolicyNamesNone) {
  json claims = ClaimsFor("alice", kNow);
  claims["iss"] = 5;
  claims["aud"] = "someone-else";
  EXPECT_TRUE(VerifyClaims(claims, Policy{}).ok());
}

TEST(JwtVerifier, RejectsWrongAudienceWithoutEchoingIt) {
  json claims = GoodClaims();
  claims["aud"] = "evil-audience";
  std::string token = Sign(K().rs, HeaderFor(K().rs), claims);
  Result result = VerifyAt(token, kNow);
  EXPECT_EQ(result.failure, Failure::kWrongAudience);
  EXPECT_EQ(result.detail, "aud does not contain the expected audience");
  claims["aud"] = json::array({"evil-audience", "streamgatex"});
  EXPECT_EQ(VerifyClaims(claims).failure, Failure::kWrongAudience);
  claims["aud"] = json::array();
  EXPECT_EQ(VerifyClaims(claims).failure, Failure::kWrongAudience);
}

TEST(JwtVerifier, AcceptsAudienceArrayContainingTheExpectedAudience) {
  json claims = GoodClaims();
  claims["aud"] = json::array({"other", kAudience});
  EXPECT_TRUE(VerifyClaims(claims).ok());
}

TEST(JwtVerifier, RejectsMissingOrMistypedAudience) {
  json claims = GoodClaims();
  for (const json& aud : {json(1), json::object(), json::array({kAudience, 2})}) {
    claims["aud"] = aud;
    EXPECT_EQ(VerifyClaims(claims).failure, Failure::kMissingClaim) << aud.dump();
  }
  claims.erase("aud");
  EXPECT_EQ(VerifyClaims(claims).failure, Failure::kMissingClaim);
}

// --- sub -----------------------------------------------------------------------------------

TEST(JwtVerifier, AcceptsSubjectOfPrintableAsciiUpTo256Bytes) {
  for (const std::string& subject :
       {std::string("a"), std::string(256, 'z'), std::string("user:42@example.com|!~{}")}) {
    json claims = GoodClaims();
    claims["sub"] = subject;
    Result result = VerifyClaims(claims);
    ASSERT_TRUE(result.ok()) << subject;
    EXPECT_EQ(result.claims->subject, subject);
  }
}

TEST(JwtVerifier, RejectsMissingOrUnusableSubjectAsMissingClaim) {
  json claims = GoodClaims();
  claims.erase("sub");
  EXPECT_EQ(VerifyClaims(claims).failure, Failure::kMissingClaim);
  for (const json& sub : {json(""), json(std::string(257, 'a')), json("two words"),
                          json("tab\there"), json("line\nbreak"), json("caf\xC3\xA9"),
                          json("nul\x01"), json(42), json(nullptr), json::array({"alice"})}) {
    claims["sub"] = sub;
    Result result = VerifyClaims(claims);
    EXPECT_EQ(result.failure, Failure::kMissingClaim) << sub.dump();
  }
}

TEST(JwtVerifier, RejectsPayloadThatRepeatsAClaim) {
  // Two parsers may keep different copies of a repeated member; refuse the ambiguity.
  std::string payload = R"({"sub":"alice","exp":1900000000,"iss":"https://login.example.com",)"
                        R"("aud":"streamgate","sub":"admin"})";
  std::string token = testing::SignSegments(K().rs, testing::Segment(HeaderFor(K().rs)),
                                            common::Base64UrlEncode(payload));
  Result result = VerifyAt(token, kNow);
  EXPECT_EQ(result.failure, Failure::kMalformed);
  ExpectDetailHidesToken(result, token, {"admin"});
}

TEST(JwtVerifier, ChecksClaimsInTheDocumentedOrder) {
  // Expired, from the wrong issuer, for the wrong audience, and without a subject: the
  // first check that fails names the failure.
  json claims = {{"exp", absl::ToUnixSeconds(kNow - absl::Hours(1))}, {"iss", "x"}, {"aud", "y"}};
  EXPECT_EQ(VerifyClaims(claims).failure, Failure::kExpired);
  claims["exp"] = absl::ToUnixSeconds(kNow + absl::Hours(1));
  EXPECT_EQ(VerifyClaims(claims).failure, Failure::kWrongIssuer);
  claims["iss"] = kIssuer;
  EXPECT_EQ(VerifyClaims(claims).failure, Failure::kWrongAudience);
  claims["aud"] = kAudience;
  EXPECT_EQ(VerifyClaims(claims).failure, Failure::kMissingClaim);
}

// --- Misc ----------------------------------------------------------------------------------

TEST(JwtVerifier, NamesEveryFailureForLogLines) {
  const std::vector<std::pair<Failure, std::string>> names = {
      {Failure::kNone, "none"},
      {Failure::kTooLong, "too_long"},
      {Failure::kMalformed, "malformed"},
      {Failure::kUnknownKey, "unknown_key"},
      {Failure::kAlgorithmMismatch, "algorithm_mismatch"},
      {Failure::kBadSignature, "bad_signature"},
      {Failure::kExpired, "expired"},
      {Failure::kNotYetValid, "not_yet_valid"},
      {Failure::kWrongIssuer, "wrong_issuer"},
      {Failure::kWrongAudience, "wrong_audience"},
      {Failure::kMissingClaim, "missing_claim"}};
  for (const auto& [failure, name] : names) EXPECT_EQ(FailureName(failure), name);
  EXPECT_EQ(AlgorithmName(Algorithm::kHs256), "HS256");
  EXPECT_EQ(AlgorithmName(Algorithm::kRs256), "RS256");
  EXPECT_EQ(AlgorithmName(Algorithm::kEs256), "ES256");
}

TEST(JwtVerifier, VerifiesConcurrentlyOnOneSharedKeySet) {
  const Keys& keys = K();
  std::vector<std::string> good;
  std::vector<std::string> bad;
  for (const TestKey* key : {&keys.hs, &keys.rs, &keys.es}) {
    good.push_back(Sign(*key, HeaderFor(*key), GoodClaims(key->kid)));
    json claims = GoodClaims(key->kid);
    claims["aud"] = "other";
    bad.push_back(Sign(*key, HeaderFor(*key), claims));
    std::string tampered = good.back();
    tampered[tampered.size() - 3] = tampered[tampered.size() - 3] == 'A' ? 'B' : 'A';
    bad.push_back(tampered);
  }
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 150; ++i) {
        const std::string& token_good = good[(i + t) % good.size()];
        const std::string& token_bad = bad[(i + t) % bad.size()];
        if (!Verify(token_good, *keys.all, StrictPolicy(), kNow).ok()) ++wrong;
        if (Verify(token_bad, *keys.all, StrictPolicy(), kNow).ok()) ++wrong;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(wrong.load(), 0);
}

}  // namespace
}  // namespace streamgate::gateway::jwt
