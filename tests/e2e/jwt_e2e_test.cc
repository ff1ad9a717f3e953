// --auth jwt end to end: tokens in the header and the subprotocol, every forgery refused
// with the same 401 and nothing of the token in any log line, and a long-lived connection
// whose token expires: token_expired, then authenticate, or a close with 4001.
#include <regex>
#include <thread>

#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "tests/e2e/e2e_helpers.h"
#include "tests/gateway/jwt/jwt_test_signer.h"
#include "tests/support/temp_dir.h"

namespace streamgate::testing {
namespace {

namespace jwt = gateway::jwt;
namespace signer = gateway::jwt::testing;

constexpr char kIssuer[] = "https://issuer.test";
constexpr char kAudience[] = "streamgate";

class JwtE2e : public ::testing::Test {
 protected:
  void SetUp() override {
    rsa_ = signer::MakeRsaKey("rs-1");
    ec_ = signer::MakeEcKey("es-1");
    std::string keys = dir_.Write("jwks.json", signer::JwksFor({rsa_, ec_}));
    pair_ = std::make_unique<StreamgatePair>(
        PairArgs({"--mock-chunk-delay-ms=0"},
                 {"--auth=jwt", "--jwt-keys-file=" + keys, std::string("--jwt-issuer=") + kIssuer,
                  std::string("--jwt-audience=") + kAudience, "--jwt-leeway=1s"}));
    ASSERT_TRUE(pair_->ok());
  }

  nlohmann::json Claims(std::string sub = "alice", absl::Duration lifetime = absl::Minutes(5)) {
    nlohmann::json claims = signer::ClaimsFor(sub, absl::Now(), lifetime);
    claims["iss"] = kIssuer;
    claims["aud"] = kAudience;
    return claims;
  }
  std::string Token(const signer::TestKey& key, const nlohmann::json& claims) {
    tokens_.push_back(signer::Sign(key, signer::HeaderFor(key), claims));
    return tokens_.back();
  }

  // The handshake status for a token in the Authorization header.
  int StatusFor(const std::string& token) {
    tokens_.push_back(token);
    WsTestClient client;
    WsTestClient::ConnectOptions options;
    options.headers = {{"Authorization", "Bearer " + token}};
    client.Connect(pair_->gateway_port(), options);
    return client.handshake_status();
  }

  void ExpectNoTokenLogged() {
    for (const auto& token : tokens_) {
      std::string signature = token.substr(token.rfind('.') + 1);
      for (const auto& line : pair_->gateway().Lines()) {
        ASSERT_EQ(line.find(token), std::string::npos) << line;
        if (signature.size() >= 8) ASSERT_EQ(line.find(signature), std::string::npos) << line;
      }
    }
  }

