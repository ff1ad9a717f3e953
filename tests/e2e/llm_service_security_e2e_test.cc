// llm-service's gRPC door with the real binaries on free ports: TLS and mTLS between the
// gateway and llm-service, bearer tokens for direct callers and for the gateway, SIGHUP
// reloads, the reflection switch, id and size bounds, refusal before the request body is
// buffered, and that no token ever reaches any output.
#include <signal.h>
#include <sys/wait.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>
#include <regex>
#include <thread>

#include "common/credential_file.h"
#include "gtest/gtest.h"
#include "tests/e2e/e2e_helpers.h"
#include "tests/llm-service/llm_test_client.h"
#include "tests/support/test_pki.h"

namespace streamgate::testing {
namespace {

bool ExitedWith(std::optional<int> status, int code) {
  return status.has_value() && WIFEXITED(*status) && WEXITSTATUS(*status) == code;
}

std::string Escaped(const std::string& text) {
  static const std::regex kSpecial(R"([.^$|()\[\]{}*+?\\])");
  return std::regex_replace(text, kSpecial, R"(\$&)");
}

class LlmServiceSecurityE2e : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string error;
    pki_ = TestPki::Create(&error);
    ASSERT_NE(pki_, nullptr) << error;
    tokens_file_ = pki_->dir() + "/tokens";
    tool_a_ = NewToken("tool-a");
    tool_b_ = NewToken("gateway");
  }

  // No token, and no secret part of one, in anything any process of the test printed.
  void TearDown() override {
    for (const auto& process : processes_) {
      for (const std::string& line : process->Lines()) {
        for (const std::string& secret : secrets_) {
          ASSERT_EQ(line.find(secret), std::string::npos) << "a secret was printed: " << line;
        }
      }
    }
  }

  common::NewCredential NewToken(const std::string& name) {
    auto made = common::MakeCredential(name);
    EXPECT_TRUE(made.ok());
    secrets_.push_back(made->secret);
    // The secret part alone, after "sg_<id>_" (it may hold '_' itself; the id does not).
    secrets_.push_back(made->secret.substr(made->secret.find('_', 3) + 1));
    return *made;
  }

  std::string WriteTokens(const std::vector<common::NewCredential>& tokens) {
    std::string text = "# llm-service tokens\n";
    for (const auto& token : tokens) text += token.line + "\n";
    EXPECT_TRUE(WriteTextFile(tokens_file_, text));
    return tokens_file_;
  }

  // A file holding one token the way an operator would write it.
  std::string TokenFile(const common::NewCredential& token) {
    std::string path = pki_->dir() + "/gateway-" + token.id + ".token";
    EXPECT_TRUE(WriteTextFile(path, "  " + token.secret + "\n"));
    return path;
  }

  ChildProcess* Spawn(std::vector<std::string> argv) {
    // Tests never reach a real model, whatever the developer's environment holds.
    processes_.push_back(
        std::make_unique<ChildProcess>(argv, std::vector<std::string>{"ANTHROPIC_API_KEY="}));
    return processes_.back().get();
  }

  // llm-service with the mock on a free port; returns the port (0 when it did not start).
  int StartLlm(std::vector<std::string> args) {
    std::vector<std::string> argv = {LlmServiceBinary(), "--port=0", "--mock-chunk-delay-ms=0"};
    argv.insert(argv.end(), args.begin(), args.end());
    llm_ = Spawn(argv);
    return WaitForListeningPort(*llm_, 10s);
  }

  // A gateway in front of the llm-service on `llm_port`; returns its port.
  int StartGateway(int llm_port, std::vector<std::string> args) {
    std::vector<std::string> argv = {GatewayBinary(), "--port=0",
                                     "--llm-service=127.0.0.1:" + std::to_string(llm_port),
                                     "--llm-connect-timeout=1s"};
    argv.insert(argv.end(), args.begin(), args.end());
    return WaitForListeningPort(*Spawn(argv), 10s);
  }

  // One message through a gateway's WebSocket.
  Reply AskGateway(int gateway_port, const std::string& text) {
    WsTestClient client;
    if (Open(client, gateway_port).empty()) {
      ADD_FAILURE() << "no session on gateway port " << gateway_port;
      return {};
    }
    EXPECT_TRUE(client.SendJson(UserMessage(text)));
    return ReadReply(client);
  }

