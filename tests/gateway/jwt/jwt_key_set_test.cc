#include "gateway/auth/jwt/jwt_key_set.h"

#include <openssl/bio.h>
#include <openssl/buffer.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <functional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "common/base64url.h"
#include "gtest/gtest.h"
#include "tests/gateway/jwt/jwt_test_signer.h"

namespace streamgate::gateway::jwt {
namespace {

using ::nlohmann::json;
using testing::JwksFor;
using testing::PemBundleFor;
using testing::PublicJwk;
using testing::PublicKeyPem;
using testing::TestKey;

struct Keys {
  TestKey hs = testing::MakeHmacKey("hs-1", std::string(32, 'k'));
  TestKey rs = testing::MakeRsaKey("rs-1");
  TestKey es = testing::MakeEcKey("es-1");
  TestKey rs_small = testing::MakeRsaKey("rs-small", 1024);
  TestKey es_p384 = testing::MakeEcKey("es-384", "P-384");
  TestKey rsa_pss = testing::WrapPrivateKey("pss", Algorithm::kRs256, [] {
    EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_name(nullptr, "RSA-PSS", nullptr);
    EVP_PKEY* key = nullptr;
    if (ctx == nullptr || EVP_PKEY_keygen_init(ctx) != 1 ||
        EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, 2048) != 1 || EVP_PKEY_generate(ctx, &key) != 1) {
      key = nullptr;
    }
    EVP_PKEY_CTX_free(ctx);
    return key;
  }());
  TestKey ed25519 = testing::WrapPrivateKey("ed", Algorithm::kEs256,
                                            EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
};
const Keys& K() {
  static const Keys* keys = new Keys();
  return *keys;
}

std::string Dump(const json& value) { return value.dump(); }
std::string Jwks(const std::vector<json>& keys) { return Dump(json{{"keys", keys}}); }

// Long base64-looking runs of the file: key material that an error must never quote.
std::vector<std::string> MaterialIn(std::string_view text) {
  std::vector<std::string> runs;
  std::string run;
  auto flush = [&] {
    if (run.size() >= 20) runs.push_back(run);
    run.clear();
  };
  for (char c : text) {
    bool base64 = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                  c == '+' || c == '/' || c == '-' || c == '_';
    if (base64) {
      run.push_back(c);
    } else {
      flush();
    }
  }
  flush();
  return runs;
}

void ExpectLoadError(std::string_view text, std::string_view source, const std::string& where,
                     const std::string& what) {
  auto set = KeySet::Parse(text, source);
  ASSERT_FALSE(set.ok());
  std::string message(set.status().message());
  EXPECT_EQ(set.status().code(), absl::StatusCode::kInvalidArgument) << message;
  EXPECT_EQ(message.rfind(where, 0), 0u) << "message: " << message << "\nwanted: " << where;
  EXPECT_NE(message.find(what), std::string::npos)
      << "message: " << message << "\nwanted: " << what;
  for (const std::string& material : MaterialIn(text)) {
    EXPECT_EQ(message.find(material), std::string::npos) << message;
  }
}

std::string PrivateKeyPem(const TestKey& key) {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(bio, key.private_key.get(), nullptr, nullptr, 0, nullptr, nullptr);
  BUF_MEM* memory = nullptr;
  BIO_get_mem_ptr(bio, &memory);
  std::string pem(memory->data, memory->length);
  BIO_free(bio);
  return pem;
}

// A PEM "PUBLIC KEY" block around arbitrary DER, in 64-character lines.
std::string PemBlock(const std::string& der) {
  std::string base64(4 * ((der.size() + 2) / 3) + 1, '\0');
  int size = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(base64.data()),
                             reinterpret_cast<const unsigned char*>(der.data()),
                             static_cast<int>(der.size()));
  base64.resize(static_cast<size_t>(size));
  std::string pem = "-----BEGIN PUBLIC KEY-----\n";
  for (size_t i = 0; i < base64.size(); i += 64) absl::StrAppend(&pem, base64.substr(i, 64), "\n");
  return pem + "-----END PUBLIC KEY-----\n";
}

std::string PublicKeyDer(const TestKey& key) {
  unsigned char* der = nullptr;
  int size = i2d_PUBKEY(key.private_key.get(), &der);
  std::string out(reinterpret_cast<char*>(der), static_cast<size_t>(size));
  OPENSSL_free(der);
  return out;
}

std::string Label(const std::string& kid, const std::string& alg) {
  return "# kid=" + kid + " alg=" + alg + "\n";
}

// --- Accepted files ------------------------------------------------------------------------

TEST(KeySet, LoadsJwksWithOneKeyOfEachAlgorithm) {
  auto set = KeySet::Parse(JwksFor({K().hs, K().rs, K().es}), "keys.json");
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_EQ((*set)->size(), 3u);
  EXPECT_EQ((*set)->Kids(), (std::vector<std::string>{"es-1", "hs-1", "rs-1"}));
  EXPECT_EQ((*set)->Find("hs-1")->algorithm(), Algorithm::kHs256);
  EXPECT_EQ((*set)->Find("rs-1")->algorithm(), Algorithm::kRs256);
  EXPECT_EQ((*set)->Find("es-1")->algorithm(), Algorithm::kEs256);
  EXPECT_TRUE((*set)->Contains("rs-1"));
  EXPECT_FALSE((*set)->Contains("rs-2"));
  EXPECT_FALSE((*set)->Contains(""));
  EXPECT_EQ((*set)->SoleKey(), nullptr);
}

TEST(KeySet, LoadsPemBundleWithRsaAndEcKeys) {
  auto set = KeySet::Parse(PemBundleFor({K().rs, K().es}), "keys.pem");
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_EQ((*set)->size(), 2u);
  EXPECT_EQ((*set)->Find("rs-1")->algorithm(), Algorithm::kRs256);
  EXPECT_EQ((*set)->Find("es-1")->algorithm(), Algorithm::kEs256);
}

TEST(KeySet, AcceptsCommentsBlankLinesAndCrlfInAPemBundle) {
  std::string text = absl::StrCat("# rotated 2026-01\n\n", "#kid=rs-1   alg=RS256\n", "\n",
                                  "#   comment between label and key\n", PublicKeyPem(K().rs),
                                  "\n\n", "  # kid=es-1\talg=ES256  \n", PublicKeyPem(K().es));
  std::string crlf = absl::StrReplaceAll(text, {{"\n", "\r\n"}});
  for (const std::string& bundle : {text, crlf}) {
    auto set = KeySet::Parse(bundle, "keys.pem");
    ASSERT_TRUE(set.ok()) << set.status();
    EXPECT_EQ((*set)->size(), 2u);
  }
}

TEST(KeySet, DetectsJwksDespiteLeadingWhitespaceAndByteOrderMark) {
  auto set = KeySet::Parse("\xEF\xBB\xBF \n\t" + JwksFor({K().es}), "keys.json");
  ASSERT_TRUE(set.ok()) << set.status();
  ASSERT_NE((*set)->SoleKey(), nullptr);
  EXPECT_EQ((*set)->SoleKey()->kid(), "es-1");
}

TEST(KeySet, IgnoresUnknownJwkMembersAndAcceptsVerifyKeyOps) {
  json jwk = PublicJwk(K().rs);
  jwk["x5t"] = "thumbprint";
  jwk["key_ops"] = json::array({"verify"});
  jwk.erase("use");
  auto set = KeySet::Parse(Dump(json{{"keys", {jwk}}, {"issuer", "x"}}), "keys.json");
  ASSERT_TRUE(set.ok()) << set.status();
}

TEST(KeySet, LoadsAFileAndReportsAMissingOne) {
  std::string path = ::testing::TempDir() + "/jwt_key_set_test_keys.json";
  ASSERT_TRUE(testing::WriteFile(path, JwksFor({K().hs, K().es})).ok());
  auto set = KeySet::Load(path);
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_EQ((*set)->size(), 2u);

  auto missing = KeySet::Load(::testing::TempDir() + "/no_such_jwt_keys.json");
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
}

TEST(KeySet, RefusesAFileLargerThanTheLimit) {
  std::string path = ::testing::TempDir() + "/jwt_key_set_test_big.pem";
  ASSERT_TRUE(testing::WriteFile(path, std::string(KeySet::kMaxFileBytes + 1, '#')).ok());
  auto set = KeySet::Load(path);
  EXPECT_EQ(set.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(std::string(set.status().message()).rfind(path, 0), 0u);
}

TEST(KeySet, ErrorsNameTheLoadedFile) {
  std::string path = ::testing::TempDir() + "/jwt_key_set_test_bad.json";
  ASSERT_TRUE(testing::WriteFile(path, R"({"keys":[{"kid":"a"}]})").ok());
  auto set = KeySet::Load(path);
  EXPECT_EQ(set.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(std::string(set.status().message()).rfind(path + ": keys[0] (kid a): ", 0), 0u)
      << set.status();
}

TEST(KeySet, AReloadedSetTellsWhichKeysStillStand) {
  TestKey rs2 = testing::MakeRsaKey("rs-2");
  auto before = KeySet::Parse(PemBundleFor({K().rs, K().es}), "keys.pem");
  auto after = KeySet::Parse(PemBundleFor({K().es, rs2}), "keys.pem");
  ASSERT_TRUE(before.ok() && after.ok());
  EXPECT_TRUE((*before)->Contains("rs-1"));
  EXPECT_FALSE((*after)->Contains("rs-1"));
  EXPECT_TRUE((*after)->Contains("es-1"));
  EXPECT_TRUE((*after)->Contains("rs-2"));
}

// --- Refused keys --------------------------------------------------------------------------

TEST(VerificationKey, RefusesHmacSecretShorterThan32Bytes) {
  EXPECT_FALSE(VerificationKey::FromHmacSecret("k", std::string(31, 'x')).ok());
  EXPECT_TRUE(VerificationKey::FromHmacSecret("k", std::string(32, 'x')).ok());
  auto set =
      KeySet::Parse(JwksFor({testing::MakeHmacKey("short", std::string(31, 's'))}), "k.json");
  ASSERT_FALSE(set.ok());
  EXPECT_NE(set.status().message().find("at least 32 bytes"), absl::string_view::npos);
}

TEST(VerificationKey, RefusesRsaKeysUnder2048Bits) {
  ExpectLoadError(JwksFor({K().rs_small}), "k.json",
                  "k.json: keys[0] (kid rs-small): ", "at least 2048 bits");
  ExpectLoadError(PemBundleFor({K().rs_small}), "k.pem", "k.pem: line 3: (kid rs-small) ",
                  "at least 2048 bits");
}

TEST(VerificationKey, RefusesNullAndSecretlessKeys) {
  EXPECT_FALSE(VerificationKey::FromPublicKey("k", Algorithm::kRs256, nullptr).ok());
  EVP_PKEY* key = EVP_PKEY_dup(K().rs.private_key.get());
  EXPECT_FALSE(VerificationKey::FromPublicKey("k", Algorithm::kHs256, key).ok());
}

struct JwksCase {
  std::string name;
  std::string text;
  std::string where;
  std::string what;
};

// Key 0 is always good, so the messages must name key 1.
std::string WithSecondKey(const json& second) { return Jwks({PublicJwk(K().rs), second}); }
json Edited(const TestKey& key, const std::function<void(json&)>& edit) {
  json jwk = PublicJwk(key);
  edit(jwk);
  return jwk;
}

TEST(KeySet, RefusesEveryBadJwksNamingTheKeyButNeverItsMaterial) {
  const std::string bad_alg = "alg must be HS256, RS256 or ES256";
  const std::string bad_kid = "kid must be 1-128 printable ASCII characters";
  const std::string bad_use = "use must be \"sig\"";
  const std::string bad_ne = "n and e must be base64url";
  const std::string bad_xy = "x and y must be base64url";
  const std::string at1 = "k.json: keys[1]: ";
  auto rs = [](const std::function<void(json&)>& edit) { return Edited(K().rs, edit); };
  auto es = [](const std::function<void(json&)>& edit) { return Edited(K().es, edit); };
  auto hs = [](const std::function<void(json&)>& edit) { return Edited(K().hs, edit); };
  std::string n = PublicJwk(K().rs)["n"];
  std::string y = PublicJwk(K().es)["y"];
  const std::vector<JwksCase> cases = {
      {"not json", "{\"keys\": [", "k.json: ", "not a JSON object"},
      {"array", absl::StrCat("[", Dump(PublicJwk(K().rs)), "]"), "k.json: ", "not a JSON object"},
      {"repeated keys member", R"({"keys":[],"keys":[]})", "k.json: ", "member name repeats"},
      {"no keys", "{}", "k.json: ", "needs a \"keys\" array"},
      {"keys not an array", R"({"keys":{"kid":"a"}})", "k.json: ", "needs a \"keys\" array"},
      {"empty keys", R"({"keys":[]})", "k.json: ", "no keys"},
      {"key not an object", WithSecondKey(json("rs-1")), at1, "not a JSON object"},
      {"no kid", WithSecondKey(rs([](json& j) { j.erase("kid"); })), at1, bad_kid},
      {"empty kid", WithSecondKey(rs([](json& j) { j["kid"] = ""; })), at1, bad_kid},
      {"long kid", WithSecondKey(rs([](json& j) { j["kid"] = std::string(129, 'a'); })), at1,
       bad_kid},
      {"kid with space", WithSecondKey(rs([](json& j) { j["kid"] = "a b"; })), at1, bad_kid},
      {"kid not ASCII", WithSecondKey(rs([](json& j) { j["kid"] = "caf\xC3\xA9"; })), at1, bad_kid},
      {"kid a number", WithSecondKey(rs([](json& j) { j["kid"] = 1; })), at1, bad_kid},
      {"repeated kid", WithSecondKey(PublicJwk(K().rs)),
       "k.json: keys[1] (kid rs-1): ", "already used"},
      {"no alg", WithSecondKey(es([](json& j) { j.erase("alg"); })),
       "k.json: keys[1] (kid es-1): ", bad_alg},
      {"alg none", WithSecondKey(es([](json& j) { j["alg"] = "none"; })), "k.json: keys[1] ",
       bad_alg},
      {"alg lowercase", WithSecondKey(es([](json& j) { j["alg"] = "es256"; })), "k.json: keys[1] ",
       bad_alg},
      {"alg unsupported", WithSecondKey(es([](json& j) { j["alg"] = "ES384"; })),
       "k.json: keys[1] ", bad_alg},
      {"use enc", WithSecondKey(es([](json& j) { j["use"] = "enc"; })), "k.json: keys[1] ",
       bad_use},
      {"use number", WithSecondKey(es([](json& j) { j["use"] = 1; })), "k.json: keys[1] ", bad_use},
      {"key_ops without verify",
       WithSecondKey(es([](json& j) { j["key_ops"] = json::array({"sign"}); })), "k.json: keys[1] ",
       bad_use},
      {"key_ops not an array", WithSecondKey(es([](json& j) { j["key_ops"] = "verify"; })),
       "k.json: keys[1] ", bad_use},
      {"RS256 with kty EC", WithSecondKey(es([](json& j) { j["alg"] = "RS256"; })),
       "k.json: keys[1] ", "RS256 needs kty RSA"},
      {"ES256 with kty RSA", WithSecondKey(rs([](json& j) {
         j["kid"] = "rs-2";
         j["alg"] = "ES256";
       })),
       "k.json: keys[1] (kid rs-2): ", "ES256 needs kty EC"},
      {"HS256 with kty RSA", WithSecondKey(rs([](json& j) {
         j["kid"] = "rs-2";
         j["alg"] = "HS256";
       })),
       "k.json: keys[1] ", "HS256 needs kty oct"},
      {"no kty", WithSecondKey(es([](json& j) { j.erase("kty"); })), "k.json: keys[1] ",
       "ES256 needs kty EC"},
      {"no n", WithSecondKey(rs([](json& j) {
         j["kid"] = "rs-2";
         j.erase("n");
       })),
       "k.json: keys[1] ", bad_ne},
      {"n padded", WithSecondKey(rs([&](json& j) {
         j["kid"] = "rs-2";
         j["n"] = n + "==";
       })),
       "k.json: keys[1] ", bad_ne},
      {"n standard base64", WithSecondKey(rs([&](json& j) {
         j["kid"] = "rs-2";
         j["n"] = absl::StrReplaceAll(n, {{"-", "+"}, {"_", "/"}}) + "+";
       })),
       "k.json: keys[1] ", bad_ne},
      {"n with a leading zero byte", WithSecondKey(rs([&](json& j) {
         j["kid"] = "rs-2";
         j["n"] = common::Base64UrlEncode(std::string(1, '\0') + *common::Base64UrlDecode(n));
       })),
       "k.json: keys[1] ", bad_ne},
      {"n a number", WithSecondKey(rs([](json& j) {
         j["kid"] = "rs-2";
         j["n"] = 12345;
       })),
       "k.json: keys[1] ", bad_ne},
      {"empty e", WithSecondKey(rs([](json& j) {
         j["kid"] = "rs-2";
         j["e"] = "";
       })),
       "k.json: keys[1] ", bad_ne},
      {"e of 3", WithSecondKey(rs([](json& j) {
         j["kid"] = "rs-2";
         j["e"] = "Aw";
       })),
       "k.json: keys[1] ", "e must be odd"},
      {"e of 2^256 + 1", WithSecondKey(rs([](json& j) {
         j["kid"] = "rs-2";
         j["e"] = common::Base64UrlEncode("\x01" + std::string(31, '\0') + "\x01");
       })),
       "k.json: keys[1] ", "e must be odd"},
      {"even e", WithSecondKey(rs([](json& j) {
         j["kid"] = "rs-2";
         j["e"] = "AQAC";
       })),
       "k.json: keys[1] ", "e must be odd"},
      {"even n", WithSecondKey(rs([&](json& j) {
         j["kid"] = "rs-2";
         std::string bytes = *common::Base64UrlDecode(n);
         bytes.back() = static_cast<char>(bytes.back() & ~1);
         j["n"] = common::Base64UrlEncode(bytes);
       })),
       "k.json: keys[1] ", "the public key is not valid"},
      {"RSA private key", WithSecondKey(rs([&](json& j) {
         j["kid"] = "rs-2";
         j["d"] = n;
       })),
       "k.json: keys[1] ", "private key"},
      {"EC private key", WithSecondKey(es([&](json& j) { j["d"] = y; })), "k.json: keys[1] ",
       "private key"},
      {"crv P-384", WithSecondKey(PublicJwk(K().es_p384)),
       "k.json: keys[1] (kid es-384): ", "ES256 needs crv P-256"},
      {"no crv", WithSecondKey(es([](json& j) { j.erase("crv"); })), "k.json: keys[1] ",
       "ES256 needs crv P-256"},
      {"x of 31 bytes", WithSecondKey(es([](json& j) {
         j["x"] = common::Base64UrlEncode(
             (*common::Base64UrlDecode(j["x"].get<std::string>())).substr(1));
       })),
       "k.json: keys[1] ", bad_xy},
      {"no y", WithSecondKey(es([](json& j) { j.erase("y"); })), "k.json: keys[1] ", bad_xy},
      {"y padded", WithSecondKey(es([&](json& j) { j["y"] = y + "="; })), "k.json: keys[1] ",
       bad_xy},
      {"point not on the curve", WithSecondKey(es([&](json& j) {
         std::string bytes = *common::Base64UrlDecode(y);
         bytes[5] = static_cast<char>(bytes[5] ^ 0x40);
         j["y"] = common::Base64UrlEncode(bytes);
       })),
       "k.json: keys[1] ", "not a point on P-256"},
      {"no k", WithSecondKey(hs([](json& j) { j.erase("k"); })),
       "k.json: keys[1] (kid hs-1): ", "k must be base64url"},
      {"k padded", WithSecondKey(hs([](json& j) { j["k"] = j["k"].get<std::string>() + "="; })),
       "k.json: keys[1] ", "k must be base64url"},
      {"k of 31 bytes",
       WithSecondKey(hs([](json& j) { j["k"] = common::Base64UrlEncode(std::string(31, 'q')); })),
       "k.json: keys[1] ", "at least 32 bytes"},
  };
  for (const JwksCase& c : cases) {
    SCOPED_TRACE(c.name);
    ExpectLoadError(c.text, "k.json", c.where, c.what);
  }
}

TEST(KeySet, RefusesEveryBadPemBundleNamingTheLineButNeverQuotingIt) {
  const std::string rs_pem = PublicKeyPem(K().rs);
  const std::string es_pem = PublicKeyPem(K().es);
  const std::string good = Label("rs-1", "RS256") + rs_pem;  // lines 1-10 or so
  const std::string no_label = "a key block must follow a '# kid=<kid> alg=<RS256|ES256>' line";
  const std::string bad_label = "a key label must read";
  std::string corrupt = rs_pem;
  corrupt[40] = '*';
  std::string truncated =
      rs_pem.substr(0, rs_pem.find('\n', rs_pem.size() / 2) + 1) + "-----END PUBLIC KEY-----\n";
  std::string pkcs1 = absl::StrReplaceAll(rs_pem, {{"PUBLIC KEY", "RSA PUBLIC KEY"}});
  std::string wrong_end = absl::StrReplaceAll(rs_pem, {{"END PUBLIC KEY", "END RSA PUBLIC KEY"}});
  std::string unclosed = rs_pem.substr(0, rs_pem.find("-----END"));
  std::string with_headers = absl::StrReplaceAll(
      rs_pem,
      {{"-----BEGIN PUBLIC KEY-----\n",
        "-----BEGIN PUBLIC KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00\n\n"}});
  const std::vector<JwksCase> cases = {
      {"empty", "", "k.pem: ", "no keys"},
      {"only comments", "# nothing here\n\n# kid list: none\n", "k.pem: ", "no keys"},
      {"block without label", "\n" + rs_pem, "k.pem: line 2: ", no_label},
      {"label out of order", "# alg=RS256 kid=rs-1\n" + rs_pem, "k.pem: line 2: ", no_label},
      {"label without block at the end", good + "\n" + Label("es-1", "ES256"),
       "k.pem: line 12: ", "not followed by a key block"},
      {"two labels in a row", Label("rs-1", "RS256") + Label("es-1", "ES256") + es_pem,
       "k.pem: line 1: ", "not followed by a key block"},
      {"label without alg", "# kid=rs-1\n" + rs_pem, "k.pem: line 1: ", bad_label},
      {"label with extra field", "# kid=rs-1 alg=RS256 use=sig\n" + rs_pem,
       "k.pem: line 1: ", bad_label},
      {"label with bad kid", Label(std::string(129, 'k'), "RS256") + rs_pem,
       "k.pem: line 1: ", "kid must be 1-128 printable ASCII characters"},
      {"label with empty kid", Label("", "RS256") + rs_pem,
       "k.pem: line 1: ", "kid must be 1-128 printable ASCII characters"},
      {"HS256 label", Label("hs-1", "HS256") + rs_pem,
       "k.pem: line 1: ", "configure them in a JWKS file"},
      {"alg none", Label("rs-1", "none") + rs_pem, "k.pem: line 1: ", "alg must be RS256 or ES256"},
      {"alg lowercase", Label("rs-1", "rs256") + rs_pem,
       "k.pem: line 1: ", "alg must be RS256 or ES256"},
      {"repeated kid", good + Label("rs-1", "ES256") + es_pem, "k.pem: line 11: (kid rs-1) ",
       "already used"},
      {"private key", Label("rs-1", "RS256") + PrivateKeyPem(K().rs),
       "k.pem: line 2: ", "this is a private key"},
      {"EC private key", Label("es-1", "ES256") + PrivateKeyPem(K().es),
       "k.pem: line 2: ", "this is a private key"},
      {"certificate", Label("rs-1", "RS256") + "-----BEGIN CERTIFICATE-----\nMIIB\n",
       "k.pem: line 2: ", "only -----BEGIN PUBLIC KEY----- blocks"},
      {"PKCS#1 RSA public key", Label("rs-1", "RS256") + pkcs1,
       "k.pem: line 2: ", "only -----BEGIN PUBLIC KEY----- blocks"},
      {"text outside a block", good + "trailing words\n",
       "k.pem: line 11: ", "unexpected text outside a key block"},
      {"bare base64 outside a block", good + rs_pem.substr(27),
       "k.pem: line 11: ", "unexpected text outside a key block"},
      {"unclosed block", Label("rs-1", "RS256") + unclosed, "k.pem: line 2: ", "not closed"},
      {"wrong END line", Label("rs-1", "RS256") + wrong_end, "k.pem: line ", "must end with"},
      {"corrupt base64", Label("rs-1", "RS256") + corrupt,
       "k.pem: line 2: ", "not a DER SubjectPublicKeyInfo"},
      {"truncated DER", Label("rs-1", "RS256") + truncated,
       "k.pem: line 2: ", "not a DER SubjectPublicKeyInfo"},
      {"PEM headers in the block", Label("rs-1", "RS256") + with_headers,
       "k.pem: line 2: ", "not a DER SubjectPublicKeyInfo"},
      {"bytes after the DER", Label("rs-1", "RS256") + PemBlock(PublicKeyDer(K().rs) + '\0'),
       "k.pem: line 2: ", "not a DER SubjectPublicKeyInfo"},
      {"RSA key labelled ES256", Label("rs-1", "ES256") + rs_pem, "k.pem: line 2: (kid rs-1) ",
       "ES256 needs an EC key on the named curve P-256"},
      {"EC key labelled RS256", Label("es-1", "RS256") + es_pem, "k.pem: line 2: (kid es-1) ",
       "RS256 needs an RSA key"},
      {"EC key on P-384", Label("es-384", "ES256") + PublicKeyPem(K().es_p384),
       "k.pem: line 2: (kid es-384) ", "P-256"},
      {"RSA-PSS key", Label("pss", "RS256") + PublicKeyPem(K().rsa_pss),
       "k.pem: line 2: ", "RS256 needs an RSA key"},
      {"Ed25519 key", Label("ed", "ES256") + PublicKeyPem(K().ed25519),
       "k.pem: line 2: ", "ES256 needs an EC key"},
  };
  ASSERT_EQ(std::count(good.begin(), good.end(), '\n'), 10);
  // The helper itself makes blocks that load, so the two cases above fail for their reason.
  ASSERT_TRUE(KeySet::Parse(Label("rs-1", "RS256") + PemBlock(PublicKeyDer(K().rs)), "k").ok());
  for (const JwksCase& c : cases) {
    SCOPED_TRACE(c.name);
    ExpectLoadError(c.text, "k.pem", c.where, c.what);
  }
}

}  // namespace
}  // namespace streamgate::gateway::jwt
