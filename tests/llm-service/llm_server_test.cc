// LlmServer in process, on 127.0.0.1:0 with the mock provider: the bearer-token door, health
// without a token, TLS and mTLS, reload of tokens and certificates, the request size bound.
#include "llm-service/llm_server.h"

#include <stdlib.h>

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "llm-service/mock_provider.h"
#include "tests/llm-service/llm_test_client.h"
#include "tests/support/test_pki.h"

namespace streamgate::llm {
namespace {

using namespace std::chrono_literals;
using testing::ChatOnce;
using testing::OneMessage;
using testing::Presenting;
using testing::TestChannel;
using testing::TestPki;
using testing::Trusting;

// A temporary directory for token files, removed with the object.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "llm-server-test-XXXXXX");
    path_ = mkdtemp(pattern.data()) != nullptr ? pattern : "";
  }
  ~TempDir() {
    std::error_code ignored;
    if (!path_.empty()) std::filesystem::remove_all(path_, ignored);
  }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

class LlmServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    provider_ = std::make_unique<MockProvider>(
        MockProviderOptions{.chunk_delay = absl::ZeroDuration(), .extra_words = 0});
    config_.bind = "127.0.0.1";
    config_.port = 0;
    tool_a_ = *common::MakeCredential("tool-a");
    tool_b_ = *common::MakeCredential("tool-b");
  }
  void TearDown() override {
    server_.reset();
    provider_->Shutdown();
  }

  void WriteTokens(const std::vector<std::string>& lines) {
    std::string text = "# test tokens\n";
    for (const auto& line : lines) absl::StrAppend(&text, line, "\n");
    ASSERT_TRUE(testing::WriteTextFile(tokens_file_, text));
  }

  void StartServer() {
    auto server = LlmServer::Start(config_, provider_.get());
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
  }

  std::unique_ptr<TestPki> MakePki() {
    std::string error;
    auto pki = TestPki::Create(&error);
    EXPECT_NE(pki, nullptr) << error;
    return pki;
  }

  TempDir temp_;
  const std::string tokens_file_ = temp_.File("tokens");
  LlmServiceConfig config_;
  std::unique_ptr<MockProvider> provider_;
  std::unique_ptr<LlmServer> server_;
  common::NewCredential tool_a_;
  common::NewCredential tool_b_;
};

TEST_F(LlmServerTest, EveryCallButHealthNeedsAValidTokenCheckedBeforeTheService) {
  WriteTokens({tool_a_.line});
  config_.auth_tokens_file = tokens_file_;
  StartServer();
  auto channel = TestChannel(server_->port());
  std::string wrong_secret = tool_a_.secret;
  wrong_secret.back() = wrong_secret.back() == 'x' ? 'y' : 'x';
  struct Case {
    std::string name;
    std::string authorization;  // "" for no metadata at all
  };
  for (const Case& c : std::vector<Case>{{"missing", ""},
                                         {"malformed", "Bearer not-a-token"},
                                         {"unknown key", "Bearer " + tool_b_.secret},
                                         {"wrong secret", "Bearer " + wrong_secret},
                                         {"other scheme", "Basic " + tool_a_.secret}}) {
    auto stub = v1::LlmService::NewStub(channel);
    grpc::ClientContext context;
    if (!c.authorization.empty()) context.AddMetadata("authorization", c.authorization);
    auto reader = stub->StreamChat(&context, OneMessage("hi"));
    v1::StreamChatResponse message;
    EXPECT_FALSE(reader->Read(&message)) << c.name;
    grpc::Status status = reader->Finish();
    EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED) << c.name;
    EXPECT_EQ(status.error_message(), CallAuthenticator::kRefusedMessage) << c.name;
  }
  // None of them reached the service, let alone the provider.
  EXPECT_EQ(server_->calls().total_started(), 0);

  auto ok = ChatOnce(channel, OneMessage("hello"), tool_a_.secret);
  ASSERT_TRUE(ok.status.ok()) << ok.status.error_message();
  EXPECT_EQ(ok.text, "Echo: hello");
  EXPECT_EQ(server_->calls().total_started(), 1);

  std::string serving;
  grpc::Status health = testing::HealthCheck(channel, &serving);
  ASSERT_TRUE(health.ok()) << health.error_message();
  EXPECT_EQ(serving, "SERVING");
}