  TempDir dir_;
  signer::TestKey rsa_;
  signer::TestKey ec_;
  std::vector<std::string> tokens_;
  std::unique_ptr<StreamgatePair> pair_;
};

TEST_F(JwtE2e, ValidRs256AndEs256TokensOpenSessionsForTheirSubject) {
  for (const auto* key : {&rsa_, &ec_}) {
    WsTestClient client;
    WsTestClient::ConnectOptions options;
    options.headers = {{"Authorization", "Bearer " + Token(*key, Claims("user-" + key->kid))}};
    ASSERT_TRUE(client.Connect(pair_->gateway_port(), options)) << key->kid;
    ASSERT_TRUE(client.ReadUntilType("connection_established").has_value());
    ASSERT_TRUE(client.SendJson(UserMessage("hi")));
    EXPECT_TRUE(ReadReply(client).end.has_value());
    EXPECT_TRUE(pair_->gateway()
                    .WaitForLine(std::regex("session open .*identity=user-" + key->kid), 5s)
                    .has_value());
  }
  ExpectNoTokenLogged();
}

TEST_F(JwtE2e, ATokenOfferedAsASubprotocolIsNeverEchoed) {
  WsTestClient client;
  WsTestClient::ConnectOptions options;
  options.subprotocols = "streamgate.v1, streamgate.bearer." + Token(ec_, Claims());
  ASSERT_TRUE(client.Connect(pair_->gateway_port(), options));
  EXPECT_EQ(client.response_header("Sec-WebSocket-Protocol"), "streamgate.v1");
  ExpectNoTokenLogged();
}

TEST_F(JwtE2e, EveryForgeryAndBadClaimIsRefusedWith401) {
  auto now = absl::Now();
  nlohmann::json none_header = {{"alg", "none"}, {"typ", "JWT"}, {"kid", "rs-1"}};
  std::string alg_none = signer::Segment(none_header) + "." + signer::Segment(Claims()) + ".";
  nlohmann::json hs_header = {{"alg", "HS256"}, {"typ", "JWT"}, {"kid", "rs-1"}};
  std::string key_confusion =
      signer::SignHs256WithSecret(signer::PublicKeyPem(rsa_), hs_header, Claims());
  auto wrong_aud = Claims();
  wrong_aud["aud"] = "someone-else";
  auto wrong_iss = Claims();
  wrong_iss["iss"] = "https://evil.test";
  auto future = Claims();
  future["nbf"] = absl::ToUnixSeconds(now + absl::Minutes(5));
  auto expired = Claims("alice", absl::Minutes(-5));
  auto no_exp = Claims();
  no_exp.erase("exp");
  auto oversize = Claims();
  oversize["padding"] = std::string(9000, 'x');
  signer::TestKey stranger = signer::MakeRsaKey("unknown-kid");
  std::string good = Token(rsa_, Claims());
  std::string tampered = good;
  tampered[tampered.find('.') + 5] ^= 1;

  for (const std::string& token :
       {alg_none, key_confusion, Token(rsa_, wrong_aud), Token(rsa_, wrong_iss),
        Token(rsa_, future), Token(ec_, expired), Token(ec_, no_exp), Token(rsa_, oversize),
        Token(stranger, Claims()), tampered, std::string("a.b.c")}) {
    EXPECT_EQ(StatusFor(token), 401) << token.substr(0, 40);
  }
  EXPECT_EQ(StatusFor(good), 101);
  ExpectNoTokenLogged();
}

TEST_F(JwtE2e, AnExpiredTokenGetsTokenExpiredAndAnAuthenticateKeepsTheSession) {
  WsTestClient client;
  WsTestClient::ConnectOptions options;
  nlohmann::json short_lived = Claims("alice", absl::Seconds(2));
  // The first token's deadline: its exp plus the 1 s leeway.
  absl::Time deadline = absl::FromUnixSeconds(short_lived["exp"].get<int64_t>()) + absl::Seconds(1);
  std::string first_token = Token(rsa_, short_lived);
  options.headers = {{"Authorization", "Bearer " + first_token}};
  ASSERT_TRUE(client.Connect(pair_->gateway_port(), options));
  auto hello = client.ReadUntilType("connection_established");
  ASSERT_TRUE(hello.has_value());
  auto expired = client.ReadUntilType("error", 10s);
  ASSERT_TRUE(expired.has_value());
  EXPECT_EQ((*expired)["code"], "token_expired");

  // The token that just expired (still inside the leeway) is no renewal.
  ASSERT_TRUE(client.SendJson({{"type", "authenticate"}, {"token", first_token}}));
  auto stale = client.ReadUntilType("error");
  ASSERT_TRUE(stale.has_value());
  EXPECT_EQ((*stale)["code"], "unauthenticated");

  // Another identity's token does not renew this connection.
  ASSERT_TRUE(
      client.SendJson({{"type", "authenticate"}, {"token", Token(rsa_, Claims("mallory"))}}));
  auto refused = client.ReadUntilType("error");
  ASSERT_TRUE(refused.has_value());
  EXPECT_EQ((*refused)["code"], "unauthenticated");

  ASSERT_TRUE(client.SendJson({{"type", "authenticate"}, {"token", Token(ec_, Claims("alice"))}}));
  auto renewed = client.ReadUntilType("authenticated");
  ASSERT_TRUE(renewed.has_value());
  EXPECT_GT((*renewed)["expiresInMs"].get<int64_t>(), 60000);
  // One expiry told, two renewals refused (stale, another identity).
  auto failures = [&](const std::string& reason) {
    return GatewayMetric(pair_->gateway_port(),
                         "streamgate_gateway_auth_failures_total{reason=\"" + reason + "\"}");
  };
  EXPECT_EQ(failures("expired"), 1);
  EXPECT_EQ(failures("renewal"), 2);
  // The old token's deadline passing is the behaviour under test: wait for it (a timed-out
  // read would end the client's stream), then the session must still be there.
  std::this_thread::sleep_for(absl::ToChronoMilliseconds(deadline - absl::Now()) + 300ms);
  ASSERT_TRUE(client.SendJson(UserMessage("still me")));
  Reply reply = ReadReply(client, 10s);
  EXPECT_TRUE(reply.end.has_value());
  EXPECT_EQ((*hello)["sessionId"], reply.end->value("sessionId", ""));
  ExpectNoTokenLogged();
}

TEST_F(JwtE2e, AnExpiredTokenNotRenewedWithinTheLeewayIsClosedWith4001) {
  WsTestClient client;
  WsTestClient::ConnectOptions options;
  options.headers = {{"Authorization", "Bearer " + Token(rsa_, Claims("alice", absl::Seconds(1)))}};
  ASSERT_TRUE(client.Connect(pair_->gateway_port(), options));
  std::vector<Json> frames;
  EXPECT_FALSE(client.ReadUntilType("never", 10s, &frames).has_value());
  EXPECT_EQ(client.server_close_reason().code, 4001);
  EXPECT_EQ(client.server_close_reason().reason, "token expired");
  ASSERT_GE(frames.size(), 2u);
  EXPECT_EQ(frames.back()["code"], "token_expired");
}

TEST(AuthenticateE2e, OnAConnectionWithoutATokenItIsAnInvalidMessage) {
  StreamgatePair plain;
  ASSERT_TRUE(plain.ok());
  WsTestClient client;
  ASSERT_FALSE(Open(client, plain.gateway_port()).empty());
  ASSERT_TRUE(client.SendJson({{"type", "authenticate"}, {"token", "x.y.z"}}));
  auto error = client.ReadUntilType("error");
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ((*error)["code"], "invalid_message");
}

}  // namespace
}  // namespace streamgate::testing