  std::vector<std::string> ServerTls() {
    return {"--tls-cert=" + pki_->server_pem(), "--tls-key=" + pki_->server_key()};
  }

  // Waits for a line matching `pattern` printed after line `from`.
  bool WaitForLlmLine(const std::string& pattern, size_t from) {
    bool found = llm_->WaitForLine(std::regex(pattern), 10s, from).has_value();
    EXPECT_TRUE(found) << "no line matching " << pattern << "\n" << llm_->OutputForDiagnostics();
    return found;
  }

  size_t CountLlmLines(const std::string& pattern) {
    std::regex re(pattern);
    size_t count = 0;
    for (const auto& line : llm_->Lines()) count += std::regex_search(line, re) ? 1 : 0;
    return count;
  }

  std::unique_ptr<TestPki> pki_;
  std::string tokens_file_;
  common::NewCredential tool_a_;
  common::NewCredential tool_b_;
  std::vector<std::string> secrets_;
  std::vector<std::unique_ptr<ChildProcess>> processes_;
  ChildProcess* llm_ = nullptr;
};

// The bearer-token tests, under a name of their own.
class TokensE2e : public LlmServiceSecurityE2e {};

TEST_F(LlmServiceSecurityE2e, GatewayStreamsAReplyOverTls) {
  int llm_port = StartLlm(ServerTls());
  ASSERT_GT(llm_port, 0);
  EXPECT_TRUE(llm_->WaitForLine(std::regex("listening .* tls=on auth=none reflection=on"), 1s));
  int gateway = StartGateway(llm_port, {"--llm-tls-ca=" + pki_->ca_pem()});
  ASSERT_GT(gateway, 0);
  Reply reply = AskGateway(gateway, "hello over tls");
  ASSERT_TRUE(reply.end.has_value()) << (reply.error ? reply.error->dump() : "no end");
  EXPECT_EQ(reply.text, "Echo: hello over tls");
  // A plaintext caller gets nothing from a TLS port.
  EXPECT_EQ(ChatOnce(TestChannel(llm_port), OneMessage("x"), "", 2s).status.error_code(),
            grpc::StatusCode::UNAVAILABLE);
}

TEST_F(LlmServiceSecurityE2e, GatewayChecksTheServerNameAndTheCa) {
  int llm_port = StartLlm(ServerTls());
  ASSERT_GT(llm_port, 0);
  int named =
      StartGateway(llm_port, {"--llm-tls-ca=" + pki_->ca_pem(), "--llm-tls-server-name=localhost"});
  int misnamed = StartGateway(
      llm_port, {"--llm-tls-ca=" + pki_->ca_pem(), "--llm-tls-server-name=llm.elsewhere.example"});
  int wrong_ca = StartGateway(llm_port, {"--llm-tls-ca=" + pki_->other_ca_pem()});
  int plaintext = StartGateway(llm_port, {});
  ASSERT_TRUE(named > 0 && misnamed > 0 && wrong_ca > 0 && plaintext > 0);
  Reply ok = AskGateway(named, "named");
  ASSERT_TRUE(ok.end.has_value()) << (ok.error ? ok.error->dump() : "no end");
  EXPECT_EQ(ok.text, "Echo: named");
  for (int refused : {misnamed, wrong_ca, plaintext}) {
    Reply reply = AskGateway(refused, "x");
    ASSERT_TRUE(reply.error.has_value()) << "gateway port " << refused;
    EXPECT_EQ((*reply.error)["code"], "upstream_unavailable");
    EXPECT_TRUE(reply.text.empty());
  }
}