TEST_F(LlmServerTest, WithoutATokenFileNoTokenIsNeeded) {
  StartServer();
  auto outcome = ChatOnce(TestChannel(server_->port()), OneMessage("plain"));
  ASSERT_TRUE(outcome.status.ok()) << outcome.status.error_message();
  EXPECT_EQ(outcome.text, "Echo: plain");
  EXPECT_EQ(server_->Describe(), "tls=off auth=none");
}

TEST_F(LlmServerTest, ReloadSwapsTheTokensAndABadFileKeepsThem) {
  WriteTokens({tool_a_.line, tool_b_.line});
  config_.auth_tokens_file = tokens_file_;
  StartServer();
  auto channel = TestChannel(server_->port());
  EXPECT_TRUE(ChatOnce(channel, OneMessage("a"), tool_a_.secret).status.ok());
  EXPECT_TRUE(ChatOnce(channel, OneMessage("b"), tool_b_.secret).status.ok());

  WriteTokens({tool_b_.line});
  server_->Reload();
  EXPECT_EQ(ChatOnce(channel, OneMessage("a"), tool_a_.secret).status.error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_TRUE(ChatOnce(channel, OneMessage("b"), tool_b_.secret).status.ok());

  ASSERT_TRUE(testing::WriteTextFile(tokens_file_, "this is not a token file\n"));
  server_->Reload();
  EXPECT_TRUE(ChatOnce(channel, OneMessage("b"), tool_b_.secret).status.ok());
  EXPECT_EQ(server_->Describe(), "tls=off auth=tokens entries=1");
}

TEST_F(LlmServerTest, StartFailsOnAnUnreadableOrBadTokenFile) {
  config_.auth_tokens_file = temp_.File("missing");
  EXPECT_FALSE(LlmServer::Start(config_, provider_.get()).ok());
  ASSERT_TRUE(testing::WriteTextFile(tokens_file_, tool_a_.secret + "\n"));  // a secret, not a line
  config_.auth_tokens_file = tokens_file_;
  auto server = LlmServer::Start(config_, provider_.get());
  ASSERT_FALSE(server.ok());
  // The message points at the line; it never repeats what the line holds.
  EXPECT_EQ(server.status().message().find(tool_a_.secret), absl::string_view::npos)
      << server.status();
}

TEST_F(LlmServerTest, RequestsAboveMaxRequestBytesGetResourceExhausted) {
  config_.max_request_bytes = 64 * 1024;
  StartServer();
  auto channel = TestChannel(server_->port());
  EXPECT_TRUE(ChatOnce(channel, OneMessage(std::string(60 * 1024, 'a'))).status.ok());
  auto big = ChatOnce(channel, OneMessage(std::string(100 * 1024, 'a')));
  EXPECT_EQ(big.status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(server_->calls().total_started(), 1);
}

// Who answers, for the gateway's top bar and for tools: the provider, the model a request
// without one gets, and --max-request-bytes; served next to StreamChat under one name.
TEST_F(LlmServerTest, GetServiceInfoTellsTheProviderItsDefaultModelAndTheRequestLimit) {
  config_.max_request_bytes = 123456;
  StartServer();
  auto channel = TestChannel(server_->port());
  auto stub = v1::LlmService::NewStub(channel);
  grpc::ClientContext context;
  v1::ServiceInfo info;
  grpc::Status status = stub->GetServiceInfo(&context, v1::GetServiceInfoRequest(), &info);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(info.provider(), "mock");
  EXPECT_EQ(info.default_model(), "mock");
  EXPECT_EQ(info.max_request_bytes(), 123456u);
  EXPECT_EQ(ChatOnce(channel, OneMessage("both served")).text, "Echo: both served");
}

TEST_F(LlmServerTest, GetServiceInfoNeedsTheTokenLikeStreamChat) {
  WriteTokens({tool_a_.line});
  config_.auth_tokens_file = tokens_file_;
  StartServer();
  auto stub = v1::LlmService::NewStub(TestChannel(server_->port()));
  v1::ServiceInfo info;
  grpc::ClientContext without;
  EXPECT_EQ(stub->GetServiceInfo(&without, v1::GetServiceInfoRequest(), &info).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  grpc::ClientContext with;
  with.AddMetadata("authorization", "Bearer " + tool_a_.secret);
  grpc::Status status = stub->GetServiceInfo(&with, v1::GetServiceInfoRequest(), &info);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(info.provider(), "mock");
}

TEST_F(LlmServerTest, HealthAnswersForTheServerAndForLlmServiceByName) {
  StartServer();
  auto channel = TestChannel(server_->port());
  for (const std::string name : {"", "streamgate.llm.v1.LlmService"}) {
    std::string serving;
    grpc::Status status = testing::HealthCheckService(channel, name, &serving);
    ASSERT_TRUE(status.ok()) << "'" << name << "': " << status.error_message();
    EXPECT_EQ(serving, "SERVING") << name;
  }
  std::string serving;
  EXPECT_EQ(testing::HealthCheckService(channel, "no.such.Service", &serving).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST_F(LlmServerTest, APortAnotherServerHoldsIsRefusedNotShared) {
  StartServer();
  LlmServiceConfig second = config_;
  second.port = server_->port();
  auto refused = LlmServer::Start(second, provider_.get());
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(refused.status().message(),
            absl::StrCat("cannot bind 127.0.0.1:", server_->port(), ": Address already in use"));
  // The first server still answers every call.
  EXPECT_TRUE(ChatOnce(TestChannel(server_->port()), OneMessage("still mine")).status.ok());
}

TEST_F(LlmServerTest, TlsServesTrustingClientsOnly) {
  auto pki = MakePki();
  ASSERT_NE(pki, nullptr);
  config_.tls_cert = pki->server_pem();
  config_.tls_key = pki->server_key();
  StartServer();
  EXPECT_EQ(server_->Describe(), "tls=on auth=none");
  auto trusting =
      ChatOnce(TestChannel(server_->port(), Trusting(pki->ca_pem())), OneMessage("over tls"));
  ASSERT_TRUE(trusting.status.ok()) << trusting.status.error_message();
  EXPECT_EQ(trusting.text, "Echo: over tls");
  // The certificate names localhost too.
  EXPECT_TRUE(
      ChatOnce(TestChannel(server_->port(), Trusting(pki->ca_pem(), "localhost")), OneMessage("x"))
          .status.ok());
  EXPECT_EQ(
      ChatOnce(TestChannel(server_->port(), Trusting(pki->other_ca_pem())), OneMessage("x"), "", 2s)
          .status.error_code(),
      grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(ChatOnce(TestChannel(server_->port(), Trusting(pki->ca_pem(), "elsewhere")),
                     OneMessage("x"), "", 2s)
                .status.error_code(),
            grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(ChatOnce(TestChannel(server_->port()), OneMessage("x"), "", 2s).status.error_code(),
            grpc::StatusCode::UNAVAILABLE);
}

TEST_F(LlmServerTest, MtlsAcceptsOnlyClientCertificatesFromTheClientCa) {
  auto pki = MakePki();
  ASSERT_NE(pki, nullptr);
  config_.tls_cert = pki->server_pem();
  config_.tls_key = pki->server_key();
  config_.tls_client_ca = pki->ca_pem();
  StartServer();
  EXPECT_EQ(server_->Describe(), "tls=mtls auth=none");
  const int port = server_->port();
  auto with_cert =
      ChatOnce(TestChannel(port, Presenting(pki->ca_pem(), pki->client_pem(), pki->client_key())),
               OneMessage("mutual"));
  ASSERT_TRUE(with_cert.status.ok()) << with_cert.status.error_message();
  EXPECT_EQ(ChatOnce(TestChannel(port, Trusting(pki->ca_pem())), OneMessage("x"), "", 2s)
                .status.error_code(),
            grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(ChatOnce(TestChannel(port, Presenting(pki->ca_pem(), pki->other_client_pem(),
                                                  pki->other_client_key())),
                     OneMessage("x"), "", 2s)
                .status.error_code(),
            grpc::StatusCode::UNAVAILABLE);
}

TEST_F(LlmServerTest, TlsAndTokensTogether) {
  auto pki = MakePki();
  ASSERT_NE(pki, nullptr);
  WriteTokens({tool_a_.line});
  config_.auth_tokens_file = tokens_file_;
  config_.tls_cert = pki->server_pem();
  config_.tls_key = pki->server_key();
  StartServer();
  auto channel = TestChannel(server_->port(), Trusting(pki->ca_pem()));
  EXPECT_EQ(ChatOnce(channel, OneMessage("x")).status.error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_TRUE(ChatOnce(channel, OneMessage("x"), tool_a_.secret).status.ok());
  std::string serving;
  EXPECT_TRUE(testing::HealthCheck(channel, &serving).ok());
}

TEST_F(LlmServerTest, ReloadServesNewCertificatesOnNewConnections) {
  auto pki = MakePki();
  ASSERT_NE(pki, nullptr);
  // Served from copies, so that the test can replace them as a rotation would.
  const std::string cert = pki->dir() + "/served.pem";
  const std::string key = pki->dir() + "/served.key";
  ASSERT_TRUE(testing::WriteTextFile(cert, testing::ReadTextFile(pki->server_pem())));
  ASSERT_TRUE(testing::WriteTextFile(key, testing::ReadTextFile(pki->server_key())));
  config_.tls_cert = cert;
  config_.tls_key = key;
  StartServer();
  const int port = server_->port();
  auto old_ca = Trusting(pki->ca_pem());
  auto new_ca = Trusting(pki->other_ca_pem());
  auto kept = TestChannel(port, old_ca);
  ASSERT_TRUE(ChatOnce(kept, OneMessage("before")).status.ok());

  auto rotated = pki->Issue("rotated", TestPki::Signer::kOtherCa, TestPki::Usage::kServer);
  ASSERT_NE(rotated, nullptr);
  // A key that does not match the certificate is refused; the old pair stays in use.
  ASSERT_TRUE(testing::WriteTextFile(cert, testing::ReadTextFile(rotated->cert)));
  server_->Reload();
  EXPECT_TRUE(ChatOnce(TestChannel(port, old_ca), OneMessage("half rotated")).status.ok());

  ASSERT_TRUE(testing::WriteTextFile(key, testing::ReadTextFile(rotated->key)));
  server_->Reload();
  auto renewed = ChatOnce(TestChannel(port, new_ca), OneMessage("after"));
  EXPECT_TRUE(renewed.status.ok()) << renewed.status.error_message();
  EXPECT_EQ(ChatOnce(TestChannel(port, old_ca), OneMessage("x"), "", 2s).status.error_code(),
            grpc::StatusCode::UNAVAILABLE);
  // A connection made before the reload keeps working.
  EXPECT_TRUE(ChatOnce(kept, OneMessage("still")).status.ok());
}

TEST_F(LlmServerTest, StartFailsOnCertificateProblems) {
  auto pki = MakePki();
  ASSERT_NE(pki, nullptr);
  struct Case {
    std::string name;
    std::string cert, key, client_ca;
  };
  for (const Case& c : std::vector<Case>{
           {"missing cert", temp_.File("none.pem"), pki->server_key(), ""},
           {"missing key", pki->server_pem(), temp_.File("none.key"), ""},
           {"key of another certificate", pki->server_pem(), pki->client_key(), ""},
           {"key where the cert belongs", pki->server_key(), pki->server_key(), ""},
           {"missing client CA", pki->server_pem(), pki->server_key(), temp_.File("none.pem")},
           {"client CA that is a key", pki->server_pem(), pki->server_key(), pki->client_key()},
       }) {
    config_.tls_cert = c.cert;
    config_.tls_key = c.key;
    config_.tls_client_ca = c.client_ca;
    auto server = LlmServer::Start(config_, provider_.get());
    EXPECT_FALSE(server.ok()) << c.name;
    // Never the key material itself.
    EXPECT_EQ(server.status().message().find("PRIVATE KEY"), absl::string_view::npos) << c.name;
  }
}

}  // namespace
}  // namespace streamgate::llm
