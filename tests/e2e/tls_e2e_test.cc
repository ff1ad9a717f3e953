// wss:// end to end: TLS with a CA made at test time by openssl, both listeners at once,
// and certificates reloaded on SIGHUP without dropping running connections.
#include <signal.h>
#include <sys/wait.h>

#include <regex>

#include "gtest/gtest.h"
#include "tests/e2e/e2e_helpers.h"
#include "tests/support/test_pki.h"

namespace streamgate::testing {
namespace {

class TlsE2e : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string error;
    pki_ = TestPki::Create(&error);
    ASSERT_NE(pki_, nullptr) << error;
  }

  void Start(std::vector<std::string> llm_args, std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"--tls-cert=" + pki_->server_pem(),
                                     "--tls-key=" + pki_->server_key()};
    args.insert(args.end(), extra.begin(), extra.end());
    pair_ = std::make_unique<StreamgatePair>(PairArgs(std::move(llm_args), std::move(args)));
    ASSERT_TRUE(pair_->ok());
  }

  WsTestClient::ConnectOptions Wss() {
    WsTestClient::ConnectOptions options;
    options.tls_ca_file = pki_->ca_pem();
    return options;
  }

  std::unique_ptr<TestPki> pki_;
  std::unique_ptr<StreamgatePair> pair_;
};

TEST_F(TlsE2e, ARepliesStreamsOverWss) {
  Start({"--mock-chunk-delay-ms=0"});
  WsTestClient client;
  ASSERT_TRUE(client.Connect(pair_->gateway_port(), Wss()));
  ASSERT_TRUE(client.ReadUntilType("connection_established").has_value());
  ASSERT_TRUE(client.SendJson(UserMessage("over tls")));
  Reply reply = ReadReply(client);
  ASSERT_TRUE(reply.end.has_value());
  EXPECT_EQ(reply.text, "Echo: over tls");
  EXPECT_TRUE(pair_->gateway().WaitForLine(std::regex("session open .*tls=true"), 5s));
  // The page and health over https too.
  auto health = HttpRequest(pair_->gateway_port(), boost::beast::http::verb::get, "/healthz", {},
                            "", 5s, pki_->ca_pem());
  EXPECT_EQ(health.status, 200);
}

TEST_F(TlsE2e, AClearTextClientGetsNoSessionOnTheTlsPort) {
  Start({"--mock-chunk-delay-ms=0"});
  WsTestClient plain;
  EXPECT_FALSE(plain.Connect(pair_->gateway_port()));
  EXPECT_NE(plain.handshake_status(), 101);
  // A client that does not trust the CA refuses the gateway.
  WsTestClient::ConnectOptions wrong_ca;
  wrong_ca.tls_ca_file = pki_->other_ca_pem();
  WsTestClient distrustful;
  EXPECT_FALSE(distrustful.Connect(pair_->gateway_port(), wrong_ca));
}

TEST_F(TlsE2e, PlainAndTlsListenersCanBothBeOn) {
  Start({"--mock-chunk-delay-ms=0"}, {"--tls-port=0"});
  auto tls_port = pair_->gateway().WaitForLine(std::regex(R"(listening .*tls_port=(\d+))"), 5s);
  ASSERT_TRUE(tls_port.has_value());
  WsTestClient secure, plain;
  ASSERT_TRUE(secure.Connect(std::stoi(*tls_port), Wss()));
  ASSERT_TRUE(plain.Connect(pair_->gateway_port()));
  EXPECT_NE(std::stoi(*tls_port), pair_->gateway_port());
  for (WsTestClient* client : {&secure, &plain}) {
    ASSERT_TRUE(client->ReadUntilType("connection_established").has_value());
    ASSERT_TRUE(client->SendJson(UserMessage("both")));
    EXPECT_TRUE(ReadReply(*client).end.has_value());
  }
}

TEST_F(TlsE2e, SighupLoadsANewCertificateAndRunningConnectionsKeepStreaming) {
  Start({"--mock-chunk-delay-ms=10", "--mock-extra-words=150"});
  WsTestClient running;
  ASSERT_TRUE(running.Connect(pair_->gateway_port(), Wss()));
  std::string old_fingerprint = running.peer_certificate_fingerprint();
  ASSERT_FALSE(old_fingerprint.empty());
  ASSERT_TRUE(running.ReadUntilType("connection_established").has_value());
  ASSERT_TRUE(running.SendJson(UserMessage("keep going")));
  ASSERT_TRUE(running.ReadUntilType("stream_chunk").has_value());

  std::string error;
  auto rotated = pki_->Issue("server2", TestPki::Signer::kCa, TestPki::Usage::kServer, &error);
  ASSERT_NE(rotated, nullptr) << error;
  ASSERT_TRUE(WriteTextFile(pki_->server_pem(), ReadTextFile(rotated->cert)));
  ASSERT_TRUE(WriteTextFile(pki_->server_key(), ReadTextFile(rotated->key)));
  size_t from = pair_->gateway().LineCount();
  pair_->gateway().Signal(SIGHUP);
  ASSERT_TRUE(pair_->gateway().WaitForLine(std::regex("reloaded ok=true"), 5s, from));

  WsTestClient fresh;
  ASSERT_TRUE(fresh.Connect(pair_->gateway_port(), Wss()));
  EXPECT_NE(fresh.peer_certificate_fingerprint(), old_fingerprint);
  Reply rest = ReadReply(running, 20s);
  EXPECT_TRUE(rest.end.has_value());
  EXPECT_FALSE(rest.error.has_value());
}

TEST_F(TlsE2e, ABrokenCertificateOnReloadKeepsTheOldOne) {
  Start({"--mock-chunk-delay-ms=0"});
  WsTestClient before;
  ASSERT_TRUE(before.Connect(pair_->gateway_port(), Wss()));
  std::string fingerprint = before.peer_certificate_fingerprint();
  ASSERT_TRUE(WriteTextFile(pki_->server_pem(), "not a certificate\n"));
  size_t from = pair_->gateway().LineCount();
  pair_->gateway().Signal(SIGHUP);
  ASSERT_TRUE(pair_->gateway().WaitForLine(std::regex("reloaded ok=false"), 5s, from));
  WsTestClient after;
  ASSERT_TRUE(after.Connect(pair_->gateway_port(), Wss()));
  EXPECT_EQ(after.peer_certificate_fingerprint(), fingerprint);
}

TEST_F(TlsE2e, ABadCertificateAtStartIsAClearError) {
  ASSERT_TRUE(WriteTextFile(pki_->server_key(), ReadTextFile(pki_->client_key())));
  ChildProcess gateway({GatewayBinary(), "--port=0", "--tls-cert=" + pki_->server_pem(),
                        "--tls-key=" + pki_->server_key()});
  auto status = gateway.WaitForExit(10s);
  ASSERT_TRUE(status.has_value());
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 2);
  // OpenSSL notices the mismatch while loading the key, or our check right after it.
  EXPECT_TRUE(std::regex_search(gateway.OutputForDiagnostics(),
                                std::regex("--tls-key .*(mismatch|does not belong)")))
      << gateway.OutputForDiagnostics();
}

}  // namespace
}  // namespace streamgate::testing