TEST_F(LlmServiceSecurityE2e, MtlsRepliesOnlyToGatewaysWithACertificateFromTheClientCa) {
  std::vector<std::string> args = ServerTls();
  args.push_back("--tls-client-ca=" + pki_->ca_pem());
  int llm_port = StartLlm(args);
  ASSERT_GT(llm_port, 0);
  EXPECT_TRUE(llm_->WaitForLine(std::regex("listening .* tls=mtls"), 1s));
  const std::string ca = "--llm-tls-ca=" + pki_->ca_pem();
  int without_cert = StartGateway(llm_port, {ca});
  int other_ca_cert = StartGateway(llm_port, {ca, "--llm-tls-cert=" + pki_->other_client_pem(),
                                              "--llm-tls-key=" + pki_->other_client_key()});
  int right_cert = StartGateway(llm_port, {ca, "--llm-tls-cert=" + pki_->client_pem(),
                                           "--llm-tls-key=" + pki_->client_key()});
  ASSERT_TRUE(without_cert > 0 && other_ca_cert > 0 && right_cert > 0);
  for (int refused : {without_cert, other_ca_cert}) {
    Reply reply = AskGateway(refused, "let me in");
    ASSERT_TRUE(reply.error.has_value()) << "gateway port " << refused;
    EXPECT_EQ((*reply.error)["code"], "upstream_unavailable");
    EXPECT_TRUE(reply.text.empty());
  }
  Reply reply = AskGateway(right_cert, "mutual");
  ASSERT_TRUE(reply.end.has_value()) << (reply.error ? reply.error->dump() : "no end");
  EXPECT_EQ(reply.text, "Echo: mutual");
}

TEST_F(TokensE2e, DirectCallersNeedAValidTokenExceptForHealth) {
  int port = StartLlm({"--auth-tokens-file=" + WriteTokens({tool_a_})});
  ASSERT_GT(port, 0);
  EXPECT_TRUE(llm_->WaitForLine(std::regex("listening .* auth=tokens entries=1"), 1s));
  auto channel = TestChannel(port);
  std::string wrong_secret = tool_a_.secret;
  wrong_secret.back() = wrong_secret.back() == 'x' ? 'y' : 'x';
  struct Case {
    std::string name, token, logged_reason;
  };
  for (const Case& c : std::vector<Case>{{"no token", "", "missing"},
                                         {"wrong secret", wrong_secret, "wrong_secret"},
                                         {"unknown key", tool_b_.secret, "unknown_key"},
                                         {"not a token", "hunter2", "malformed"}}) {
    size_t from = llm_->LineCount();
    ChatOutcome refused = ChatOnce(channel, OneMessage("x"), c.token);
    EXPECT_EQ(refused.status.error_code(), grpc::StatusCode::UNAUTHENTICATED) << c.name;
    EXPECT_FALSE(refused.started) << c.name;
    // Every refusal reads the same; the reason is in the log only.
    EXPECT_EQ(refused.status.error_message(), "a valid bearer token is required") << c.name;
    WaitForLlmLine("call refused reason=" + c.logged_reason + " ", from);
  }
  secrets_.push_back(wrong_secret);
  ChatOutcome ok = ChatOnce(channel, OneMessage("with a token"), tool_a_.secret);
  ASSERT_TRUE(ok.status.ok()) << ok.status.error_message();
  EXPECT_EQ(ok.text, "Echo: with a token");

  std::string serving;
  grpc::Status health = HealthCheck(TestChannel(port), &serving);
  ASSERT_TRUE(health.ok()) << health.error_message();
  EXPECT_EQ(serving, "SERVING");

  // Reflection needs a token too.
  std::string services;
  EXPECT_EQ(ReflectionListServices(channel, "", &services).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  ASSERT_TRUE(ReflectionListServices(channel, tool_a_.secret, &services).ok());
  EXPECT_NE(services.find("streamgate.llm.v1.LlmService"), std::string::npos);
}

TEST_F(TokensE2e, AFloodOfRefusedCallsLogsAFewLines) {
  int port = StartLlm({"--auth-tokens-file=" + WriteTokens({tool_a_})});
  ASSERT_GT(port, 0);
  auto channel = TestChannel(port);
  for (int i = 0; i < 200; ++i) {
    ASSERT_EQ(ChatOnce(channel, OneMessage("x")).status.error_code(),
              grpc::StatusCode::UNAUTHENTICATED);
  }
  // The throttle's window is 10 s; a slow machine may span two.
  size_t lines = CountLlmLines("call refused reason=missing");
  EXPECT_GE(lines, 1u);
  EXPECT_LE(lines, 3u);
}

TEST_F(TokensE2e, GatewaySendsTheTokenFromItsTokenFile) {
  int llm_port = StartLlm({"--auth-tokens-file=" + WriteTokens({tool_a_, tool_b_})});
  ASSERT_GT(llm_port, 0);
  int with_token = StartGateway(llm_port, {"--llm-token-file=" + TokenFile(tool_b_)});
  int without_token = StartGateway(llm_port, {});
  ASSERT_TRUE(with_token > 0 && without_token > 0);
  Reply reply = AskGateway(with_token, "gateway with a token");
  ASSERT_TRUE(reply.end.has_value()) << (reply.error ? reply.error->dump() : "no end");
  EXPECT_EQ(reply.text, "Echo: gateway with a token");
  Reply refused = AskGateway(without_token, "x");
  ASSERT_TRUE(refused.error.has_value());
  EXPECT_TRUE(refused.text.empty());
}

TEST_F(TokensE2e, TokensAndTlsTogetherThroughTheGateway) {
  std::vector<std::string> args = ServerTls();
  args.push_back("--tls-client-ca=" + pki_->ca_pem());
  args.push_back("--auth-tokens-file=" + WriteTokens({tool_b_}));
  int llm_port = StartLlm(args);
  ASSERT_GT(llm_port, 0);
  int gateway = StartGateway(
      llm_port, {"--llm-tls-ca=" + pki_->ca_pem(), "--llm-tls-cert=" + pki_->client_pem(),
                 "--llm-tls-key=" + pki_->client_key(), "--llm-token-file=" + TokenFile(tool_b_)});
  ASSERT_GT(gateway, 0);
  Reply reply = AskGateway(gateway, "all of it");
  ASSERT_TRUE(reply.end.has_value()) << (reply.error ? reply.error->dump() : "no end");
  EXPECT_EQ(reply.text, "Echo: all of it");
}

TEST_F(TokensE2e, SighupRemovesATokenWhileAnotherKeepsWorking) {
  int port = StartLlm({"--auth-tokens-file=" + WriteTokens({tool_a_, tool_b_})});
  ASSERT_GT(port, 0);
  auto channel = TestChannel(port);
  ASSERT_TRUE(ChatOnce(channel, OneMessage("a"), tool_a_.secret).status.ok());
  ASSERT_TRUE(ChatOnce(channel, OneMessage("b"), tool_b_.secret).status.ok());

  WriteTokens({tool_b_});
  size_t from = llm_->LineCount();
  llm_->Signal(SIGHUP);
  ASSERT_TRUE(WaitForLlmLine("credentials reloaded entries=1", from));
  EXPECT_EQ(ChatOnce(channel, OneMessage("a"), tool_a_.secret).status.error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_TRUE(ChatOnce(channel, OneMessage("b"), tool_b_.secret).status.ok());

  // A broken file is refused; the set loaded before stays.
  ASSERT_TRUE(WriteTextFile(tokens_file_, tool_a_.secret + "\n"));
  from = llm_->LineCount();
  llm_->Signal(SIGHUP);
  ASSERT_TRUE(WaitForLlmLine("credentials reload failed, keeping entries=1", from));
  EXPECT_TRUE(ChatOnce(channel, OneMessage("b"), tool_b_.secret).status.ok());
  EXPECT_EQ(ChatOnce(channel, OneMessage("a"), tool_a_.secret).status.error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  // SIGHUP is no shutdown.
  EXPECT_FALSE(llm_->WaitForExit(0ms).has_value());
}

TEST_F(LlmServiceSecurityE2e, SighupServesRotatedCertificatesToNewConnections) {
  const std::string cert = pki_->dir() + "/served.pem";
  const std::string key = pki_->dir() + "/served.key";
  ASSERT_TRUE(WriteTextFile(cert, ReadTextFile(pki_->server_pem())));
  ASSERT_TRUE(WriteTextFile(key, ReadTextFile(pki_->server_key())));
  int port = StartLlm({"--tls-cert=" + cert, "--tls-key=" + key});
  ASSERT_GT(port, 0);
  ASSERT_TRUE(ChatOnce(TestChannel(port, Trusting(pki_->ca_pem())), OneMessage("x")).status.ok());

  auto rotated = pki_->Issue("rotated", TestPki::Signer::kOtherCa, TestPki::Usage::kServer);
  ASSERT_NE(rotated, nullptr);
  ASSERT_TRUE(WriteTextFile(cert, ReadTextFile(rotated->cert)));
  ASSERT_TRUE(WriteTextFile(key, ReadTextFile(rotated->key)));
  size_t from = llm_->LineCount();
  llm_->Signal(SIGHUP);
  ASSERT_TRUE(WaitForLlmLine("certificates reloaded", from));
  ChatOutcome renewed =
      ChatOnce(TestChannel(port, Trusting(pki_->other_ca_pem())), OneMessage("after rotation"));
  ASSERT_TRUE(renewed.status.ok()) << renewed.status.error_message();
  EXPECT_EQ(renewed.text, "Echo: after rotation");
  EXPECT_EQ(ChatOnce(TestChannel(port, Trusting(pki_->ca_pem())), OneMessage("x"), "", 2s)
                .status.error_code(),
            grpc::StatusCode::UNAVAILABLE);
}

TEST_F(LlmServiceSecurityE2e, ReflectionCanBeSwitchedOff) {
  int on = StartLlm({});
  ASSERT_GT(on, 0);
  std::string services;
  ASSERT_TRUE(ReflectionListServices(TestChannel(on), "", &services).ok());
  EXPECT_NE(services.find("streamgate.llm.v1.LlmService"), std::string::npos);
  EXPECT_NE(services.find("grpc.health.v1.Health"), std::string::npos);

  int off = StartLlm({"--reflection=false"});
  ASSERT_GT(off, 0);
  EXPECT_TRUE(llm_->WaitForLine(std::regex("listening .* reflection=off"), 1s));
  EXPECT_EQ(ReflectionListServices(TestChannel(off), "", &services).error_code(),
            grpc::StatusCode::UNIMPLEMENTED);
  // The rest is unchanged.
  std::string serving;
  EXPECT_TRUE(HealthCheck(TestChannel(off), &serving).ok());
  EXPECT_TRUE(ChatOnce(TestChannel(off), OneMessage("x")).status.ok());
}

TEST_F(LlmServiceSecurityE2e, BadIdsAreInvalidArgumentAndNeverReachTheLog) {
  int port = StartLlm({});
  ASSERT_GT(port, 0);
  auto channel = TestChannel(port);
  const std::string forged = "forged-line-7f3a";
  for (const auto& [session_id, request_id] : std::vector<std::pair<std::string, std::string>>{
           {"s\n2026-01-01T00:00:00.000Z info llm " + forged, "r"},
           {"s", "r " + forged},
           {std::string(129, 'x') + forged, "r"},
           {"s", std::string(1 << 20, 'y') + forged}}) {
    ChatOutcome outcome = ChatOnce(channel, OneMessage("x", session_id, request_id));
    EXPECT_EQ(outcome.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  }
  ChatOutcome fine = ChatOnce(channel, OneMessage("x", std::string(128, 's'), "r-1"));
  EXPECT_TRUE(fine.status.ok()) << fine.status.error_message();
  ASSERT_TRUE(llm_->WaitForLine(std::regex("call end session=s{128} request=r-1 "), 5s));
  for (const auto& line : llm_->Lines()) {
    EXPECT_EQ(line.find(forged), std::string::npos) << line;
    EXPECT_LT(line.size(), 1000u);
  }
}

TEST_F(LlmServiceSecurityE2e, RequestsAboveMaxRequestBytesAreResourceExhausted) {
  int port = StartLlm({"--max-request-bytes=65536"});
  ASSERT_GT(port, 0);
  auto channel = TestChannel(port);
  EXPECT_TRUE(ChatOnce(channel, OneMessage(std::string(60000, 'a'))).status.ok());
  EXPECT_EQ(ChatOnce(channel, OneMessage(std::string(100000, 'a'))).status.error_code(),
            grpc::StatusCode::RESOURCE_EXHAUSTED);
}

// What N concurrent large StreamChat requests make llm-service hold: VmRSS sampled every
// 2 ms while they run.
struct LoadResult {
  long base_kb = 0;
  long peak_kb = 0;
  long after_kb = 0;
  std::map<grpc::StatusCode, int> codes;
};

LoadResult SendLargeRequests(ChildProcess& llm, int port, int calls, size_t bytes,
                             const std::string& token) {
  const llm::v1::StreamChatRequest request = OneMessage(std::string(bytes, 'x'));
  LoadResult result;
  result.base_kb = llm.ResidentKb();
  std::atomic<bool> done{false};
  std::atomic<long> peak{result.base_kb};
  std::thread sampler([&] {
    while (!done.load()) {
      long now = llm.ResidentKb();
      if (now > peak.load()) peak.store(now);
      std::this_thread::sleep_for(2ms);
    }
  });
  std::mutex mu;
  std::vector<std::thread> callers;
  for (int i = 0; i < calls; ++i) {
    callers.emplace_back([&] {
      // A connection per caller, as from many machines.
      ChatOutcome outcome = ChatOnce(TestChannel(port), request, token, 60s);
      std::lock_guard lock(mu);
      ++result.codes[outcome.status.error_code()];
    });
  }
  for (auto& caller : callers) caller.join();
  done.store(true);
  sampler.join();
  result.peak_kb = peak.load();
  result.after_kb = llm.ResidentKb();
  return result;
}

TEST_F(TokensE2e, UnauthenticatedLargeRequestsAreRefusedBeforeTheyAreBuffered) {
#if defined(__SANITIZE_ADDRESS__)
  GTEST_SKIP() << "ASan's allocator and quarantine keep memory resident; RSS means nothing";
#endif
  int port = StartLlm({"--auth-tokens-file=" + WriteTokens({tool_a_})});
  ASSERT_GT(port, 0);
  // 8 x 32 MB: buffered, that is over 256 MB of RSS (measured: gRPC holds every byte of an
  // announced message before any handler or size check sees it).
  constexpr int kCalls = 8;
  constexpr size_t kBytes = size_t{32} << 20;
  LoadResult load = SendLargeRequests(*llm_, port, kCalls, kBytes, "");
  EXPECT_EQ(load.codes[grpc::StatusCode::UNAUTHENTICATED], kCalls);
  // Headers, per-connection buffers and flow-control windows only.
  EXPECT_LT(load.peak_kb - load.base_kb, 48 * 1024)
      << "base " << load.base_kb << " KiB, peak " << load.peak_kb << " KiB";
  EXPECT_LT(load.after_kb - load.base_kb, 32 * 1024) << "after " << load.after_kb << " KiB";
  // The service still answers.
  EXPECT_TRUE(ChatOnce(TestChannel(port), OneMessage("x"), tool_a_.secret).status.ok());
}

TEST_F(TokensE2e, SigtermStillDrainsAndExitsCleanlyWithTlsAndTokens) {
  std::vector<std::string> args = ServerTls();
  args.push_back("--tls-client-ca=" + pki_->ca_pem());
  args.push_back("--auth-tokens-file=" + WriteTokens({tool_b_}));
  args.push_back("--mock-chunk-delay-ms=50");
  args.push_back("--mock-extra-words=10");
  int llm_port = StartLlm(args);
  ASSERT_GT(llm_port, 0);
  ChildProcess* llm = llm_;
  int gateway_port = StartGateway(
      llm_port, {"--llm-tls-ca=" + pki_->ca_pem(), "--llm-tls-cert=" + pki_->client_pem(),
                 "--llm-tls-key=" + pki_->client_key(), "--llm-token-file=" + TokenFile(tool_b_)});
  ASSERT_GT(gateway_port, 0);
  ChildProcess* gateway = processes_.back().get();
  WsTestClient client;
  ASSERT_FALSE(Open(client, gateway_port).empty());
  ASSERT_TRUE(client.SendJson(UserMessage("finish me")));
  ASSERT_TRUE(client.ReadUntilType("stream_chunk").has_value());
  // The running reply finishes through the drain; then both exit 0 (under the sanitizer
  // build, leak-free too).
  llm->Signal(SIGTERM);
  Reply rest = ReadReply(client);
  ASSERT_TRUE(rest.end.has_value()) << (rest.error ? rest.error->dump() : "no end");
  EXPECT_TRUE(ExitedWith(llm->WaitForExit(20s), 0)) << llm->OutputForDiagnostics();
  client.Close();
  gateway->Signal(SIGTERM);
  EXPECT_TRUE(ExitedWith(gateway->WaitForExit(20s), 0)) << gateway->OutputForDiagnostics();
}

// The measurement behind docs/grpc-security.md; not part of the suite (minutes, gigabytes).
//   SG_LOAD_CALLS=25 SG_LOAD_MB=100 SG_LOAD_MODE=none|unauthenticated|authenticated
//   build/bin/e2e_test --gtest_also_run_disabled_tests --gtest_filter='*DISABLED_Measure*'
TEST_F(TokensE2e, DISABLED_MeasureConcurrentLargeRequests) {
  auto env = [](const char* name, const char* fallback) {
    const char* value = std::getenv(name);
    return std::string(value != nullptr ? value : fallback);
  };
  const int calls = std::stoi(env("SG_LOAD_CALLS", "25"));
  const size_t bytes = std::stoul(env("SG_LOAD_MB", "100")) << 20;
  const std::string mode = env("SG_LOAD_MODE", "unauthenticated");
  std::vector<std::string> args;
  if (mode != "none") args.push_back("--auth-tokens-file=" + WriteTokens({tool_a_}));
  int port = StartLlm(args);
  ASSERT_GT(port, 0);
  LoadResult load =
      SendLargeRequests(*llm_, port, calls, bytes, mode == "authenticated" ? tool_a_.secret : "");
  // After the calls, once more when the connections are surely gone.
  std::string codes;
  for (const auto& [code, count] : load.codes) {
    codes += std::to_string(static_cast<int>(code)) + "x" + std::to_string(count) + " ";
  }
  std::printf(
      "{\"mode\":\"%s\",\"calls\":%d,\"mb\":%zu,\"base_kb\":%ld,\"peak_kb\":%ld,"
      "\"after_kb\":%ld,\"codes\":\"%s\"}\n",
      mode.c_str(), calls, bytes >> 20, load.base_kb, load.peak_kb, load.after_kb, codes.c_str());
}

TEST_F(TokensE2e, BadConfigurationExitsWith2AndSaysWhy) {
  ASSERT_TRUE(WriteTextFile(pki_->dir() + "/empty.token", " \n"));
  struct Case {
    std::string binary;
    std::vector<std::string> args;
    std::string message;
  };
  const std::vector<Case> cases = {
      {LlmServiceBinary(), {"--tls-cert=" + pki_->server_pem()}, "--tls-key"},
      {LlmServiceBinary(), {"--tls-client-ca=" + pki_->ca_pem()}, "--tls-client-ca"},
      {LlmServiceBinary(),
       {"--tls-cert=" + pki_->server_pem(), "--tls-key=" + pki_->client_key()},
       "is not the key of the certificate"},
      {LlmServiceBinary(),
       {"--tls-cert=" + pki_->dir() + "/missing.pem", "--tls-key=" + pki_->server_key()},
       "cannot read"},
      {LlmServiceBinary(), {"--auth-tokens-file=" + pki_->dir() + "/missing"}, "cannot read"},
      {LlmServiceBinary(), {"--auth-tokens-file=" + pki_->ca_pem()}, "--auth-tokens-file"},
      {GatewayBinary(), {"--llm-tls-cert=" + pki_->client_pem()}, "--llm-tls-key"},
      {GatewayBinary(),
       {"--llm-tls-cert=" + pki_->client_pem(), "--llm-tls-key=" + pki_->client_key()},
       "--llm-tls-ca"},
      {GatewayBinary(), {"--llm-tls-server-name=localhost"}, "--llm-tls-ca"},
      {GatewayBinary(), {"--llm-tls-ca=" + pki_->dir() + "/missing.pem"}, "cannot read"},
      {GatewayBinary(), {"--llm-tls-ca=" + pki_->client_key()}, "holds no PEM certificate"},
      {GatewayBinary(),
       {"--llm-tls-ca=" + pki_->ca_pem(), "--llm-tls-cert=" + pki_->client_pem(),
        "--llm-tls-key=" + pki_->other_client_key()},
       "is not the key of the certificate"},
      {GatewayBinary(), {"--llm-token-file=" + pki_->dir() + "/missing.token"}, "cannot read"},
      {GatewayBinary(), {"--llm-token-file=" + pki_->dir() + "/empty.token"}, "is empty"},
  };
  for (const Case& c : cases) {
    std::vector<std::string> argv = {c.binary, "--port=0"};
    argv.insert(argv.end(), c.args.begin(), c.args.end());
    ChildProcess* process = Spawn(argv);
    EXPECT_TRUE(ExitedWith(process->WaitForExit(10s), 2)) << argv[0] << " " << argv[2] << "\n"
                                                          << process->OutputForDiagnostics();
    EXPECT_TRUE(process->WaitForLine(std::regex(Escaped(c.message)), 0ms).has_value())
        << "expected '" << c.message << "' in\n"
        << process->OutputForDiagnostics();
  }
}

}  // namespace
}  // namespace streamgate::testing
